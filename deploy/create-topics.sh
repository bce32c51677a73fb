#!/bin/sh
# Creates the five village topics with EQUAL partition counts, or checks that
# the existing ones have them. Runs in the apache/kafka image (POSIX sh, the
# image's /opt/kafka/bin/kafka-topics.sh) as the `kafka-init` job of
# docker-compose.yml, or by hand against any cluster:
#
#   KAFKA_BOOTSTRAP=broker1:9093 KAFKA_COMMAND_CONFIG=/etc/kafka/admin.properties \
#   TOPIC_PARTITIONS=12 TOPIC_REPLICATION_FACTOR=3 sh deploy/create-topics.sh
#
# Why equal counts: every topic is keyed by the 12-digit village code, and a
# worker evaluates partition N of all five topics together (one shard per
# partition number). A village lands on the same partition number in every
# topic only if the counts are equal AND every producer uses the same
# partitioner (murmur2, as Java producers do; librdkafka producers must set
# partitioner=murmur2_random — `qianliyan produce` does).
#
# Never change the partition count of a topic in use: Kafka would move
# villages to other partitions and their rule state (kept per partition
# number) would no longer meet their new events. Choose the count up front
# (it is the most workers a group can use), or create new topics and replay.
#
# Environment (all optional):
#   KAFKA_BOOTSTRAP           bootstrap servers (default kafka:9092)
#   KAFKA_COMMAND_CONFIG      admin client properties file (TLS/SASL), passed as --command-config
#   KAFKA_BIN                 folder of the Kafka scripts (default /opt/kafka/bin)
#   TOPICS                    space-separated topics (default: the five village topics)
#   TOPIC_PARTITIONS          partitions per topic (default 6)
#   TOPIC_REPLICATION_FACTOR  replicas per partition (default 1: a single broker)
#   TOPIC_RETENTION_MS        retention (default 2592000000 = 30 days; a worker that is
#                             down longer than this finds an offset gap)
#   WAIT_SECONDS              how long to wait for the cluster (default 120)
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
BIN="${KAFKA_BIN:-/opt/kafka/bin}"
TOPICS="${TOPICS:-village.finance village.procurement village.labor village.lease village.seal}"
PARTITIONS="${TOPIC_PARTITIONS:-6}"
REPLICATION="${TOPIC_REPLICATION_FACTOR:-1}"
RETENTION_MS="${TOPIC_RETENTION_MS:-2592000000}"
WAIT_SECONDS="${WAIT_SECONDS:-120}"

topics_cmd() {
  if [ -n "${KAFKA_COMMAND_CONFIG:-}" ]; then
    "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$KAFKA_COMMAND_CONFIG" "$@"
  else
    "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" "$@"
  fi
}

case "$PARTITIONS" in ''|*[!0-9]*) echo "TOPIC_PARTITIONS must be a positive number, got '$PARTITIONS'" >&2; exit 64 ;; esac
[ "$PARTITIONS" -ge 1 ] || { echo "TOPIC_PARTITIONS must be at least 1" >&2; exit 64; }

echo "waiting for Kafka at $BOOTSTRAP (up to ${WAIT_SECONDS}s)…"
waited=0
until topics_cmd --list >/dev/null 2>&1; do
  waited=$((waited + 5))
  if [ "$waited" -gt "$WAIT_SECONDS" ]; then
    echo "Kafka at $BOOTSTRAP did not answer within ${WAIT_SECONDS}s" >&2
    exit 1
  fi
  sleep 5
done

status=0
for topic in $TOPICS; do
  topics_cmd --create --if-not-exists --topic "$topic" \
    --partitions "$PARTITIONS" --replication-factor "$REPLICATION" \
    --config "retention.ms=$RETENTION_MS" >/dev/null
  # First line of --describe: "Topic: NAME  TopicId: …  PartitionCount: N  ReplicationFactor: R  Configs: …"
  count=$(topics_cmd --describe --topic "$topic" | sed -n 's/.*PartitionCount:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
  if [ "$count" = "$PARTITIONS" ]; then
    echo "topic $topic: $count partitions"
  else
    echo "topic $topic has ${count:-an unknown number of} partitions, expected $PARTITIONS:" >&2
    echo "  the five topics must have equal partition counts (co-partitioning by village)." >&2
    echo "  Do not alter a topic in use; set TOPIC_PARTITIONS to the existing count, or create new topics." >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "topics ready: $TOPICS ($PARTITIONS partitions each)"
exit "$status"

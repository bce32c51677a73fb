#!/usr/bin/env bash
# Offline check of the compose files — no Docker engine needed.
#
#   deploy/check-compose.sh [FILE…]
#   (default: docker-compose.yml and deploy/docker-compose.external.yml)
#
# For each file, the first checker available:
# 1. `docker compose config -q` (the Compose v2 plugin), else
#    `docker-compose -f FILE config -q` (Debian's v1: `apt-get install docker-compose`):
#    semantic checks — interpolation, anchors, depends_on targets and conditions.
# 2. Else `check-jsonschema --builtin-schema vendor.compose-spec FILE`
#    (structural, against the Compose Specification's JSON schema), installed
#    into a throwaway virtualenv with pip when it is not on PATH.
# CHECK_COMPOSE_ALL=1 runs every checker available, not just the first.
# Exit status 0 when every file is accepted.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$#" -eq 0 ]; then
  set -- "$root/docker-compose.yml" "$root/deploy/docker-compose.external.yml"
fi
all="${CHECK_COMPOSE_ALL:-0}"

# Check with the defaults written in the files, not with whatever this shell
# exports; the variables an external deployment must set get placeholders.
check_env=(env -u POSTGRES_USER -u POSTGRES_DB -u QIANLIYAN_IMAGE -u QIANLIYAN_PARTITIONS
           -u QIANLIYAN_RETENTION_MS -u KAFKA_CLUSTER_ID -u QUEUE_PORT -u QIANLIYAN_ARCHIVE
           -u QIANLIYAN_LOOKBACK_DAYS -u KAFKA_OPTIONS -u QIANLIYAN_WORKER_PASSWORD
           -u QIANLIYAN_QUEUE_PASSWORD -u QIANLIYAN_RULES_PASSWORD
           POSTGRES_PASSWORD=check KAFKA_BROKERS=kafka.check:9092
           DATABASE_URL=postgresql://check@db.check:5432/check)

v2=0; v1=0
docker compose version >/dev/null 2>&1 && v2=1
command -v docker-compose >/dev/null 2>&1 && v1=1
checker=""
venv=""
trap '[ -n "$venv" ] && rm -rf "$venv"' EXIT

schema_check() {
  if [ -z "$checker" ]; then
    checker="$(command -v check-jsonschema || true)"
    if [ -z "$checker" ]; then
      venv="$(mktemp -d "${TMPDIR:-/tmp}/check-compose.XXXXXX")"
      echo "check-compose: installing check-jsonschema into $venv"
      python3 -m venv "$venv" >/dev/null
      "$venv/bin/pip" install --quiet --disable-pip-version-check check-jsonschema
      checker="$venv/bin/check-jsonschema"
    fi
  fi
  echo "check-compose: check-jsonschema --builtin-schema vendor.compose-spec $1"
  "$checker" --builtin-schema vendor.compose-spec "$1"
}

for file in "$@"; do
  [ -f "$file" ] || { echo "check-compose: no such file: $file" >&2; exit 64; }
  dir="$(cd "$(dirname "$file")" && pwd)"
  name="$(basename "$file")"
  done_one=0
  if [ "$v2" -eq 1 ]; then
    echo "check-compose: docker compose -f $name config -q"
    (cd "$dir" && "${check_env[@]}" docker compose -f "$name" --profile batch config -q)
    done_one=1
  fi
  if [ "$v1" -eq 1 ] && { [ "$done_one" -eq 0 ] || [ "$all" = 1 ]; }; then
    echo "check-compose: docker-compose -f $name config -q ($(docker-compose version --short 2>/dev/null || echo v1))"
    (cd "$dir" && "${check_env[@]}" docker-compose -f "$name" --profile batch config -q)
    done_one=1
  fi
  if [ "$done_one" -eq 0 ] || [ "$all" = 1 ]; then
    schema_check "$file"
  fi
  echo "check-compose: $file accepted"
done

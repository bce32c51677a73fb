#!/usr/bin/env bash
# Nightly replay: runs the archived ledgers of the last LOOKBACK_DAYS days
# (ending yesterday, Asia/Shanghai) through the same compiled rules as the
# stream, into the same PostgreSQL. Alerts are identified by (rule_id,
# anchor_event_id), so what the workers already wrote stays one row and an
# analyst's work on it is untouched; what the stream could not evaluate —
# events that arrived late (dead_letters kind `late`) or were lost to
# retention (`offset_gap`) — is evaluated here.
#
# Why a window and not only yesterday: a replay starts with empty rule state.
# Yesterday's file alone has no earlier approvals, attendance or payments, so
# `require before` rules would fire on events whose predecessor is older
# ("contract without approval" when the approval was last month) and windows
# reaching back before midnight would be cut. Keep LOOKBACK_DAYS at least the
# longest look-back of the rules: 400 days of retained precedence state by
# default, plus the longest window (30 days) — hence 430.
#
# Layout: ARCHIVE/YYYY-MM-DD/*.jsonl.gz (or *.jsonl), one folder per local day.
#
#   nightly-replay                     # in the image (docker compose run --rm replay)
#   deploy/nightly-replay.sh 2026-11-25   # a given last day, bare metal
#
# Environment: ARCHIVE (/archive), REFERENCE (/data/reference), RULES
# (/opt/qianliyan/Rules, or ./Rules when that is missing), LOOKBACK_DAYS (430),
# QIANLIYAN (qianliyan), DATABASE_URL and the libpq PG* variables.
set -euo pipefail
shopt -s nullglob

ARCHIVE="${ARCHIVE:-/archive}"
REFERENCE="${REFERENCE:-/data/reference}"
RULES="${RULES:-/opt/qianliyan/Rules}"
[ -d "$RULES" ] || RULES=Rules
LOOKBACK_DAYS="${LOOKBACK_DAYS:-430}"
QIANLIYAN="${QIANLIYAN:-qianliyan}"
LAST_DAY="${1:-$(TZ=Asia/Shanghai date -d yesterday +%F)}"

files=()
for ((i = LOOKBACK_DAYS - 1; i >= 0; i--)); do
  day=$(date -d "$LAST_DAY - $i days" +%F)
  files+=("$ARCHIVE/$day"/*.jsonl.gz "$ARCHIVE/$day"/*.jsonl)
done
if [ "${#files[@]}" -eq 0 ]; then
  echo "nightly-replay: no ledgers under $ARCHIVE for the $LOOKBACK_DAYS days up to $LAST_DAY" >&2
  exit 1
fi
if [ ! -d "$ARCHIVE/$LAST_DAY" ]; then
  echo "nightly-replay: warning: no folder $ARCHIVE/$LAST_DAY (yesterday's export missing?)" >&2
fi
echo "nightly-replay: ${#files[@]} files, $(date -d "$LAST_DAY - $((LOOKBACK_DAYS - 1)) days" +%F) … $LAST_DAY" >&2
exec "$QIANLIYAN" replay --quiet --json --rules "$RULES" --reference "$REFERENCE" "${files[@]}"

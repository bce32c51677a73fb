#!/bin/sh
# Writes the benchmark ledgers: /tmp/big.jsonl (the conformance sample, 14,210
# lines, replicated 70 times with the event ids prefixed r0- … r69-: 994,700
# lines, 311.5 MB) and /tmp/b20k.jsonl (its first 20,000 lines, for callgrind).
set -e
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/big.jsonl}
for k in $(seq 0 69); do
  zcat Tests/Fixtures/conformance/sample-12v/events.jsonl.gz | sed "s/\"event_id\": \"/\"event_id\": \"r$k-/"
done > "$OUT"
head -n 20000 "$OUT" > "$(dirname "$OUT")/b20k.jsonl"
ls -l "$OUT" "$(dirname "$OUT")/b20k.jsonl"

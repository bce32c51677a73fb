#!/usr/bin/env bash
# Differential test: qianliyan replay vs the independent Python oracle.
#
# usage: tools/oracle/run.sh [N] [--from K] [--exotic] [--keep-all]
#   seeds K..K+N-1 (default 1..200).  Odd seeds: arrival disorder < 40 h,
#   default --reorder-hours; seeds = 0 mod 4: full shuffle with
#   --reorder-hours 1000000; seeds = 2 mod 4: full shuffle with the default
#   (the binary's "sorted" path).  --threads 1 / 5 (+ --evidence-in-memory)
#   / default rotate with the seed.  Every 5th seed: the ledger split into two files, the second
#   gzipped.  --exotic adds debatable inputs (see gen_edges.py --help).
# env: QLY (binary), RULES (rule folder), OUT (work dir; default mktemp)
# Exit status: 0 if every seed agrees, 1 otherwise.  Failing seeds are kept
# in $OUT/seed-K/ (ledger.jsonl, ref/, oracle.csv, qly.csv, diff.txt).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QLY="${QLY:-$ROOT/.build/release/qianliyan}"
RULES="${RULES:-$ROOT/Rules}"
PY="${PYTHON:-python3}"
N=200; FROM=1; EXOTIC=""; KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM="$2"; shift 2;;
    --exotic) EXOTIC="--exotic"; shift;;
    --keep-all) KEEP=1; shift;;
    *) N="$1"; shift;;
  esac
done
OUT="${OUT:-$(mktemp -d /tmp/qly-oracle.XXXXXX)}"
mkdir -p "$OUT"
# test a snapshot: the project may rebuild the binary while we run
SNAP="$(mktemp /tmp/qly-bin.XXXXXX)"
cp "$QLY" "$SNAP" && chmod +x "$SNAP" || exit 2
trap 'rm -f "$SNAP"' EXIT
echo "binary: $QLY ($(stat -c %y "$QLY" | cut -d. -f1), sha256 $(sha256sum "$SNAP" | cut -c1-12))"
QLY="$SNAP"
fail=0; lines=0; events=0; alerts=0
declare -A byrule
for ((s=FROM; s<FROM+N; s++)); do
  d="$OUT/seed-$s"
  if (( s % 2 )); then order=local; reorder=()
  elif (( s % 4 == 0 )); then order=shuffle; reorder=(--reorder-hours 1000000)
  else order=shuffle; reorder=(); fi      # disorder > 48 h: the sorted path
  case $((s % 3)) in
    0) reorder+=(--threads 1);;
    1) reorder+=(--threads 5 --evidence-in-memory);;
  esac
  n=$("$PY" "$HERE/gen_edges.py" "$s" "$d" --order "$order" $EXOTIC) || { echo "seed $s: generator failed"; fail=1; continue; }
  lines=$((lines + n))
  files=("$d/ledger.jsonl")
  if (( s % 5 == 0 )); then
    # two files, the second gzip-compressed: dedup and order across files
    split -n l/2 -d "$d/ledger.jsonl" "$d/part" && gzip -n "$d/part01" && rm "$d/ledger.jsonl"
    files=("$d/part00" "$d/part01.gz")
  fi
  "$PY" "$HERE/oracle.py" --reference "$d/ref" "${files[@]}" --stats "$d/oracle.stats" > "$d/oracle.csv" 2> "$d/oracle.err" \
    || { echo "seed $s: oracle failed"; cat "$d/oracle.err"; fail=1; continue; }
  "$QLY" replay --dry-run "${reorder[@]}" --rules "$RULES" --reference "$d/ref" "${files[@]}" > "$d/qly.csv" 2> "$d/qly.err" \
    || { echo "seed $s: qianliyan exited non-zero"; tail -5 "$d/qly.err"; fail=1; continue; }
  events=$((events + $(awk '/^events/{print $2}' "$d/oracle.stats")))
  alerts=$((alerts + $(tail -n +2 "$d/oracle.csv" | wc -l)))
  if "$PY" "$HERE/compare.py" "$d/oracle.csv" "$d/qly.csv" "${files[0]}" "$d/oracle.stats" "$d/qly.err" > "$d/diff.txt"; then
    [ "$KEEP" = 1 ] || rm -rf "$d"
  else
    fail=1
    echo "seed $s ($order${EXOTIC:+, exotic}): DISAGREEMENT  (kept in $d)"
    cat "$d/diff.txt"
    for r in $(grep -oE 'only-in-(oracle|qianliyan) +[a-z-]+' "$d/diff.txt" | awk '{print $1":"$2}'); do
      byrule[$r]=$(( ${byrule[$r]:-0} + 1 ))
    done
  fi
done
echo "----"
echo "seeds $FROM..$((FROM+N-1)): $lines ledger lines, $events distinct valid events, $alerts oracle alerts"
if [ "$fail" = 0 ]; then
  echo "all seeds agree"
  rmdir "$OUT" 2>/dev/null
else
  echo "disagreements by side:rule (alert count):"
  for k in "${!byrule[@]}"; do echo "  $k ${byrule[$k]}"; done | sort
  echo "failing ledgers kept in $OUT"
fi
exit $fail

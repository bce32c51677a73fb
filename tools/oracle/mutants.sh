#!/usr/bin/env bash
# Mutation check of the generator: for each deliberate misreading of the
# contract (ORACLE_MUTANT in oracle.py), count the generated ledgers on which
# the mutant's alerts differ from the oracle's.  A mutant that no ledger
# detects marks an edge the generator does not reach.
# usage: tools/oracle/mutants.sh [N seeds, default 40]
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
N="${1:-40}"
T="$(mktemp -d /tmp/qly-mutants.XXXXXX)"
MUTANTS="ts_ms dedup_last malformed_claims tie_arrival tie_casefold win_excl
win_ties_in cross_now filter_resets every_event r01_empty_is_ref r02_sum_gt
r04_any_village r06_count_quotes r07_excl r08_utc r08_excl22 r09_wm_strict
r09_incl_hi r09_excl_lo r09_before_only r09_need_more r10_one_way
r10_no_vendor r11_ge r11_float r13_utc_month r13_same_village r14_float
opt_wrong_type_ignored money_round"
for ((s=1; s<=N; s++)); do
  if (( s % 2 )); then o=local; else o=shuffle; fi
  python3 "$HERE/gen_edges.py" "$s" "$T/$s" --order $o $([ $((s % 4)) = 0 ] && echo --exotic) >/dev/null
  python3 "$HERE/oracle.py" --reference "$T/$s/ref" "$T/$s/ledger.jsonl" > "$T/$s/base.csv"
done
for m in $MUTANTS; do
  k=0
  for ((s=1; s<=N; s++)); do
    ORACLE_MUTANT=$m python3 "$HERE/oracle.py" --reference "$T/$s/ref" "$T/$s/ledger.jsonl" > "$T/$s/mut.csv"
    cmp -s "$T/$s/base.csv" "$T/$s/mut.csv" || k=$((k+1))
  done
  printf '%-24s detected on %3d / %d ledgers\n' "$m" "$k" "$N"
done
rm -rf "$T"

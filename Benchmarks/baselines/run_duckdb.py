#!/usr/bin/env python3
"""DuckDB baseline of the Qianliyan 14-rule reference pack.

Usage:
    run_duckdb.py --ledger FILE.jsonl[.gz] [--ledger ...] --reference DIR \
                  --out alerts.csv [--threads N] [--stages]

Runs pack.sql (next to this script) over the ledgers (read in the order
given) and the reference CSVs of DIR, writes the alert identities
`rule_id,anchor_event_id` sorted to --out, and prints the wall time and
events/s (events = non-blank ledger lines read, duplicates and malformed
lines included; valid distinct events are printed too).

On first use it creates the virtual environment Benchmarks/.venv with the
pinned DuckDB from PyPI and re-runs itself inside it.
"""
import argparse
import resource
import csv
import os
import subprocess
import sys
import time

DUCKDB_VERSION = "1.5.6"
HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(os.path.dirname(HERE), ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")


def ensure_venv():
    """Re-exec inside Benchmarks/.venv, creating it (duckdb==pinned) if needed."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PY):
        print(f"creating {VENV} with duckdb=={DUCKDB_VERSION}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    check = subprocess.run([VENV_PY, "-c", "import duckdb,sys; sys.exit(duckdb.__version__ != %r)" % DUCKDB_VERSION],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if check.returncode != 0:
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "--quiet", f"duckdb=={DUCKDB_VERSION}"])
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ledger", action="append", required=True, help="JSON Lines ledger (.jsonl or .jsonl.gz); repeatable")
    ap.add_argument("--reference", required=True, help="folder with people.csv, vendors.csv, reference_prices.csv, village_limits.csv")
    ap.add_argument("--out", required=True, help="alerts CSV to write (rule_id,anchor_event_id)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--sql", default=os.path.join(HERE, "pack.sql"), help="rule pack script (default: pack.sql)")
    ap.add_argument("--invalid-out", help="write file,line_no of each contract-violating line (line_no counts the file's non-blank lines from 1)")
    ap.add_argument("--expect", help="alerts CSV (rule_id,anchor_event_id) to compare with, as sets; exit 1 on a difference")
    ap.add_argument("--stages", action="store_true", help="print the time of each statement")
    args = ap.parse_args()
    ensure_venv()
    import duckdb

    for p in args.ledger:
        if not os.path.isfile(p):
            sys.exit(f"no such ledger: {p}")
    ref = os.path.abspath(args.reference)
    for name in ("people.csv", "vendors.csv", "reference_prices.csv", "village_limits.csv"):
        if not os.path.isfile(os.path.join(ref, name)):
            sys.exit(f"missing reference table {name} in {ref}")

    with open(args.sql, encoding="utf-8") as f:
        script = f.read()
    ledgers = "[" + ", ".join(sql_str(os.path.abspath(p)) for p in args.ledger) + "]"
    script = script.replace("${LEDGERS}", ledgers).replace("'${REF}/", sql_str(ref + "/")[:-1])

    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    con = duckdb.connect(":memory:")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute("SET preserve_insertion_order = true")
    for stmt in duckdb.extract_statements(script):
        ts = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        con.execute(stmt)
        if args.stages:
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            c = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
            code = [l for l in stmt.query.splitlines() if l.strip() and not l.lstrip().startswith("--")]
            first = " ".join(" ".join(code).split())[:70]
            print(f"  {time.perf_counter() - ts:8.3f} s wall {c:8.3f} s cpu  {first}", file=sys.stderr)
    rows = con.execute("SELECT DISTINCT rule_id, anchor_event_id FROM alerts").fetchall()
    # byte order of the UTF-8 encodings, independent of any collation
    rows.sort(key=lambda r: (r[0].encode(), r[1].encode()))
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["rule_id", "anchor_event_id"])
        w.writerows(rows)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)

    if args.invalid_out:
        bad = con.execute("""SELECT file_no, line_no FROM (
                SELECT file_no, valid, row_number() OVER (PARTITION BY file_no ORDER BY rowid) AS line_no
                FROM checked) WHERE NOT valid ORDER BY 1, 2""").fetchall()
        with open(args.invalid_out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["file", "line_no"])
            w.writerows((args.ledger[i], n) for i, n in bad)
    lines, valid_lines = con.execute("SELECT count(*), count(*) FILTER (valid) FROM checked").fetchone()
    events = con.execute("SELECT count(*) FROM ev").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"duckdb {duckdb.__version__}, threads {threads}")
    print(f"lines read {lines}, valid lines {valid_lines}, invalid {lines - valid_lines}, distinct events {events}")
    print(f"alerts {len(rows)} -> {args.out}")
    print(f"wall time {wall:.3f} s, {lines / wall:,.0f} events/s (cpu time {cpu:.3f} s, load average {os.getloadavg()[0]:.2f})")

    if args.expect:
        with open(args.expect, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            next(r, None)
            want = {(a.strip(), b.strip()) for a, b, *_ in r}
        got = set(rows)
        if got == want:
            print(f"expected alerts: exact match ({len(want)})")
        else:
            for a in sorted(want - got):
                print("missing " + ",".join(a))
            for a in sorted(got - want):
                print("extra   " + ",".join(a))
            print(f"expected alerts: MISMATCH ({len(want - got)} missing, {len(got - want)} extra)")
            sys.exit(1)


if __name__ == "__main__":
    main()

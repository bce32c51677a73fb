#!/usr/bin/env python3
"""Compare oracle and qianliyan alert CSVs (as sets) and describe the
differences.

usage: compare.py ORACLE.csv QIANLIYAN.csv LEDGER [ORACLE_STATS QLY_STDERR]

Exit 0 when the sets (and, if given, the event / dead-letter counts) agree,
1 otherwise.  For every differing alert prints the rule, the anchor, which
side has it, and the anchor's first valid line of the ledger.
"""
import csv
import json
import re
import sys


def load(path):
    with open(path, newline="") as fh:
        rows = [tuple(r) for r in csv.reader(fh) if r]
    if rows and rows[0] == ("rule_id", "anchor_event_id"):
        rows = rows[1:]
    return set(rows)


def anchor_lines(ledger, ids):
    out = {}
    with open(ledger, encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if isinstance(o, dict) and o.get("event_id") in ids:
                out.setdefault(o["event_id"], []).append((no, line.strip()))
    return out


def main(a):
    o, q = load(a[0]), load(a[1])
    ok = True
    only_o, only_q = sorted(o - q), sorted(q - o)
    if only_o or only_q:
        ok = False
        lines = anchor_lines(a[2], {x[1] for x in only_o + only_q})
        for side, rows in (("only-in-oracle", only_o),
                           ("only-in-qianliyan", only_q)):
            for rule, anchor in rows:
                print("  %-18s %-32s %s" % (side, rule, anchor))
                for no, l in lines.get(anchor, [])[:3]:
                    print("      line %d: %s" % (no, l[:300]))
    if len(a) >= 5:
        st = dict(l.split() for l in open(a[3]) if l.strip())
        err = open(a[4], encoding="utf-8", errors="replace").read()
        m_ev = re.search(r"^\s*events\s+(\d+)", err, re.M)
        m_dl = re.search(r"^\s*dead letters\s+(\d+)", err, re.M)
        got = (m_ev and int(m_ev.group(1)), m_dl and int(m_dl.group(1)))
        exp = (int(st["events"]), int(st["dead_letters"]))
        if got != exp:
            ok = False
            print("  counts differ: oracle events=%d dead=%d, qianliyan "
                  "events=%s dead=%s" % (exp + got))
    print("  alerts: oracle %d, qianliyan %d, common %d"
          % (len(o), len(q), len(o & q)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

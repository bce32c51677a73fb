#!/usr/bin/env python3
"""Seeds fuzz/corpus/{decoder,rules} from the repository's fixtures.

decoder: per event type and source system, the first few valid lines of the
conformance sample (Tests/Fixtures/conformance/sample-12v/events.jsonl.gz),
every malformed line of its dirty copy (the lines dead_letters_expected.csv
lists), and a few hand-written edge cases (blank, deep nesting, huge numbers,
far-away timestamps, invalid UTF-8).
rules: every Rules/**/*.rule and Tests/Fixtures/broken-rules/*.rule.

Files are named by the SHA-1 of their bytes, as libFuzzer names the inputs it
adds, so re-running this script is idempotent. Usage: fuzz/scripts/seed-corpus.py
"""
import csv, gzip, hashlib, json, os, pathlib

root = pathlib.Path(__file__).resolve().parents[2]
sample = root / "Tests/Fixtures/conformance/sample-12v"
out_dec = root / "fuzz/corpus/decoder"
out_rules = root / "fuzz/corpus/rules"


def put(directory, data: bytes):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


# Valid lines: up to 3 per (type, source system) pair.
seen = {}
with gzip.open(sample / "events.jsonl.gz", "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        key = (obj.get("type"), obj.get("source"))
        if seen.get(key, 0) < 3:
            seen[key] = seen.get(key, 0) + 1
            put(out_dec, line)

# Every malformed line of the dirty copy.
bad = set()
with open(sample / "dead_letters_expected.csv", newline="") as f:
    for row in csv.DictReader(f):
        bad.add(int(row["line_no"]))
with gzip.open(sample / "events_malformed.jsonl.gz", "rb") as f:
    for n, line in enumerate(f, start=1):
        if n in bad:
            put(out_dec, line.rstrip(b"\n"))

pay = ('{"event_id":"p1","type":"finance.payment","occurred_at":"%s","village":"330521101202",'
       '"voucher_no":"V1","amount":%s,"payee_id":"X","category":"engineering","approver_id":"A"}')
edge = [
    b"", b"   ", b"{}", b"[]", b"null", b'"x"',
    b"[" * 600 + b"]" * 600,
    b'{"a":' * 600 + b"1" + b"}" * 600,
    (pay % ("2023-03-14T10:22:05+08:00", '"12500.50"')).encode(),
    (pay % ("0001-01-01T00:00:00Z", "1")).encode(),
    (pay % ("9999-12-31T23:59:59.999999+14:00", "1")).encode(),
    (pay % ("1987-07-01T12:00:00+08:00", "1")).encode(),
    (pay % ("2023-03-14T10:22:05+08:00", "1e400")).encode(),
    (pay % ("2023-03-14T10:22:05+08:00", "9" * 40)).encode(),
    (pay % ("2023-03-14T10:22:05+08:00", '"-0.001"')).encode(),
    (pay % ("2023-03-14T10:22:05+08:00", "1")).encode().replace(b'"X"', b'"\xff\xfe"'),
    (pay % ("2023-03-14T10:22:05+08:00", "1")).encode().replace(b'"X"', b'"\\ud800"'),
]
for e in edge:
    put(out_dec, e)

for path in sorted((root / "Rules").rglob("*.rule")) + sorted((root / "Tests/Fixtures/broken-rules").glob("*.rule")):
    put(out_rules, path.read_bytes())

print(f"decoder corpus: {len(list(out_dec.iterdir()))} files; rules corpus: {len(list(out_rules.iterdir()))} files")

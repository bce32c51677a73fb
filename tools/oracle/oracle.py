#!/usr/bin/env python3
"""Independent reference implementation of the Qianliyan rule contract.

Semantics are derived only from /work/shared/contract/EVENTS.md and RULES.md.
Standard library only.

usage: oracle.py --reference REFDIR LEDGER[.gz] [LEDGER...] [--dead-letters]
                 [--stats FILE]

Prints `rule_id,anchor_event_id` CSV (sorted) on stdout, like
`qianliyan replay --dry-run`.  With --dead-letters it prints instead
`file,line_no,reason` for every line that breaks the contract.  --stats FILE
writes the number of distinct valid events and of dead letters to FILE.
"""
import csv
import datetime as dt
import gzip
import json
import re
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation
import os

# Deliberate misreadings of the contract, used only to measure how well the
# generated ledgers discriminate (see mutants.sh).  Empty in normal use.
MUT = os.environ.get("ORACLE_MUTANT", "")

# ---------------------------------------------------------------- parsing ---

class Num:
    """A JSON number, kept as its exact source text."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def decimal(self):
        return Decimal(self.text)


class Bad(Exception):
    pass


def _bad_constant(name):
    raise ValueError("not JSON: " + name)


def load_json(raw):
    return json.loads(raw, parse_float=Num, parse_int=Num,
                      parse_constant=_bad_constant)


EVENT_ID_RE = re.compile(r"[A-Za-z0-9._:\-]{1,64}\Z")
VILLAGE_RE = re.compile(r"[0-9]{12}\Z")
TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})\Z")
DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})\Z")
MONEY_STR_RE = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?\Z")
NUM_TEXT_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")  # no exponent

EPOCH = dt.datetime(1970, 1, 1)
US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
SHANGHAI = 8 * HOUR  # Asia/Shanghai: UTC+8, no DST since 1991


def parse_ts(s):
    """RFC 3339 -> integer microseconds since the epoch (UTC)."""
    if not isinstance(s, str):
        raise Bad("timestamp not a string")
    m = TS_RE.match(s)
    if not m:
        raise Bad("bad timestamp")
    y, mo, d, h, mi, se, frac, off = m.groups()
    y, mo, d, h, mi, se = map(int, (y, mo, d, h, mi, se))
    if h > 23 or mi > 59 or se > 59:
        raise Bad("bad timestamp time")
    try:
        base = dt.datetime(y, mo, d, h, mi, se)
    except ValueError:
        raise Bad("bad timestamp date")
    us = 0
    if frac:
        us = int((frac + "000000")[:6])  # kept to the microsecond (truncated)
        if MUT == "ts_ms":
            us = us // 1000 * 1000
    if off == "Z":
        offus = 0
    else:
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise Bad("bad offset")
        offus = (oh * 3600 + om * 60) * US
        if off[0] == "-":
            offus = -offus
    delta = base - EPOCH
    return (delta.days * 86400 + delta.seconds) * US + us - offus


def parse_date(s):
    if not isinstance(s, str):
        raise Bad("date not a string")
    m = DATE_RE.match(s)
    if not m:
        raise Bad("bad date")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise Bad("bad date")


def local_day_start(d):
    """Instant (us) of 00:00 Asia/Shanghai on local date d."""
    delta = dt.datetime(d.year, d.month, d.day) - EPOCH
    return (delta.days * 86400 + delta.seconds) * US - SHANGHAI


def money_fen(v):
    """Money (JSON number or decimal string) -> integer fen."""
    if isinstance(v, Num):
        t = v.text
        if not NUM_TEXT_RE.match(t):
            raise Bad("amount with exponent")
        if t.startswith("-"):
            if Decimal(t) != 0:
                raise Bad("negative amount")
            t = t[1:]           # -0 / -0.00: not negative (= 0)
        if "." in t:
            ip, fp = t.split(".")
            fp = fp.rstrip("0")
            if len(fp) > 2 and MUT != "money_round":
                raise Bad("amount with more than 2 decimals")
            fp = fp[:2]
        else:
            ip, fp = t, ""
        return int(ip) * 100 + int((fp + "00")[:2])
    if isinstance(v, str):
        m = MONEY_STR_RE.match(v)
        if not m:
            raise Bad("bad amount string")
        fp = m.group(2) or ""
        return int(m.group(1)) * 100 + int((fp + "00")[:2])
    raise Bad("amount of wrong type")


def money_csv(s):
    s = s.strip()
    m = MONEY_STR_RE.match(s)
    if not m:
        # tolerate more decimals if they are zeros
        d = Decimal(s)
        return int(d * 100)
    fp = m.group(2) or ""
    return int(m.group(1)) * 100 + int((fp + "00")[:2])


def number(v):
    if isinstance(v, Num):
        return v.decimal()
    raise Bad("not a number")


# field kinds
S, MONEY, NUMBER, DATE, PERIOD, STRLIST = "s", "m", "n", "d", "p", "l"

PAY_CATS = {"engineering", "procurement", "labor", "subsidy", "office",
            "travel", "hospitality", "lease", "other"}
REC_CATS = {"rent", "subsidy", "sale", "other"}

# type -> (required {field: kind/enum}, optional {field: kind})
TYPES = {
    "finance.payment": (
        {"voucher_no": S, "amount": MONEY, "payee_id": S,
         "category": PAY_CATS, "approver_id": S},
        {"payee_name": S, "payee_account": S, "purpose": S,
         "procurement_id": S, "project_id": S, "lease_id": S,
         "decision_ref": S}),
    "finance.receipt": (
        {"voucher_no": S, "amount": MONEY, "payer_id": S,
         "category": REC_CATS},
        {"lease_id": S}),
    "procurement.request": (
        {"procurement_id": S, "item_category": S, "budget_amount": MONEY,
         "requester_id": S},
        {"project_id": S}),
    "procurement.approval": (
        {"procurement_id": S, "approver_id": S, "approved_amount": MONEY}, {}),
    "procurement.quote": (
        {"procurement_id": S, "vendor_id": S, "item_category": S,
         "unit_price": MONEY, "quantity": NUMBER}, {}),
    "procurement.contract": (
        {"procurement_id": S, "vendor_id": S, "amount": MONEY,
         "signed_by": S}, {}),
    "procurement.acceptance": (
        {"procurement_id": S, "result": {"pass", "fail"}},
        {"inspector_ids": STRLIST}),
    "labor.attendance": (
        {"worker_id": S, "project_id": S, "work_date": DATE,
         "hours": NUMBER}, {}),
    "labor.wage": (
        {"worker_id": S, "project_id": S, "amount": MONEY,
         "period": PERIOD}, {}),
    "lease.contract": (
        {"lease_id": S, "asset_id": S, "lessee_id": S, "start_date": DATE,
         "end_date": DATE, "annual_rent": MONEY}, {}),
    "lease.rent_due": (
        {"lease_id": S, "due_date": DATE, "amount": MONEY}, {}),
    "lease.renewed": ({"lease_id": S, "end_date": DATE}, {}),
    "lease.terminated": ({"lease_id": S}, {}),
    "seal.application": (
        {"application_id": S, "seal_id": S, "applicant_id": S,
         "document_type": S}, {"purpose": S}),
    "seal.approval": (
        {"application_id": S, "approver_id": S,
         "decision": {"approved", "rejected"}}, {}),
    "seal.usage": (
        {"seal_id": S, "operator_id": S, "document_type": S},
        {"application_id": S}),
}
OPTIONAL_IDS = {"decision_ref", "application_id", "procurement_id",
                "project_id", "lease_id"}


def convert(kind, v, name):
    if isinstance(kind, set):
        if not isinstance(v, str) or v not in kind:
            raise Bad("bad enum " + name)
        return v
    if kind == S:
        if not isinstance(v, str):
            raise Bad("wrong type " + name)
        return v
    if kind == MONEY:
        return money_fen(v)
    if kind == NUMBER:
        return number(v)
    if kind == DATE:
        return parse_date(v)
    if kind == PERIOD:
        if not isinstance(v, str):
            raise Bad("wrong type " + name)
        m = PERIOD_RE.match(v)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise Bad("bad period")
        return v
    if kind == STRLIST:
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise Bad("wrong type " + name)
        return v
    raise AssertionError(kind)


def validate(obj):
    """Return a normalised event dict or raise Bad."""
    if not isinstance(obj, dict):
        raise Bad("not an object")
    for f in ("event_id", "type", "occurred_at", "village"):
        if obj.get(f) is None:
            raise Bad("missing " + f)
    eid = obj["event_id"]
    if not isinstance(eid, str) or not EVENT_ID_RE.match(eid):
        raise Bad("bad event_id")
    typ = obj["type"]
    if not isinstance(typ, str) or typ not in TYPES:
        raise Bad("unknown type")
    t = parse_ts(obj["occurred_at"])
    vil = obj["village"]
    if not isinstance(vil, str) or not VILLAGE_RE.match(vil):
        raise Bad("bad village")
    src = obj.get("source")
    if src is not None and not isinstance(src, str):
        raise Bad("wrong type source")
    ev = {"event_id": eid, "type": typ, "t": t, "village": vil}
    req, opt = TYPES[typ]
    for f, kind in req.items():
        v = obj.get(f)
        if v is None:
            raise Bad("missing " + f)
        ev[f] = convert(kind, v, f)
    for f, kind in opt.items():
        v = obj.get(f)
        if v is None:
            continue
        if MUT == "opt_wrong_type_ignored" and not isinstance(
                v, (str, list)) and kind in (S, STRLIST):
            continue
        cv = convert(kind, v, f)
        if f in OPTIONAL_IDS and cv == "" and not (
                MUT == "r01_empty_is_ref" and f == "decision_ref"):
            continue
        ev[f] = cv
    return ev


def open_ledger(path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_ledgers(paths):
    """-> (events in total order after dedup, dead letters)."""
    seen = set()
    events = []
    dead = []
    for path in paths:
        with open_ledger(path) as fh:
            data = fh.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for no, raw in enumerate(lines, 1):
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if raw.strip(b" \t\r") == b"":
                continue  # blank line: skipped, not a violation
            try:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise Bad("not UTF-8")
                try:
                    obj = load_json(text)
                except (ValueError, RecursionError):
                    raise Bad("bad json")
                ev = validate(obj)
            except Bad as e:
                dead.append((path, no, str(e)))
                if MUT == "malformed_claims":
                    try:
                        seen.add(json.loads(raw)["event_id"])
                    except Exception:
                        pass
                continue
            if ev["event_id"] in seen:
                if MUT == "dedup_last":
                    events[:] = [x for x in events
                                 if x["event_id"] != ev["event_id"]]
                    events.append(ev)
                continue  # later copy of a valid id: ignored
            seen.add(ev["event_id"])
            ev["arrival"] = len(events)
            events.append(ev)
    if MUT == "tie_arrival":
        events.sort(key=lambda e: (e["t"], e["arrival"]))
    elif MUT == "tie_casefold":
        events.sort(key=lambda e: (e["t"], e["event_id"].lower()))
    else:
        events.sort(key=lambda e: (e["t"], e["event_id"].encode()))
    return events, dead


# -------------------------------------------------------------- reference ---

class Reference:
    def __init__(self, d):
        self.people = {}
        with open(f"{d}/people.csv", newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                rel = [x.strip() for x in (r.get("relatives") or "").split(";")
                       if x.strip()]
                self.people[r["person_id"].strip()] = (
                    r["village"].strip(), r["role"].strip(), rel)
        self.vendors = {}
        with open(f"{d}/vendors.csv", newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                sh = [x.strip() for x in
                      (r.get("shareholder_ids") or "").split(";") if x.strip()]
                self.vendors[r["vendor_id"].strip()] = (
                    (r.get("legal_rep_id") or "").strip(), sh)
        self.prices = {}
        with open(f"{d}/reference_prices.csv", newline="",
                  encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                self.prices[r["item_category"].strip()] = money_csv(
                    r["unit_price"])
        self.limits = {}
        with open(f"{d}/village_limits.csv", newline="",
                  encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                self.limits[r["village"].strip()] = (
                    money_csv(r["approval_limit"]),
                    money_csv(r["decision_limit"]))
        # cadres per village, and for each village the set of persons that
        # are a cadre there or one hop related to one.
        self.cadres = defaultdict(set)
        for pid, (vil, role, _) in self.people.items():
            if role != "villager":
                self.cadres[vil].add(pid)
        self._related_cache = {}

    def approval_limit(self, v):
        return self.limits.get(v, (1000000, 5000000))[0]

    def decision_limit(self, v):
        return self.limits.get(v, (1000000, 5000000))[1]

    def related_set(self, vil):
        s = self._related_cache.get(vil)
        if s is not None:
            return s
        cad = self.cadres.get(vil, set())
        s = set(cad)
        for c in cad:
            s.update(self.people[c][2])          # cadre lists the relative
        for pid, (_, _, rel) in self.people.items():
            if MUT == "r10_one_way":
                break
            if any(r in cad for r in rel):       # relative lists the cadre
                s.add(pid)
        self._related_cache[vil] = s
        return s


# ------------------------------------------------------------------ rules ---

def _fsum(w):
    s = 0.0
    for x in w:
        s += float(x["hours"])
    return s


def window_rule(events, name, flt, key, W, cond, alerts):
    """Window aggregate with crossing semantics. W in us or None."""
    groups = defaultdict(list)
    for e in events:  # events already in total order
        if flt(e):
            groups[key(e)].append(e)
        elif MUT == "filter_resets" and name in ("split-payments",) and \
                e["type"] == "finance.payment":
            groups[key(e)].append(None)
    for g in groups.values():
        prev = False
        seen = []
        for e in g:
            if e is None:
                prev = False
                continue
            seen.append(e)
            if MUT == "win_excl":
                win = [x for x in seen if W is None or x["t"] > e["t"] - W]
            else:
                win = [x for x in seen if W is None or x["t"] >= e["t"] - W]
            if MUT == "win_ties_in":
                win += [x for x in g[len(seen):] if x is not None and
                        x["t"] == e["t"]]
            if MUT == "cross_now":
                prev = cond(win[:-1]) if len(win) > 1 else False
            now = cond(win)
            fire = now and not prev
            if MUT == "every_event":
                fire = now
            if fire:
                alerts.add((name, e["event_id"]))
            prev = now


def run_rules(events, ref):
    alerts = set()
    add = lambda r, e: alerts.add((r, e["event_id"]))
    pays = [e for e in events if e["type"] == "finance.payment"]

    # R01
    for e in pays:
        if e["amount"] >= ref.decision_limit(e["village"]) and \
                "decision_ref" not in e:
            add("large-payment-without-decision", e)

    # R02
    window_rule(
        events, "split-payments",
        lambda e: e["type"] == "finance.payment"
        and e["amount"] < ref.approval_limit(e["village"]),
        lambda e: (e["village"], e["payee_id"]), 7 * DAY,
        lambda w: len(w) >= 3 and (
            sum(x["amount"] for x in w) > ref.approval_limit(w[-1]["village"])
            if MUT == "r02_sum_gt" else
            sum(x["amount"] for x in w) >= ref.approval_limit(w[-1]["village"])),
        alerts)

    # R03
    window_rule(
        events, "repeat-reimbursement",
        lambda e: e["type"] == "finance.payment"
        and e["category"] in ("travel", "hospitality", "office"),
        lambda e: (e["village"], e["payee_id"]), 24 * HOUR,
        lambda w: len(w) >= 5, alerts)

    # precedence rules: single pass in total order
    accepted = set()          # (village, procurement_id) with a pass
    approved_proc = set()     # (village, procurement_id) with an approval
    quotes = defaultdict(set)  # (village, pid) -> vendor ids
    quote_count = defaultdict(int)
    seal_appr = defaultdict(list)  # (village, application_id) -> [t]
    attendance = set()        # (worker, project, 'YYYY-MM')
    for e in events:
        ty = e["type"]
        if ty == "finance.payment":
            pid = e.get("procurement_id")
            if pid and (e["village"], pid) not in accepted and not (
                    MUT == "r04_any_village" and
                    any(a[1] == pid for a in accepted)):
                add("payment-before-acceptance", e)
        elif ty == "procurement.acceptance":
            if e["result"] == "pass":
                accepted.add((e["village"], e["procurement_id"]))
        elif ty == "procurement.approval":
            approved_proc.add((e["village"], e["procurement_id"]))
        elif ty == "procurement.quote":
            quotes[(e["village"], e["procurement_id"])].add(e["vendor_id"])
            quote_count[(e["village"], e["procurement_id"])] += 1
            refp = ref.prices.get(e["item_category"])
            if refp is not None and (
                    e["unit_price"] * 10 >= refp * 13 if MUT == "r11_ge"
                    else e["unit_price"] / 100 > 1.3 * (refp / 100)
                    if MUT == "r11_float"
                    else e["unit_price"] * 10 > refp * 13):
                add("quote-above-reference", e)
        elif ty == "procurement.contract":
            k = (e["village"], e["procurement_id"])
            if k not in approved_proc:
                add("contract-without-approval", e)
            nq = len(quotes[k])
            if MUT == "r06_count_quotes":
                nq = quote_count[k]
            if e["amount"] >= ref.decision_limit(e["village"]) and nq < 3:
                add("contract-without-three-quotes", e)
        elif ty == "seal.approval":
            if e["decision"] == "approved":
                seal_appr[(e["village"], e["application_id"])].append(e["t"])
        elif ty == "seal.usage":
            aid = e.get("application_id")
            ok = False
            if aid:
                ok = any((t > e["t"] - 72 * HOUR if MUT == "r07_excl"
                          else t >= e["t"] - 72 * HOUR)
                         for t in seal_appr.get((e["village"], aid), ()))
            if not ok:
                add("seal-use-without-approval", e)
            local = (e["t"] + (0 if MUT == "r08_utc" else SHANGHAI)) % DAY
            if MUT == "r08_excl22":
                night = local > 22 * HOUR or local < 6 * HOUR
            else:
                night = local >= 22 * HOUR or local < 6 * HOUR
            if night:
                add("seal-use-at-night", e)
        elif ty == "labor.attendance":
            m = e["work_date"].isoformat()[:7]
            if MUT == "r13_utc_month":
                m = (EPOCH + dt.timedelta(microseconds=e["t"])).strftime(
                    "%Y-%m")
            attendance.add((e["worker_id"], e["project_id"], m))
            if MUT == "r13_same_village":
                attendance.discard((e["worker_id"], e["project_id"], m))
                attendance.add((e["village"], e["worker_id"],
                                e["project_id"], m))
        elif ty == "labor.wage":
            k = (e["worker_id"], e["project_id"], e["period"])
            if MUT == "r13_same_village":
                k = (e["village"],) + k
            if k not in attendance:
                add("wage-without-attendance", e)

    # R09
    if events:
        watermark = max(e["t"] for e in events)
        if MUT == "r09_wm_strict":
            watermark -= 1
        receipts = defaultdict(list)
        for e in events:
            if e["type"] == "finance.receipt" and e["category"] == "rent" \
                    and e.get("lease_id"):
                receipts[(e["village"], e["lease_id"])].append(e)
        for e in events:
            if e["type"] != "lease.rent_due":
                continue
            D = e["due_date"]
            lo = local_day_start(D - dt.timedelta(days=30))
            hi = local_day_start(D + dt.timedelta(days=31))
            if hi > watermark:
                continue  # deadline after the end of the ledger: no fire
            paid = sum(r["amount"] for r in receipts[(e["village"],
                                                       e["lease_id"])]
                       if (lo <= r["t"] <= hi if MUT == "r09_incl_hi"
                           else lo < r["t"] < hi if MUT == "r09_excl_lo"
                           else lo <= r["t"] < hi)
                       and (MUT != "r09_before_only" or
                            (r["t"], r["event_id"]) < (e["t"], e["event_id"])))
            if paid < e["amount"] or (MUT == "r09_need_more" and
                                      paid == e["amount"]):
                add("lease-rent-overdue", e)

    # R10
    for e in pays:
        rel = ref.related_set(e["village"])
        p = e["payee_id"]
        hit = p in rel
        if MUT == "r10_no_vendor":
            pass
        elif not hit and p in ref.vendors:
            lr, sh = ref.vendors[p]
            hit = (lr and lr in rel) or any(s in rel for s in sh)
        if hit:
            add("payee-related-to-cadre", e)

    # R12
    window_rule(
        events, "payee-fund-concentration",
        lambda e: e["type"] == "finance.payment",
        lambda e: e["payee_id"], 30 * DAY,
        lambda w: len({x["village"] for x in w}) >= 3
        and sum(x["amount"] for x in w) >= 200000 * 100,
        alerts)

    # R14
    window_rule(
        events, "double-attendance",
        lambda e: e["type"] == "labor.attendance",
        lambda e: (e["worker_id"], e["work_date"]), None,
        lambda w: (_fsum(w) if MUT == "r14_float"
                   else sum(x["hours"] for x in w)) > 12
        and len({x["project_id"] for x in w}) >= 2,
        alerts)
    return alerts


def main(argv):
    ref_dir = None
    paths = []
    dead_mode = False
    stats_file = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--reference":
            ref_dir = argv[i + 1]
            i += 2
            continue
        if a == "--stats":
            stats_file = argv[i + 1]
            i += 2
            continue
        if a == "--dead-letters":
            dead_mode = True
        else:
            paths.append(a)
        i += 1
    if not paths or (ref_dir is None and not dead_mode):
        print(__doc__, file=sys.stderr)
        return 2
    events, dead = read_ledgers(paths)
    if stats_file:
        with open(stats_file, "w") as fh:
            fh.write("events %d\ndead_letters %d\n" % (len(events), len(dead)))
    out = sys.stdout
    if dead_mode:
        out.write("file,line_no,reason\n")
        for f, n, r in dead:
            out.write(f"{f},{n},{r}\n")
        return 0
    ref = Reference(ref_dir)
    alerts = run_rules(events, ref)
    out.write("rule_id,anchor_event_id\n")
    for r, a in sorted(alerts):
        out.write(f"{r},{a}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

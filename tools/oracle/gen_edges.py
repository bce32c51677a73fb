#!/usr/bin/env python3
"""Seeded generator of small, edge-heavy ledgers for differential testing.

usage: gen_edges.py SEED OUTDIR [--order local|shuffle] [--exotic]

Writes OUTDIR/ledger.jsonl and OUTDIR/ref/{people,vendors,reference_prices,
village_limits}.csv.  Standard library only; the same seed gives the same
files.

--order local   (default) arrival disorder stays below 40 h of event time
--order shuffle arrival order is a full random shuffle (run the binary with
                a large --reorder-hours)
--exotic        also emit inputs whose reading is debatable or rarely seen
                (negative / exponent hours, >6 fractional digits, CRLF line
                ends, odd offsets, unknown fields of wrong type, ...)
"""
import datetime as dt
import json
import os
import random
import sys

US = 1_000_000
MS = 1000
SEC = US
MIN = 60 * US
HOUR = 3600 * US
DAY = 24 * HOUR
SH = 8 * HOUR
EPOCH = dt.datetime(1970, 1, 1)

R = random.Random()
EXOTIC = False


def instant(y, mo, d, h=0, mi=0, s=0, us=0, off_h=8):
    delta = dt.datetime(y, mo, d, h, mi, s) - EPOCH
    return (delta.days * 86400 + delta.seconds) * US + us - off_h * HOUR


def local_day_start(d):
    return instant(d.year, d.month, d.day)


def local_date(t):
    return (EPOCH + dt.timedelta(microseconds=t + SH)).date()


# ------------------------------------------------------------ formatting ---

OFFSETS_COMMON = [0, 0, 8 * 60, 8 * 60, 8 * 60]        # minutes
OFFSETS_ODD = [-5 * 60, 5 * 60 + 45, -(9 * 60 + 30), 14 * 60, -12 * 60, 60]


def fmt_ts(t):
    """Render instant t (us) in a randomly chosen but exact RFC 3339 form."""
    offs = OFFSETS_COMMON + (OFFSETS_ODD if R.random() < 0.15 else [])
    off = R.choice(offs)
    z_form = off == 0 and R.random() < 0.6
    local = EPOCH + dt.timedelta(microseconds=t + off * MIN)
    s = local.strftime("%Y-%m-%dT%H:%M:%S")
    us = t % US
    r = R.random()
    if us == 0:
        if r < 0.15:
            s += ".000"
        elif r < 0.2:
            s += ".000000"
        elif r < 0.23:
            s += ".0"
    elif us % MS == 0:
        if r < 0.7:
            s += ".%03d" % (us // MS)
        elif r < 0.9:
            s += ".%06d" % us
        else:
            frac = "%03d" % (us // MS)
            s += "." + (frac.rstrip("0") or "0")
    else:
        s += ".%06d" % us
        if EXOTIC and R.random() < 0.1:
            s += "999"   # >6 digits: "kept to the microsecond"
    if z_form:
        s += "Z"
    else:
        sign = "+" if off >= 0 else "-"
        s += "%s%02d:%02d" % (sign, abs(off) // 60, abs(off) % 60)
    return s


def fmt_money(fen, allow_string=True):
    """An exact money rendering of `fen`, as number or decimal string."""
    y, f = divmod(fen, 100)
    forms = []
    if f == 0:
        forms += [("n", "%d" % y), ("n", "%d.0" % y), ("n", "%d.00" % y),
                  ("n", "%d.000" % y)]
        if allow_string:
            forms += [("s", "%d" % y), ("s", "%d.0" % y), ("s", "%d.00" % y)]
    elif f % 10 == 0:
        forms += [("n", "%d.%d" % (y, f // 10)), ("n", "%d.%02d" % (y, f)),
                  ("n", "%d.%02d0" % (y, f))]
        if allow_string:
            forms += [("s", "%d.%d" % (y, f // 10)), ("s", "%d.%02d" % (y, f))]
    else:
        forms += [("n", "%d.%02d" % (y, f)), ("n", "%d.%02d0" % (y, f))]
        if allow_string:
            forms += [("s", "%d.%02d" % (y, f))]
    kind, text = R.choice(forms)
    return Raw(text) if kind == "n" else text


class Raw:
    """A JSON number emitted verbatim."""

    def __init__(self, text):
        self.text = text


def dumps(obj):
    """json.dumps that emits Raw numbers verbatim."""
    if isinstance(obj, Raw):
        return obj.text
    if isinstance(obj, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + dumps(v)
                               for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(dumps(v) for v in obj) + "]"
    if isinstance(obj, str) and obj and R.random() < 0.03:
        # the same string with some characters written as JSON escapes
        out = []
        for ch in obj:
            if R.random() < 0.3:
                out.append("\\u%04x" % ord(ch) if R.random() < .5
                           else "\\u%04X" % ord(ch))
            elif ch == "/" :
                out.append("\\/")
            else:
                out.append(json.dumps(ch)[1:-1])
        return '"' + "".join(out) + '"'
    return json.dumps(obj, ensure_ascii=R.random() < 0.5)


# ----------------------------------------------------------------- ledger ---

class Ledger:
    def __init__(self):
        self.events = []      # (t, dict)
        self.extra_lines = []  # (anchor_t, raw line) malformed / duplicates
        self.ids = set()
        self.n = 0

    def new_id(self, prefix="e"):
        while True:
            self.n += 1
            style = R.random()
            if style < 0.02:
                eid = ("%s%d." % (prefix, self.n)).ljust(64, R.choice("-._:Zz9"))
            elif style < 0.4:
                eid = "%s%05d" % (prefix, self.n)
            elif style < 0.6:
                eid = "%s-%d" % (prefix.upper(), self.n)
            elif style < 0.8:
                eid = "%s:%d:%s" % (prefix, self.n, R.choice("abcXYZ"))
            else:
                eid = "%s.%d_%s" % (prefix, self.n, R.choice("qQ0-."))
            if eid not in self.ids:
                return eid

    def tie_ids(self, k):
        """k ids that differ only in case or punctuation (byte-order edge)."""
        while True:
            self.n += 1
            base = "tie%d" % self.n
            variants = [base + s for s in
                        ("a", "A", "-a", ".a", ":a", "_a", "0a", "Z", "z",
                         "a-", "a.", "a:", "a_", "-A", "")]
            R.shuffle(variants)
            out = [v for v in variants if v not in self.ids][:k]
            if len(out) == k:
                return out

    def add(self, typ, t, village, eid=None, **fields):
        if eid is None:
            eid = self.new_id(typ.split(".")[1][:3])
        assert eid not in self.ids, eid
        self.ids.add(eid)
        ev = {"event_id": eid, "type": typ, "occurred_at": fmt_ts(t),
              "village": village}
        if R.random() < 0.3:
            ev["source"] = R.choice(["村级财务代理中心", "sanzi-cw",
                                     "seal-sleeve-gw", "lw-attend"])
        for k, v in fields.items():
            if v is ABSENT:
                continue
            ev[k] = v
        if R.random() < 0.1:
            ev["trace_id"] = "%016x" % R.getrandbits(64)
        self.events.append((t, ev))
        return ev



class _Absent:
    pass


ABSENT = _Absent()


def opt_empty(value):
    """Value of an optional id: present, empty, null or absent."""
    r = R.random()
    if r < 0.25:
        return ""
    if r < 0.4:
        return None
    if r < 0.6:
        return ABSENT
    return value


# ---------------------------------------------------------------- context ---

class World:
    def __init__(self):
        # 5 villages in 2 townships; limits: some overridden
        county = "3305%02d" % R.randint(10, 99)
        tA, tB = county + "001", county + "101"
        self.villages = [tA + "200", tA + "201", tB + "201", tB + "202",
                         tB + "205"]
        self.limits = {}
        for v in self.villages[1:]:
            r = R.random()
            if r < 0.3:
                self.limits[v] = (500000, 3000000)       # 5000 / 30000 yuan
            elif r < 0.5:
                self.limits[v] = (2000000, 10000000)
            elif r < 0.6:
                self.limits[v] = (1000000, 5000000)      # listed = defaults
            elif r < 0.7:
                self.limits[v] = (R.randint(1, 3000000),
                                  R.randint(3000000, 8000000))
        self.people = {}      # id -> [village, role, relatives]
        self.vendors = {}     # id -> (legal_rep, [shareholders])
        self.prices = {}
        self.base = None

    def approval_limit(self, v):
        return self.limits.get(v, (1000000, 5000000))[0]

    def decision_limit(self, v):
        return self.limits.get(v, (1000000, 5000000))[1]

    def vil(self):
        return R.choice(self.villages)

    def person(self):
        return "3305%013d" % R.getrandbits(40) + R.choice("0123456789X")

    def build_people(self):
        roles = ["secretary", "director", "committee_member", "accountant",
                 "supervisor"]
        for v in self.villages:
            for i in range(R.randint(3, 6)):
                pid = self.person()
                role = roles[i % len(roles)]
                self.people[pid] = [v, role, []]
            for i in range(R.randint(4, 8)):
                self.people[self.person()] = [v, "villager", []]
        ids = list(self.people)
        # relatives: one-directional links in both directions, some to
        # persons absent from people, some cross-village
        for pid in ids:
            for _ in range(R.choice([0, 0, 1, 1, 2])):
                r = R.random()
                if r < 0.3:
                    other = self.person()        # absent from people
                else:
                    other = R.choice(ids)
                if other != pid and other not in self.people[pid][2]:
                    self.people[pid][2].append(other)
        # vendors
        for i in range(12):
            vid = "91%s" % "".join(R.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                   for _ in range(16))
            pool = ids + [self.person() for _ in range(5)]
            self.vendors[vid] = (R.choice(pool) if R.random() < 0.9 else "",
                                 R.sample(pool, R.choice([0, 1, 2, 3])))
        for cat, p in [("cement_ton", 48000), ("rebar_ton", 420000),
                       ("brick_piece", 70), ("sand_m3", 8500),
                       ("pipe_m", 1), ("paint_l", 3333), ("lamp", 10)]:
            if R.random() < 0.85:
                self.prices[cat] = p
        self.categories = list(self.prices) + ["no_ref_item", "gravel_t"]

    def write_ref(self, d):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "people.csv"), "w", encoding="utf-8") as f:
            f.write("person_id,name,village,role,relatives\n")
            for pid, (v, role, rel) in self.people.items():
                f.write("%s,某%s,%s,%s,%s\n" % (pid, pid[-3:], v, role,
                                                ";".join(rel)))
        with open(os.path.join(d, "vendors.csv"), "w", encoding="utf-8") as f:
            f.write("vendor_id,name,legal_rep_id,shareholder_ids\n")
            for vid, (lr, sh) in self.vendors.items():
                f.write("%s,公司%s,%s,%s\n" % (vid, vid[-4:], lr, ";".join(sh)))
        with open(os.path.join(d, "reference_prices.csv"), "w") as f:
            f.write("item_category,unit_price\n")
            for c, p in self.prices.items():
                f.write("%s,%d.%02d\n" % (c, p // 100, p % 100))
        with open(os.path.join(d, "village_limits.csv"), "w") as f:
            f.write("village,approval_limit,decision_limit\n")
            for v, (a, dl) in self.limits.items():
                fa = ("%d" % (a // 100)) if a % 100 == 0 and R.random() < .5 \
                    else "%d.%02d" % (a // 100, a % 100)
                fd = "%d.%02d" % (dl // 100, dl % 100)
                f.write("%s,%s,%s\n" % (v, fa, fd))


# ---------------------------------------------------------- time helpers ---

def jitter_choices(W):
    return [0, 0, 1, -1, MS, -MS, SEC, -SEC, 1]


def boundary_times(n, W, start):
    """n times rich in exact-W, W±1ms/us relations and ties."""
    ts = [start]
    for _ in range(n - 1):
        r = R.random()
        if r < 0.15:
            t = ts[-1]                                    # tie
        elif r < 0.45 and W:
            t = R.choice(ts) + W + R.choice(jitter_choices(W))
        elif r < 0.75:
            t = ts[-1] + R.choice([MS, SEC, MIN, HOUR, 3 * HOUR, DAY // 2])
        elif r < 0.85 and W:
            t = ts[-1] + W + R.randint(1, 3) * DAY        # quiet gap
        else:
            t = ts[-1] + R.randint(0, 2 * DAY)
        ts.append(t)
    return ts


# -------------------------------------------------------------- scenarios ---

def payment(L, W, t, v, amount, payee=None, eid=None, **kw):
    f = dict(voucher_no="PZ%08d" % R.getrandbits(26),
             amount=fmt_money(amount),
             payee_id=payee or W.person(),
             category=kw.pop("category", R.choice(
                 ["engineering", "procurement", "labor", "subsidy", "other",
                  "lease"])),
             approver_id=R.choice(list(W.people)))
    if R.random() < 0.3:
        f["purpose"] = "支出"
    f.update(kw)
    return L.add("finance.payment", t, v, eid=eid, **f)


def sc_r01(L, W, t0):
    for _ in range(R.randint(3, 8)):
        v = W.vil()
        dl = W.decision_limit(v)
        amt = dl + R.choice([0, 0, -1, 1, 100, -100, 5000000])
        payment(L, W, t0 + R.randint(0, 10 * DAY), v, max(amt, 0),
                decision_ref=R.choice(["", "", None, ABSENT, ABSENT,
                                       "JY-2023-%d" % R.randint(1, 99)]))


def sc_window_payments(L, W, t0, rule):
    """R02 / R03 sequences on one (village, payee) key."""
    v = W.vil()
    payee = R.choice(list(W.people) + list(W.vendors) + [W.person()])
    al = W.approval_limit(v)
    n = R.randint(3, 9)
    if rule == "R02":
        ts = boundary_times(n, 7 * DAY, t0)
    else:
        ts = boundary_times(n, 24 * HOUR, t0)
    tie_ids = L.tie_ids(n) if R.random() < 0.5 else [None] * n
    amounts = []
    for i, t in enumerate(ts):
        r = R.random()
        if rule == "R02":
            if r < 0.3:
                a = al // 3 + R.choice([0, 1, 34, -1])
            elif r < 0.45:
                a = al                             # at limit: not filtered
            elif r < 0.6 and amounts:
                a = max(al - sum(amounts[-2:]), 0)  # exact complement
                if a >= al:
                    a = al - 1
            elif r < 0.7:
                a = al - 1
            else:
                a = R.randint(1, al // 2 or 1)
            cat = R.choice(["engineering", "labor", "other", "office"])
        else:
            a = R.randint(1, 200000)
            cat = R.choice(["travel", "hospitality", "office", "office",
                            "travel", "other", "subsidy"])
        amounts.append(a)
        payment(L, W, t, v, a, payee=payee, eid=tie_ids[i], category=cat)
    # a same-payee event in another village interleaved (different key)
    if R.random() < 0.5:
        payment(L, W, R.choice(ts), R.choice(W.villages), amounts[0],
                payee=payee, category="travel")


def sc_r12(L, W, t0):
    payee = R.choice(list(W.vendors) + [W.person()])
    n = R.randint(3, 7)
    ts = boundary_times(n, 30 * DAY, t0)
    base = R.choice([6666667, 6666666, 10000000, 5000000, 20000000])
    tie_ids = L.tie_ids(n) if R.random() < 0.4 else [None] * n
    for i, t in enumerate(ts):
        v = W.villages[i % 3] if R.random() < 0.7 else W.vil()
        amt = base + R.choice([0, 0, 0, 1, -1, 100])
        if R.random() < 0.2:
            amt = 20000000 - base * 2
        payment(L, W, t, v, max(amt, 1), payee=payee, eid=tie_ids[i],
                decision_ref=R.choice(["JY-%d" % i, "JY-%d" % i, ""]))


def sc_r14(L, W, t0):
    worker = R.choice(list(W.people) + [W.person()])
    d = local_date(t0)
    n = R.randint(2, 6)
    projects = ["XM-%d" % R.randint(1, 3) for _ in range(n)]
    hours_pool = [Raw("8"), Raw("4"), Raw("6"), Raw("6.0"), Raw("0.5"),
                  Raw("4.1"), Raw("3.8"), Raw("0.1"), Raw("0.2"),
                  Raw("11.9"), Raw("12"), Raw("12.1"), Raw("7.3"),
                  Raw("4.7"), Raw("0.7"), Raw("5.6")]
    if EXOTIC:
        hours_pool += [Raw("-4"), Raw("1e1"), Raw("0.3e1"), Raw("2.5E0")]
    ts = boundary_times(n, None, t0)
    ids = L.tie_ids(n) if R.random() < 0.5 else [None] * n
    traps = None
    if R.random() < 0.3:
        # decimal sum exactly 12, binary-float left-to-right sum 12.000..02
        traps = R.choice([("7.4", "3.2", "1.4"), ("10.8", "1.05", "0.15"),
                          ("2.4", "8.3", "1.3"), ("5.4", "2.95", "3.65"),
                          ("1.8", "8.4", "1.8")])
        n = 3
        ts = [t0, t0 + HOUR, t0 + 2 * HOUR]
        projects = ["XM-1", "XM-2", "XM-3"]
        ids = [None] * 3
    for i in range(n):
        wd = d if R.random() < 0.85 or traps else d + dt.timedelta(days=1)
        L.add("labor.attendance", ts[i], W.vil(), eid=ids[i],
              worker_id=worker, project_id=projects[i], work_date=wd.isoformat(),
              hours=Raw(traps[i]) if traps else R.choice(hours_pool))


def sc_r13(L, W, t0):
    worker = R.choice(list(W.people) + [W.person()])
    proj = "XM-%d" % R.randint(1, 4)
    # a month boundary near t0
    d = local_date(t0)
    first = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    last = first - dt.timedelta(days=1)
    M = R.choice([first, last]).strftime("%Y-%m")
    tb = local_day_start(first)       # local midnight = 16:00Z previous day
    tw = tb + R.choice([-HOUR, 0, HOUR, -9 * HOUR, 7 * HOUR, 20 * DAY])
    ids = L.tie_ids(2) if R.random() < 0.5 else [None, None]
    wage_t = tw
    wages = [(M, ids[0])]
    for (period, eid) in wages:
        L.add("labor.wage", wage_t, W.vil(), eid=eid, worker_id=worker,
              project_id=proj, amount=fmt_money(R.randint(10000, 900000)),
              period=period)
    for _ in range(R.randint(0, 3)):
        wd = R.choice([first, last, first + dt.timedelta(days=1),
                       last - dt.timedelta(days=1)])
        at_t = R.choice([wage_t, wage_t - 1, wage_t + 1, wage_t - DAY,
                         wage_t + DAY, local_day_start(wd) + 8 * HOUR])
        eid = ids[1] if at_t == wage_t and R.random() < 0.7 and \
            ids[1] is not None and ids[1] not in L.ids else None
        L.add("labor.attendance", at_t, W.vil(), eid=eid, worker_id=worker,
              project_id=proj if R.random() < 0.85 else proj + "x",
              work_date=wd.isoformat(), hours=Raw("8"))


def sc_procurement(L, W, t0):
    """R04, R05, R06 around one procurement id (ids repeat across villages)."""
    v = W.vil()
    pid = "CG-%d" % R.randint(1, 40)
    dl = W.decision_limit(v)
    ids = L.tie_ids(6)
    tc = t0 + R.randint(0, 5 * DAY)
    # approval: before / tie / after / other village / none
    r = R.random()
    if r < 0.75:
        ta = R.choice([tc, tc, tc - 1, tc + 1, tc - DAY, tc - SEC])
        L.add("procurement.approval", ta, v if R.random() < 0.85 else W.vil(),
              eid=ids[0] if ta == tc else None, procurement_id=pid,
              approver_id=R.choice(list(W.people)),
              approved_amount=fmt_money(dl))
    # quotes
    vendors = list(W.vendors)
    for i in range(R.randint(0, 5)):
        tq = R.choice([tc - DAY, tc - HOUR, tc, tc + 1, tc - 1])
        cat = R.choice(W.categories)
        refp = W.prices.get(cat, 1000)
        up = refp * 13 // 10 + R.choice([0, 0, 1, -1, 100])
        if (refp * 13) % 10:
            up = refp * 13 // 10 + R.choice([0, 1])
        L.add("procurement.quote", tq,
              v if R.random() < 0.9 else W.vil(),
              eid=ids[1 + i] if tq == tc and i < 4 else None,
              procurement_id=pid, vendor_id=R.choice(vendors[:4]),
              item_category=cat, unit_price=fmt_money(max(up, 0)),
              quantity=R.choice([Raw("10"), Raw("2.5"), Raw("0")] +
                                ([Raw("1e1"), Raw("-2")] if EXOTIC else [])))
    amt = dl + R.choice([0, -1, 1, -dl // 2])
    L.add("procurement.contract", tc, v, eid=ids[5], procurement_id=pid,
          vendor_id=R.choice(vendors), amount=fmt_money(max(amt, 0)),
          signed_by=R.choice(list(W.people)))
    # acceptance then payments
    tacc = tc + R.randint(1, 10) * DAY
    acc_ids = L.tie_ids(2)
    r = R.random()
    if r < 0.8:
        L.add("procurement.acceptance", tacc,
              v if R.random() < 0.75 else W.vil(), eid=acc_ids[0],
              procurement_id=pid, result=R.choice(["pass", "pass", "fail"]),
              inspector_ids=R.choice([ABSENT, [], ["a", "b"]]))
    for _ in range(R.randint(1, 3)):
        tp = R.choice([tacc, tacc, tacc - 1, tacc + 1, tacc + DAY])
        payment(L, W, tp, v, R.randint(100, 2000000),
                eid=acc_ids[1] if tp == tacc and acc_ids[1] not in L.ids
                else None,
                procurement_id=opt_empty(pid), category="procurement")


def sc_r11(L, W, t0):
    for _ in range(R.randint(2, 6)):
        cat = R.choice(W.categories)
        refp = W.prices.get(cat, R.randint(1, 10000))
        lim10 = refp * 13            # unit_price*10 must exceed this
        up = lim10 // 10 + R.choice([0, 0, 1, 1, -1, 2])
        L.add("procurement.quote", t0 + R.randint(0, 20 * DAY), W.vil(),
              procurement_id="CG-%d" % R.randint(1, 40),
              vendor_id=R.choice(list(W.vendors)), item_category=cat,
              unit_price=fmt_money(max(up, 0)),
              quantity=Raw(R.choice(["1", "3", "0.5"])))


def sc_seal(L, W, t0):
    """R07 approvals at 72 h boundaries, R08 local night boundaries."""
    v = W.vil()
    app = "YY-%d" % R.randint(1, 30)
    d = local_date(t0)
    night = [(22, 0, 0, 0), (21, 59, 59, 999000), (5, 59, 59, 999999),
             (6, 0, 0, 0), (0, 0, 0, 0), (23, 59, 59, 999000),
             (12, 0, 0, 0), (21, 59, 59, 999999), (6, 0, 0, 1)]
    h, m, s, us = R.choice(night)
    tu = instant(d.year, d.month, d.day, h, m, s, us)
    ids = L.tie_ids(3)
    L.add("seal.application", tu - 80 * HOUR, v, application_id=app,
          seal_id="S-1", applicant_id=R.choice(list(W.people)),
          document_type="contract")
    for i in range(R.randint(0, 2)):
        ta = tu - R.choice([72 * HOUR, 72 * HOUR, 72 * HOUR + 1,
                            72 * HOUR + MS, 72 * HOUR - 1, 0, 0, HOUR,
                            -HOUR])
        L.add("seal.approval", ta, v if R.random() < 0.85 else W.vil(),
              eid=ids[i] if ta == tu else None, application_id=app,
              approver_id=R.choice(list(W.people)),
              decision=R.choice(["approved", "approved", "rejected"]))
    aid = app if R.random() < 0.7 else opt_empty(app)
    L.add("seal.usage", tu, v, eid=ids[2], seal_id="S-1",
          operator_id=R.choice(list(W.people)), document_type="contract",
          application_id=aid)


def sc_r09(L, W, t0, dues):
    v = W.vil()
    lease = "ZL-%d" % R.randint(1, 5)
    D0 = local_date(t0)
    for k in range(R.randint(1, 3)):
        D = D0 + dt.timedelta(days=R.choice([0, 15, 30, 31]) * k)
        A = R.choice([100000, 869429, 1250050, 99, 0])
        L.add("lease.rent_due",
              local_day_start(D) + R.choice([0, HOUR, -DAY, 40 * DAY]), v,
              lease_id=lease, due_date=D.isoformat(),
              amount=fmt_money(A))
        dues.append(local_day_start(D + dt.timedelta(days=31)))
        lo = local_day_start(D - dt.timedelta(days=30))
        hi = local_day_start(D + dt.timedelta(days=31))
        parts = R.choice([[A], [A // 2, A - A // 2], [max(A - 1, 0)], [A, 1],
                          [0], [],
                          [A // 3, A // 3, A - 2 * (A // 3)]])
        for p in parts:
            t = R.choice([lo, lo - 1, hi - 1, hi, lo + DAY, hi - MS,
                          local_day_start(D) + 10 * HOUR])
            cat = "rent" if R.random() < 0.85 else R.choice(["other", "sale"])
            L.add("finance.receipt", t, v if R.random() < 0.9 else W.vil(),
                  voucher_no="SK%d" % R.getrandbits(20),
                  amount=fmt_money(p), payer_id=W.person(), category=cat,
                  lease_id=lease if R.random() < 0.9 else opt_empty(lease))
    if R.random() < 0.3:
        L.add("lease.renewed", t0 + DAY, v, lease_id=lease,
              end_date=(D0 + dt.timedelta(days=365)).isoformat())
    if R.random() < 0.2:
        L.add("lease.terminated", t0 + 2 * DAY, v, lease_id=lease)
    if R.random() < 0.2:
        L.add("lease.contract", t0 - 10 * DAY, v, lease_id=lease,
              asset_id="ZC-1", lessee_id=W.person(),
              start_date=D0.isoformat(),
              end_date=(D0 + dt.timedelta(days=365)).isoformat(),
              annual_rent=fmt_money(1200000))


def sc_r10(L, W, t0):
    cadres = [p for p, x in W.people.items() if x[1] != "villager"]
    for _ in range(R.randint(3, 8)):
        v = W.vil()
        r = R.random()
        if r < 0.2:
            payee = R.choice(cadres)
        elif r < 0.5:
            c = R.choice(cadres)
            rel = W.people[c][2] or [W.person()]
            payee = R.choice(rel)
        elif r < 0.65:
            # someone who lists a cadre
            lst = [p for p, x in W.people.items() if x[2]]
            payee = R.choice(lst) if lst else W.person()
        elif r < 0.9:
            payee = R.choice(list(W.vendors))
        else:
            payee = R.choice(list(W.people))
        # make the village match the payee's village half of the time
        if payee in W.people and R.random() < 0.5:
            v = W.people[payee][0]
        payment(L, W, t0 + R.randint(0, 30 * DAY), v,
                R.randint(100, 800000), payee=payee)


def sc_dups(L, W):
    """Re-sent copies: identical, and with different content."""
    for t, ev in R.sample(L.events, min(len(L.events), 25)):
        r = R.random()
        copy = dict(ev)
        if r < 0.5:
            pass
        else:
            # different content: change amount / time / type-specific fields
            if "amount" in copy:
                copy["amount"] = fmt_money(R.randint(0, 9000000))
            if "decision_ref" in copy:
                del copy["decision_ref"]
            if "result" in copy:
                copy["result"] = "fail" if copy["result"] == "pass" else "pass"
            if "decision" in copy:
                copy["decision"] = "rejected"
            if "application_id" in copy and R.random() < .5:
                copy["application_id"] = ""
            if "hours" in copy:
                copy["hours"] = Raw("13")
            nt = t + R.choice([0, HOUR, -HOUR, 2 * HOUR])
            copy["occurred_at"] = fmt_ts(nt)
            if R.random() < 0.3:
                copy["type"] = "lease.terminated"
                copy["lease_id"] = "ZL-1"
        # copies mostly arrive after the original; a changed copy sometimes
        # arrives first (then it is the event and the original is ignored)
        delta = R.randint(1, 30 * HOUR)
        if r >= 0.5 and R.random() < 0.25:
            delta = -R.randint(1, 6 * HOUR)
        L.extra_lines.append((t, dumps(copy), ev["event_id"], delta))


def sc_malformed(L, W, t0):
    """Malformed lines that would change alerts if they were accepted."""
    v = W.vil()
    dl = W.decision_limit(v)
    payee = W.person()
    base = {"event_id": L.new_id("bad"), "type": "finance.payment",
            "occurred_at": fmt_ts(t0), "village": v, "voucher_no": "PZ1",
            "amount": Raw("%d" % (dl // 100 + 1)), "payee_id": payee,
            "category": "other", "approver_id": "x"}
    big = dl // 100 + 1
    muts = [
        ("amount", Raw("%d.234" % big)), ("amount", Raw("-%d" % big)),
        ("amount", Raw("%de0" % big)), ("amount", Raw("%d.5E1" % big)),
        ("amount", "%d,000" % big), ("amount", "%d.345" % big),
        ("amount", "%d.001" % big), ("amount", Raw("%d.001" % big)),
        ("amount", " %d" % big), ("amount", "+%d" % big),
        ("amount", "-%d" % big), ("amount", "%d.5e0" % big),
        ("amount", ".5"), ("amount", "%d." % big), ("amount", True),
        ("occurred_at", fmt_ts(t0).replace("T", "t")),
        ("occurred_at", fmt_ts(t0)[:-6] + "z" if fmt_ts(t0).endswith("Z")
         else fmt_ts(t0)[:-6] + "+8:00"),
        ("occurred_at", "2023-03-01T10:00:00+24:00"),
        ("occurred_at", "2023-3-01T10:00:00Z"),
        ("occurred_at", Raw("1677636000")),
        ("occurred_at", "2023-03-01T24:00:00+08:00"),
        ("occurred_at", "2023-03-01T23:59:60+08:00"),
        ("occurred_at", "2023-03-01T10:00:00+0800"),
        ("occurred_at", "2023-03-01T10:00:00"),
        ("occurred_at", "2023-02-29T10:00:00Z"),
        ("event_id", "x" * 65), ("event_id", "a/b"), ("event_id", "a b"),
        ("event_id", ""),
        ("village", "33052100120"), ("village", Raw("330521001200")),
        ("category", "Other"), ("decision_ref", Raw("5")),
        ("decision_ref", ["x"]), ("procurement_id", Raw("7")),
        ("payee_id", None), ("approver_id", ABSENT), ("source", Raw("1")),
        ("type", "finance.Payment"), ("payee_name", False),
    ]
    for _ in range(R.randint(3, 8)):
        f, val = R.choice(muts)
        ev = dict(base)
        ev["event_id"] = L.new_id("bad")
        if val is ABSENT:
            del ev[f]
        else:
            ev[f] = val
        L.extra_lines.append((t0, dumps(ev), None, 0))
    # other types
    others = [
        {"type": "labor.attendance", "worker_id": "w", "project_id": "p",
         "work_date": "2023-02-30", "hours": Raw("8")},
        {"type": "labor.attendance", "worker_id": "w", "project_id": "p",
         "work_date": "2023-02-01", "hours": "8"},
        {"type": "procurement.quote", "procurement_id": "CG-1",
         "vendor_id": "v", "item_category": "cement_ton",
         "unit_price": Raw("1000"), "quantity": "3"},
        {"type": "procurement.acceptance", "procurement_id": "CG-1",
         "result": "PASS"},
        {"type": "procurement.acceptance", "procurement_id": "CG-1",
         "result": "pass", "inspector_ids": "a"},
        {"type": "procurement.acceptance", "procurement_id": "CG-1",
         "result": "pass", "inspector_ids": [1]},
        {"type": "seal.usage", "seal_id": "S", "operator_id": "o",
         "document_type": "d", "application_id": Raw("5")},
        {"type": "seal.approval", "application_id": "YY-1",
         "approver_id": "a", "decision": "Approved"},
        {"type": "labor.wage", "worker_id": "w", "project_id": "p",
         "amount": Raw("100"), "period": "2023-13"},
        {"type": "labor.wage", "worker_id": "w", "project_id": "p",
         "amount": Raw("100"), "period": "2023-1"},
        {"type": "lease.rent_due", "lease_id": "ZL-1",
         "due_date": "2023/01/01", "amount": Raw("1")},
    ]
    for _ in range(R.randint(2, 5)):
        o = dict(R.choice(others))
        ev = {"event_id": L.new_id("bad"), "occurred_at": fmt_ts(t0),
              "village": W.vil()}
        ev.update(o)
        L.extra_lines.append((t0, dumps(ev), None, 0))
    for junk in ['{"event_id": "x1", "type": ', "[1,2]", "null", "42",
                 '"str"', "{}", '{"event_id": "NaNx", "type": "finance.payment", "amount": NaN}']:
        if R.random() < 0.3:
            L.extra_lines.append((t0, junk, None, 0))
    # a malformed line that comes first and carries an id whose valid copy
    # follows: the valid copy must be the event
    if L.events:
        t, ev = R.choice(L.events)
        bad = dict(ev)
        bad["occurred_at"] = bad["occurred_at"].replace("T", " ")
        L.extra_lines.append((t, dumps(bad), ev["event_id"],
                              -R.randint(1, 6 * HOUR)))


# ------------------------------------------------------------------- main ---

def month_edge_start():
    y = R.choice([2022, 2023, 2024])
    mo = R.choice([1, 2, 3, 12, 6])
    d = dt.date(y, mo, 1) - dt.timedelta(days=R.randint(0, 10))
    return local_day_start(d) + R.randint(0, 23) * HOUR


# Which scenario a draw of random() in [0, 1) picks: the first whose bound exceeds it.
SCENARIOS = [
    (0.14, lambda L, W, ts, dues: sc_window_payments(L, W, ts, "R02")),
    (0.24, lambda L, W, ts, dues: sc_window_payments(L, W, ts, "R03")),
    (0.32, lambda L, W, ts, dues: sc_r12(L, W, ts)),
    (0.42, lambda L, W, ts, dues: sc_r14(L, W, ts)),
    (0.50, lambda L, W, ts, dues: sc_r13(L, W, ts)),
    (0.62, lambda L, W, ts, dues: sc_procurement(L, W, ts)),
    (0.67, lambda L, W, ts, dues: sc_r11(L, W, ts)),
    (0.79, lambda L, W, ts, dues: sc_seal(L, W, ts)),
    (0.89, lambda L, W, ts, dues: sc_r09(L, W, ts, dues)),
    (0.95, lambda L, W, ts, dues: sc_r10(L, W, ts)),
    (1.01, lambda L, W, ts, dues: sc_r01(L, W, ts)),
]


def generate(seed, outdir, order="local", exotic=False):
    global EXOTIC
    R.seed(seed)
    EXOTIC = exotic
    W = World()
    W.build_people()
    L = Ledger()
    t0 = month_edge_start()
    dues = []
    nscen = R.randint(25, 150)
    for _ in range(nscen):
        ts = t0 + R.randint(0, 60) * DAY + R.randint(0, DAY)
        s = R.random()
        if R.random() < 0.06:
            sc_r01(L, W, ts)
        for upto, scenario in SCENARIOS:
            if s < upto:
                scenario(L, W, ts, dues)
                break
    sc_dups(L, W)
    for _ in range(R.randint(1, 3)):
        sc_malformed(L, W, t0 + R.randint(0, 60) * DAY)

    # the end of the ledger: rent dues whose deadline (start of D + 31 days)
    # is the first local midnight after everything else, and a last event
    # exactly on it (or 1 us / 1 ms before, or 1 us after), so that
    # "a deadline after the ledger's last occurred_at does not fire" and
    # "up to but excluding the start of D + 31 days" meet.
    tmax = max(t for t, _ in L.events)
    D = local_date(tmax) + dt.timedelta(days=1 - 31)
    deadline = local_day_start(D + dt.timedelta(days=31))
    v = W.vil()
    for k in range(R.randint(1, 3)):
        lease = "ZL-END%d" % k
        A = R.choice([100000, 250050, 1])
        L.add("lease.rent_due", local_day_start(D) + R.randint(0, DAY), v,
              lease_id=lease, due_date=D.isoformat(), amount=fmt_money(A))
        for p in R.choice([[A], [A - 1], [A // 2, A - A // 2], []]):
            L.add("finance.receipt", R.choice([deadline - 1, deadline,
                                               deadline - DAY, deadline + 1]),
                  v, voucher_no="SK", amount=fmt_money(p), payer_id="p",
                  category="rent", lease_id=lease)
    end = deadline + R.choice([0, 0, 0, -1, 1, -MS])
    if end > max(t for t, _ in L.events) or R.random() < 0.5:
        L.add("seal.application", end, W.vil(), application_id="END",
              seal_id="S", applicant_id="p", document_type="end")
    # an ignored duplicate copy with a later time must not move the end of
    # the ledger; neither must a malformed line
    if R.random() < 0.5:
        t, e = R.choice(L.events)
        e = dict(e)
        e["occurred_at"] = fmt_ts(deadline + R.choice([1, DAY]))
        L.extra_lines.append((t, dumps(e), e["event_id"], R.randint(1, HOUR)))
    if R.random() < 0.5:
        L.extra_lines.append((end + HOUR, dumps({
            "event_id": L.new_id("late"), "type": "seal.usage",
            "occurred_at": fmt_ts(end + 5 * DAY), "village": W.vil(),
            "seal_id": "S", "document_type": "x"}), None, 0))

    # arrival order
    rows = []
    for t, ev in L.events:
        key = t + (R.randint(0, 40 * HOUR) if order == "local"
                   else R.randint(0, 10 ** 14))
        rows.append((key, 0, dumps(ev)))
    first_key = {}
    for key, _, line in rows:
        eid = json.loads(line)["event_id"]
        first_key[eid] = key
    for t, line, orig, delta in L.extra_lines:
        if orig is not None:
            key = first_key[orig] + delta
        else:
            key = t + (R.randint(0, 40 * HOUR) if order == "local"
                       else R.randint(0, 10 ** 14))
        rows.append((key, 1, line))
    rows.sort(key=lambda r: (r[0], r[1]))
    os.makedirs(outdir, exist_ok=True)
    eol = "\n"
    with open(os.path.join(outdir, "ledger.jsonl"), "w", encoding="utf-8",
              newline="") as f:
        for i, (_, _, line) in enumerate(rows):
            if R.random() < 0.01:
                f.write(eol)                       # blank line
            end = eol
            if EXOTIC:
                r = R.random()
                if r < 0.05:
                    end = "\r\n"
                elif r < 0.07:
                    line = " " + line + "\t"      # JSON whitespace around
                elif r < 0.075:
                    f.write("   " + eol)          # whitespace-only line
            f.write(line + end)
    W.write_ref(os.path.join(outdir, "ref"))
    return len(rows)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    seed, outdir = int(argv[0]), argv[1]
    order = "local"
    if "--order" in argv:
        order = argv[argv.index("--order") + 1]
    n = generate(seed, outdir, order, "--exotic" in argv)
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Hand-written probes: tiny ledgers for single questions, run through both
the oracle and qianliyan; prints each probe's alerts and dead-letter counts
side by side and marks disagreements.

usage: probes.py [--only NAME] [--show]
env: QLY, RULES as in run.sh
"""
import gzip
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
QLY = os.environ.get("QLY", os.path.join(ROOT, ".build/release/qianliyan"))
RULES = os.environ.get("RULES", os.path.join(ROOT, "Rules"))

V = "330521001200"     # default limits 10000 / 50000
V2 = "330521001201"
CADRE, RELATIVE = "P-CADRE", "P-REL"


def ref(d):
    os.makedirs(d, exist_ok=True)
    open(f"{d}/people.csv", "w").write(
        "person_id,name,village,role,relatives\n"
        f"{CADRE},甲,{V},director,{RELATIVE}\n"
        f"P-VILL,乙,{V},villager,\n")
    open(f"{d}/vendors.csv", "w").write(
        "vendor_id,name,legal_rep_id,shareholder_ids\n"
        "VEND-1,某公司,P-X,P-Y;P-REL\n")
    open(f"{d}/reference_prices.csv", "w").write(
        "item_category,unit_price\nbrick_piece,0.70\n")
    open(f"{d}/village_limits.csv", "w").write(
        "village,approval_limit,decision_limit\n")


def pay(eid, ts, amount, **kw):
    f = {"event_id": eid, "type": "finance.payment", "occurred_at": ts,
         "village": V, "voucher_no": "PZ1", "amount": amount,
         "payee_id": "P-NOBODY", "category": "other", "approver_id": "A"}
    f.update(kw)
    return f


def seal(ts):
    """A seal.usage at `ts` with no application: the timestamp probes' event."""
    return {"event_id": "s1", "type": "seal.usage", "occurred_at": ts,
            "village": V, "seal_id": "S", "operator_id": "o",
            "document_type": "d"}


def j(o):
    import json
    if isinstance(o, str):
        return o
    return json.dumps(o, ensure_ascii=False)


END = {"event_id": "zz-end", "type": "lease.terminated",
       "occurred_at": "2023-06-01T00:00:00+08:00", "village": V,
       "lease_id": "X"}

PROBES = {
    # ---- timestamps
    "ts_7_fraction_digits_at_22h": [seal("2023-03-01T21:59:59.9999999+08:00")],
    "ts_minus_00_00_offset": [seal("2023-03-01T23:00:00-00:00")],
    "ts_offset_24h": [seal("2023-03-01T23:00:00+24:00")],
    "ts_year_0001": [seal("0001-01-01T00:00:00+08:00")],
    "ts_year_9999": [seal("9999-12-31T23:59:59Z")],
    # ---- money
    "money_negative_zero_number": [pay("p1", "2023-03-01T10:00:00Z", "@-0")],
    "money_string_leading_zeros": [
        pay("p1", "2023-03-01T10:00:00Z", "0050000.00")],
    "money_huge_20_digits": [
        pay("p1", "2023-03-01T10:00:00Z", "99999999999999999999")],
    "money_int64_fen_max": [
        pay("p1", "2023-03-01T10:00:00Z", "92233720368547758.07")],
    "money_sum_overflow_r12": [
        pay("p1", "2023-03-01T10:00:00Z", "90000000000000000.00",
            payee_id="Q", decision_ref="d"),
        dict(pay("p2", "2023-03-01T11:00:00Z", "90000000000000000.00",
                 payee_id="Q", decision_ref="d"), village=V2),
        dict(pay("p3", "2023-03-01T12:00:00Z", "1.00", payee_id="Q",
                 decision_ref="d"), village="330521001202")],
    "money_number_trailing_zeros_3dp": [
        pay("p1", "2023-03-01T10:00:00Z", "@50000.000")],
    "money_number_many_trailing_zeros": [
        pay("p1", "2023-03-01T10:00:00Z", "@49999.9900000000000000000001")],
    "money_string_whitespace": [
        pay("p1", "2023-03-01T10:00:00Z", "50000 ")],
    # ---- hours beyond binary64
    "hours_tiny_excess": [
        {"event_id": "a1", "type": "labor.attendance",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J1", "work_date": "2023-03-01",
         "hours": "@6"},
        {"event_id": "a2", "type": "labor.attendance",
         "occurred_at": "2023-03-01T11:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J2", "work_date": "2023-03-01",
         "hours": "@6.0000000000000000001"}],
    "hours_huge_exponent": [
        {"event_id": "a1", "type": "labor.attendance",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J1", "work_date": "2023-03-01",
         "hours": "@1e400"}],
    # ---- required ids that are empty strings
    "required_procurement_id_empty_contract": [
        {"event_id": "c1", "type": "procurement.contract",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "procurement_id": "", "vendor_id": "v", "amount": 1,
         "signed_by": "s"}],
    "required_project_id_empty_wage": [
        {"event_id": "w1", "type": "labor.wage",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "", "amount": 1,
         "period": "2023-03"}],
    "required_lease_id_empty_rent_due": [
        {"event_id": "r1", "type": "lease.rent_due",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "lease_id": "", "due_date": "2023-03-01", "amount": 1}, END],
    "required_payee_id_empty": [
        pay("p1", "2023-03-01T10:00:00Z", 60000, payee_id="")],
    "required_event_type_other_field_empty_voucher": [
        pay("p1", "2023-03-01T10:00:00Z", 60000, voucher_no="")],
    # ---- JSON-level
    "json_duplicate_key_amount": [
        '{"event_id": "p1", "type": "finance.payment", "occurred_at": '
        '"2023-03-01T10:00:00Z", "village": "%s", "voucher_no": "v", '
        '"amount": 1, "amount": 60000, "payee_id": "x", "category": '
        '"other", "approver_id": "a"}' % V],
    "json_lone_surrogate_in_extra": [
        '{"event_id": "p1", "type": "finance.payment", "occurred_at": '
        '"2023-03-01T10:00:00Z", "village": "%s", "voucher_no": "v", '
        '"amount": 60000, "payee_id": "x", "category": "other", '
        '"approver_id": "a", "note": "\\ud800"}' % V],
    "json_nul_escape_in_payee": [
        pay("p1", "2023-03-01T10:00:00Z", 60000, payee_id="x\u0000y")],
    "json_trailing_garbage": [
        j(pay("p1", "2023-03-01T10:00:00Z", 60000)) + " x"],
    "json_two_objects_one_line": [
        j(pay("p1", "2023-03-01T10:00:00Z", 60000)) +
        j(pay("p2", "2023-03-01T10:00:00Z", 60000))],
    "json_invalid_utf8_in_extra": [
        b'{"event_id": "p1", "type": "finance.payment", "occurred_at": '
        b'"2023-03-01T10:00:00Z", "village": "' + V.encode() +
        b'", "voucher_no": "v", "amount": 60000, "payee_id": "x", '
        b'"category": "other", "approver_id": "a", "note": "\xff"}'],
    "json_escaped_event_id": [
        '{"event_id": "p\\u0031", "type": "finance.payment", "occurred_at": '
        '"2023-03-01T10:00:00Z", "village": "%s", "voucher_no": "v", '
        '"amount": 60000, "payee_id": "x", "category": "other", '
        '"approver_id": "a"}' % V],
    "json_bom_first_line": [
        "\ufeff" + j(pay("p1", "2023-03-01T10:00:00Z", 60000))],
    "json_no_final_newline": "NOEOL",
    "json_deep_nesting_extra": [
        j(pay("p1", "2023-03-01T10:00:00Z", 60000))[:-1] +
        ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"],
    "json_huge_line_2MB": [
        j(pay("p1", "2023-03-01T10:00:00Z", 60000))[:-1] +
        ', "blob": "' + "x" * 2_000_000 + '"}'],
    "json_form_feed_whitespace_line": ["\f"],
    "json_whitespace_only_line": ["   \t  "],
    # ---- non-ASCII look-alikes (contract: 12 digits, A-Za-z0-9._:-)
    "village_fullwidth_digits": [
        dict(pay("p1", "2023-03-01T10:00:00Z", 60000),
             village="３３０５２１００１２００")],
    "village_arabic_indic_digits": [
        dict(pay("p1", "2023-03-01T10:00:00Z", 60000),
             village="٣٣٠٥٢١٠٠١٢٠٠")],
    "event_id_non_ascii_letter": [
        pay("pé1", "2023-03-01T10:00:00Z", 60000)],
    "event_id_exactly_64": [
        pay("p" * 64, "2023-03-01T10:00:00Z", 60000)],
    "event_id_65": [
        pay("p" * 65, "2023-03-01T10:00:00Z", 60000)],
    "amount_fullwidth_digits_string": [
        pay("p1", "2023-03-01T10:00:00Z", "６００００")],
    "ts_fullwidth_digits": [
        pay("p1", "２023-03-01T10:00:00Z", 60000)],
    "work_date_arabic_indic_digit": [
        {"event_id": "a1", "type": "labor.attendance",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J1", "work_date": "2023-03-0١",
         "hours": 8}],
    "period_fullwidth": [
        {"event_id": "w1", "type": "labor.wage",
         "occurred_at": "2023-03-31T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J", "amount": 100,
         "period": "2023-0３"}],
    "type_with_trailing_space": [
        dict(pay("p1", "2023-03-01T10:00:00Z", 60000),
             type="finance.payment ")],
    "ts_fraction_empty": [pay("p1", "2023-03-01T10:00:00.Z", 60000)],
    "ts_comma_fraction": [pay("p1", "2023-03-01T10:00:00,5Z", 60000)],
    "ts_offset_seconds": [pay("p1", "2023-03-01T10:00:00+08:00:00", 60000)],
    "ts_hour_only_offset": [pay("p1", "2023-03-01T10:00:00+08", 60000)],
    "ts_lowercase_z": [pay("p1", "2023-03-01T10:00:00z", 60000)],
    "ts_no_seconds": [pay("p1", "2023-03-01T10:00+08:00", 60000)],
    "ts_feb29_leap": [pay("p1", "2024-02-29T10:00:00+08:00", 60000)],
    "ts_feb29_nonleap": [pay("p1", "2023-02-29T10:00:00+08:00", 60000)],
    "ts_apr31": [pay("p1", "2023-04-31T10:00:00+08:00", 60000)],
    "ts_offset_minutes_60": [pay("p1", "2023-03-01T10:00:00+08:60", 60000)],
    "amount_number_leading_plus": ['{"event_id": "p1", "type": '
        '"finance.payment", "occurred_at": "2023-03-01T10:00:00Z", '
        '"village": "%s", "voucher_no": "v", "amount": +60000, '
        '"payee_id": "x", "category": "other", "approver_id": "a"}' % V],
    "amount_string_with_exponent": [
        pay("p1", "2023-03-01T10:00:00Z", "6e4")],
    "amount_bool": [pay("p1", "2023-03-01T10:00:00Z", True)],
    "amount_null": [pay("p1", "2023-03-01T10:00:00Z", None)],
    "category_null_optional_purpose_null": [
        pay("p1", "2023-03-01T10:00:00Z", 60000, purpose=None,
            decision_ref=None)],
    "two_files_same_id_first_file_wins": "TWOFILES",
    "gzip_multi_member": "GZMULTI",
    # ---- optional fields
    "optional_source_wrong_type": [
        pay("p1", "2023-03-01T10:00:00Z", 60000, source=5)],
    "optional_inspector_ids_null": [
        {"event_id": "acc", "type": "procurement.acceptance",
         "occurred_at": "2023-03-01T09:00:00Z", "village": V,
         "procurement_id": "CG", "result": "pass", "inspector_ids": None},
        pay("p1", "2023-03-01T10:00:00Z", 100, procurement_id="CG")],
    "unknown_field_of_other_type_wrong_type": [
        {"event_id": "q1", "type": "procurement.quote",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "procurement_id": "CG", "vendor_id": "v",
         "item_category": "brick_piece", "unit_price": "0.92",
         "quantity": 1, "lease_id": 5, "decision_ref": []}],
    "quantity_string": [
        {"event_id": "q1", "type": "procurement.quote",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "procurement_id": "CG", "vendor_id": "v",
         "item_category": "brick_piece", "unit_price": "0.92",
         "quantity": "1"}],
    "quantity_bool": [
        {"event_id": "q1", "type": "procurement.quote",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "procurement_id": "CG", "vendor_id": "v",
         "item_category": "brick_piece", "unit_price": "0.92",
         "quantity": True}],
    # ---- rules
    "r09_rent_due_after_its_deadline": [
        {"event_id": "r1", "type": "lease.rent_due",
         "occurred_at": "2023-05-01T10:00:00Z", "village": V,
         "lease_id": "L", "due_date": "2023-03-01", "amount": 1}],
    "r09_deadline_equals_end_receipt_at_deadline": [
        {"event_id": "r1", "type": "lease.rent_due",
         "occurred_at": "2023-03-01T10:00:00+08:00", "village": V,
         "lease_id": "L", "due_date": "2023-03-01", "amount": 1},
        {"event_id": "k1", "type": "finance.receipt",
         "occurred_at": "2023-04-01T00:00:00+08:00", "village": V,
         "voucher_no": "v", "amount": 1, "payer_id": "p",
         "category": "rent", "lease_id": "L"}],
    "r09_duplicate_later_copy_moves_end": [
        {"event_id": "r1", "type": "lease.rent_due",
         "occurred_at": "2023-03-01T10:00:00+08:00", "village": V,
         "lease_id": "L", "due_date": "2023-03-01", "amount": 1},
        {"event_id": "x", "type": "lease.terminated",
         "occurred_at": "2023-03-20T10:00:00+08:00", "village": V,
         "lease_id": "L"},
        {"event_id": "x", "type": "lease.terminated",
         "occurred_at": "2023-04-20T10:00:00+08:00", "village": V,
         "lease_id": "L"}],
    "r10_payee_is_cadre_relative_absent_from_people": [
        pay("p1", "2023-03-01T10:00:00Z", 10, payee_id=RELATIVE)],
    "r10_vendor_shareholder_relative": [
        pay("p1", "2023-03-01T10:00:00Z", 10, payee_id="VEND-1")],
    "r10_payee_cadre_other_village": [
        dict(pay("p1", "2023-03-01T10:00:00Z", 10, payee_id=CADRE),
             village=V2)],
    "r11_float_trap_0_91": [
        {"event_id": "q1", "type": "procurement.quote",
         "occurred_at": "2023-03-01T10:00:00Z", "village": V,
         "procurement_id": "CG", "vendor_id": "v",
         "item_category": "brick_piece", "unit_price": 0.91,
         "quantity": 1}],
    "r14_negative_hours_recross": [
        {"event_id": "a%d" % i, "type": "labor.attendance",
         "occurred_at": "2023-03-01T1%d:00:00Z" % i, "village": V,
         "worker_id": "W", "project_id": "J%d" % (i % 2),
         "work_date": "2023-03-01", "hours": "@%s" % h}
        for i, h in enumerate(["8", "8", "-8", "8"])],
    "r13_attendance_other_village": [
        dict({"event_id": "a1", "type": "labor.attendance",
              "occurred_at": "2023-03-01T10:00:00Z", "village": V2,
              "worker_id": "W", "project_id": "J", "work_date": "2023-03-01",
              "hours": 8}),
        {"event_id": "w1", "type": "labor.wage",
         "occurred_at": "2023-03-31T10:00:00Z", "village": V,
         "worker_id": "W", "project_id": "J", "amount": 100,
         "period": "2023-03"}],
    "r07_approval_same_instant_higher_id": [
        {"event_id": "b", "type": "seal.approval",
         "occurred_at": "2023-03-01T10:00:00+08:00", "village": V,
         "application_id": "A", "approver_id": "x", "decision": "approved"},
        {"event_id": "a", "type": "seal.usage",
         "occurred_at": "2023-03-01T02:00:00Z", "village": V,
         "seal_id": "S", "operator_id": "o", "document_type": "d",
         "application_id": "A"}],
    "r02_rearm_after_gap": [
        pay("p%d" % i, ts, 4000, payee_id="Q") for i, ts in enumerate([
            "2023-03-01T10:00:00Z", "2023-03-02T10:00:00Z",
            "2023-03-03T10:00:00Z", "2023-03-20T10:00:00Z",
            "2023-03-21T10:00:00Z", "2023-03-22T10:00:00Z"])],
}


# Differences already analysed (see README.md, "Findings"): the binary's
# implementation limits, which the contract does not state.
KNOWN = {
    "money_huge_20_digits": "binary: amounts >= 10^15 yuan are bad_amount",
    "money_int64_fen_max": "binary: amounts >= 10^15 yuan are bad_amount",
    "money_sum_overflow_r12": "binary: amounts >= 10^15 yuan are bad_amount",
    "hours_tiny_excess": "binary: hours truncated to 6 decimals",
    "hours_huge_exponent": "binary: |hours| >= 1e13 is bad_number",
    "json_huge_line_2MB": "binary: lines over 1 MiB are too_large",
}


def render(o):
    if isinstance(o, bytes):
        return o
    if isinstance(o, str):
        return o.encode("utf-8")
    import json
    s = json.dumps(o, ensure_ascii=False)
    # "@text" values are emitted as raw JSON numbers
    s = re.sub(r'"@([^"]*)"', r"\1", s)
    return s.encode("utf-8")


def counts(err):
    ev = re.search(r"^\s*events\s+(\d+)", err, re.M)
    dl = re.search(r"^\s*dead letters\s+(\d+)(.*)$", err, re.M)
    return (ev and int(ev.group(1)), dl and int(dl.group(1)),
            dl and dl.group(2).strip())


def main(argv):
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    show = "--show" in argv
    tmp = tempfile.mkdtemp(prefix="qly-probes.")
    ref(os.path.join(tmp, "ref"))
    ndiff = 0
    for name, lines in PROBES.items():
        if only and only != name:
            continue
        path = os.path.join(tmp, name + ".jsonl")
        paths = [path]
        if lines == "NOEOL":
            data = render(pay("p1", "2023-03-01T10:00:00Z", 60000))
        elif lines == "TWOFILES":
            data = render(pay("p1", "2023-03-01T10:00:00Z", 100)) + b"\n"
            open(path + "2", "wb").write(render(pay(
                "p1", "2023-03-01T09:00:00Z", 60000)) + b"\n")
            paths = [path, path + "2"]
        elif lines == "GZMULTI":
            data = None
            path = path + ".gz"
            paths = [path]
            with open(path, "wb") as fh:
                fh.write(gzip.compress(render(pay(
                    "p1", "2023-03-01T10:00:00Z", 60000)) + b"\n"))
                fh.write(gzip.compress(render(pay(
                    "p2", "2023-03-01T10:00:00Z", 60000)) + b"\n"))
        else:
            data = b"".join(render(l) + b"\n" for l in lines)
        if data is not None:
            open(path, "wb").write(data)
        o = subprocess.run([sys.executable, os.path.join(HERE, "oracle.py"),
                            "--reference", os.path.join(tmp, "ref")] + paths +
                           ["--stats", path + ".st"],
                           capture_output=True, text=True)
        q = subprocess.run([QLY, "replay", "--dry-run", "--reorder-hours",
                            "1000000", "--rules", RULES, "--reference",
                            os.path.join(tmp, "ref")] + paths,
                           capture_output=True, text=True, errors="replace")
        oa = sorted(o.stdout.splitlines()[1:]) if o.returncode == 0 else \
            ["ORACLE-ERROR " + o.stderr.strip()[-200:]]
        qa = sorted(q.stdout.splitlines()[1:]) if q.returncode == 0 else \
            ["EXIT %d: %s" % (q.returncode, q.stderr.strip()[-300:])]
        st = dict(l.split() for l in open(path + ".st")) \
            if o.returncode == 0 else {}
        oc = (int(st.get("events", -1)), int(st.get("dead_letters", -1)))
        qc = counts(q.stderr)
        same = oa == qa and oc == qc[:2]
        known = KNOWN.get(name)
        if not same and not known:
            ndiff += 1
        if not same or show:
            print("%s %s%s" % ("same" if same else "KNOWN" if known
                               else "DIFF", name,
                               "  (%s)" % known if known and not same
                               else ""))
            print("   oracle:    events=%s dead=%s alerts=%s" % (oc + (oa,)))
            print("   qianliyan: events=%s dead=%s %s alerts=%s"
                  % (qc[0], qc[1], qc[2] or "", qa))
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d probe(s) differ beyond the known ones" % ndiff)
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

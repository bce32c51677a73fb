-- Qianliyan reference rule pack (14 rules) as DuckDB SQL.
--
-- Second, independent implementation of /shared/contract/RULES.md over the
-- event contract of EVENTS.md, used as the DuckDB baseline of the
-- performance benchmarks (issue 7) and to cross-check the engine's alerts.
--
-- run_duckdb.py substitutes two placeholders before running this script:
--   ${LEDGERS}  a DuckDB list literal of ledger paths, e.g. ['a.jsonl', 'b.jsonl.gz'],
--               read in that order (file order matters for de-duplication);
--   ${REF}      the directory holding people.csv, vendors.csv,
--               reference_prices.csv and village_limits.csv.
-- The script leaves the alert identities in the temp table `alerts`
-- (rule_id, anchor_event_id).
--
-- Conventions used throughout:
--   * Money is DECIMAL(18,2) and hours DECIMAL(18,6): never DOUBLE.
--   * Instants are TIMESTAMP values in UTC (offset applied by hand, so no
--     time-zone setting or ICU is involved). Asia/Shanghai local time is
--     UTC+8 (no DST since 1991).
--   * `ord` is the rank of an event in the total order (occurred_at instant,
--     then event_id byte order); "before" means a smaller ord.

------------------------------------------------------------------------------
-- 1. Validation helpers (EVENTS.md "Values, precisely").
--    A JSON-typed value arrives re-serialised by the reader, so its first
--    character tells its JSON type: '"' string, digit or '-' number,
--    '[' array, '{' object, 't'/'f' boolean. (Cheaper than json_type().)
------------------------------------------------------------------------------
-- a present JSON string (missing or null is NULL here)
CREATE OR REPLACE TEMP MACRO req_s(j) AS (j IS NOT NULL AND left(j, 1) = '"');
-- optional: absent, null, or a string
CREATE OR REPLACE TEMP MACRO opt_s(j) AS (j IS NULL OR left(j, 1) = '"');
-- string value of a JSON string (unescape only when there is an escape)
CREATE OR REPLACE TEMP MACRO s(j) AS (CASE WHEN contains(j, '\') THEN j ->> '$' ELSE j[2:-2] END);
-- a JSON number
CREATE OR REPLACE TEMP MACRO num_ok(j) AS (j IS NOT NULL AND left(j, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'));
-- money: a non-negative JSON number with at most 2 significant decimals, or a
-- string of digits with an optional '.' and 1-2 decimals. The reader hands a
-- JSON number back in its shortest round-trip form (1.230 -> 1.23,
-- 1e3 -> 1000.0), so exponents written in the input cannot be told apart.
CREATE OR REPLACE TEMP MACRO money_txt(j) AS (
    CASE WHEN left(j, 1) = '"' THEN
             CASE WHEN regexp_full_match(s(j), '[0-9]+(\.[0-9]{1,2})?') THEN s(j) END
         WHEN regexp_full_match(j, '[0-9]+(\.[0-9]{0,2}0*)?') THEN CAST(j AS VARCHAR)
    END);
CREATE OR REPLACE TEMP MACRO money(j) AS (TRY_CAST(money_txt(j) AS DECIMAL(18,2)));
CREATE OR REPLACE TEMP MACRO money_ok(j) AS (j IS NOT NULL AND money(j) IS NOT NULL);
CREATE OR REPLACE TEMP MACRO date_ok(j) AS (
    req_s(j) AND regexp_full_match(s(j), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
    AND TRY_CAST(s(j) AS DATE) IS NOT NULL);
-- optional id: the empty string counts as absent
CREATE OR REPLACE TEMP MACRO opt_id(j) AS (CASE WHEN s(j) <> '' THEN s(j) END);

------------------------------------------------------------------------------
-- 2. Typed, validated lines, in file order: CREATE TABLE AS keeps the scan's
--    insertion order within a file, so (file_no, checked.rowid) orders the
--    lines as they stand in the ledgers given (blank lines, which the reader
--    skips, are not rows). Across files the rowids may interleave, hence
--    file_no.
--    Every field is read as JSON so that its JSON type can be checked (a wrong
--    type is a contract violation, optional or not). A line that is not a
--    JSON object (bad JSON, an array, a scalar) comes out of ignore_errors as
--    an all-NULL row and is invalid like any other violation.
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE checked AS
WITH r AS (
    SELECT *, file_index AS file_no
    FROM read_json(${LEDGERS},
        format = 'newline_delimited',
        records = true,
        ignore_errors = true,
        columns = {
            event_id: 'JSON', type: 'JSON', occurred_at: 'JSON', village: 'JSON', source: 'JSON',
            voucher_no: 'JSON', amount: 'JSON', payee_id: 'JSON', category: 'JSON', approver_id: 'JSON',
            payee_name: 'JSON', payee_account: 'JSON', purpose: 'JSON', procurement_id: 'JSON',
            project_id: 'JSON', lease_id: 'JSON', decision_ref: 'JSON', payer_id: 'JSON',
            item_category: 'JSON', budget_amount: 'JSON', requester_id: 'JSON', approved_amount: 'JSON',
            vendor_id: 'JSON', unit_price: 'JSON', quantity: 'JSON', signed_by: 'JSON', result: 'JSON',
            inspector_ids: 'JSON', worker_id: 'JSON', work_date: 'JSON', hours: 'JSON', period: 'JSON',
            asset_id: 'JSON', lessee_id: 'JSON', start_date: 'JSON', end_date: 'JSON', annual_rent: 'JSON',
            due_date: 'JSON', application_id: 'JSON', seal_id: 'JSON', applicant_id: 'JSON',
            document_type: 'JSON', decision: 'JSON', operator_id: 'JSON'
        })
), t AS (
    SELECT r.*,
        CASE WHEN req_s(occurred_at) THEN s(occurred_at) END AS ts_s,
        CASE WHEN req_s(type) THEN s(type) END AS type_s
    FROM r
), p AS (
    SELECT t.*,
        regexp_full_match(ts_s,
            '[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])')
            AS ts_shape_ok,
        -- local wall time written in the timestamp (fraction truncated to µs)
        TRY_CAST(CASE WHEN right(ts_s, 1) = 'Z' THEN left(ts_s, length(ts_s) - 1)
                      ELSE left(ts_s, length(ts_s) - 6) END AS TIMESTAMP) AS ts_wall,
        CASE WHEN right(ts_s, 1) = 'Z' THEN 0
             ELSE (CASE WHEN substr(ts_s, length(ts_s) - 5, 1) = '-' THEN -1 ELSE 1 END)
                  * (TRY_CAST(substr(ts_s, length(ts_s) - 4, 2) AS INTEGER) * 60
                     + TRY_CAST(substr(ts_s, length(ts_s) - 1, 2) AS INTEGER)) END AS off_min
    FROM t
)
SELECT
    file_no,                                           -- which ledger (0-based, in the order given)
    s(event_id) AS event_id,
    type_s AS type,
    ts_wall - to_minutes(off_min) AS ts,               -- the instant, as UTC
    s(village) AS village,
    -- the money field of the event type (amount, or unit_price for quotes)
    CASE WHEN type_s = 'procurement.quote' THEN money(unit_price) ELSE money(amount) END AS amount,
    s(payee_id) AS payee_id,
    s(category) AS category,
    opt_id(decision_ref) AS decision_ref,
    CASE WHEN type_s = 'finance.payment' THEN opt_id(procurement_id) ELSE s(procurement_id) END AS procurement_id,
    s(result) AS result,
    s(vendor_id) AS vendor_id,
    s(item_category) AS item_category,
    opt_id(application_id) AS application_id,
    s(decision) AS decision,
    s(worker_id) AS worker_id,
    s(project_id) AS project_id,
    TRY_CAST(s(work_date) AS DATE) AS work_date,
    TRY_CAST(CAST(hours AS VARCHAR) AS DECIMAL(18,6)) AS hours,
    s(period) AS period,
    CASE WHEN type_s = 'finance.receipt' THEN opt_id(lease_id) ELSE s(lease_id) END AS lease_id,
    TRY_CAST(s(due_date) AS DATE) AS due_date,
    -- the whole contract check
    coalesce(
        req_s(event_id) AND regexp_full_match(s(event_id), '[A-Za-z0-9._:-]{1,64}')
        AND ts_shape_ok AND ts_wall IS NOT NULL AND off_min IS NOT NULL
        AND req_s(village) AND regexp_full_match(s(village), '[0-9]{12}')
        AND opt_s(source)
        AND CASE type_s
            WHEN 'finance.payment' THEN
                req_s(voucher_no) AND money_ok(amount) AND req_s(payee_id) AND req_s(approver_id)
                AND req_s(category) AND s(category) IN ('engineering', 'procurement', 'labor', 'subsidy',
                    'office', 'travel', 'hospitality', 'lease', 'other')
                AND opt_s(payee_name) AND opt_s(payee_account) AND opt_s(purpose) AND opt_s(procurement_id)
                AND opt_s(project_id) AND opt_s(lease_id) AND opt_s(decision_ref)
            WHEN 'finance.receipt' THEN
                req_s(voucher_no) AND money_ok(amount) AND req_s(payer_id)
                AND req_s(category) AND s(category) IN ('rent', 'subsidy', 'sale', 'other')
                AND opt_s(lease_id)
            WHEN 'procurement.request' THEN
                req_s(procurement_id) AND req_s(item_category) AND money_ok(budget_amount)
                AND req_s(requester_id) AND opt_s(project_id)
            WHEN 'procurement.approval' THEN
                req_s(procurement_id) AND req_s(approver_id) AND money_ok(approved_amount)
            WHEN 'procurement.quote' THEN
                req_s(procurement_id) AND req_s(vendor_id) AND req_s(item_category)
                AND money_ok(unit_price) AND num_ok(quantity)
            WHEN 'procurement.contract' THEN
                req_s(procurement_id) AND req_s(vendor_id) AND money_ok(amount) AND req_s(signed_by)
            WHEN 'procurement.acceptance' THEN
                req_s(procurement_id) AND req_s(result) AND s(result) IN ('pass', 'fail')
                AND (inspector_ids IS NULL OR (json_type(inspector_ids) = 'ARRAY'
                     AND len(list_filter(json_extract(inspector_ids, '$[*]'), x -> json_type(x) <> 'VARCHAR')) = 0))
            WHEN 'labor.attendance' THEN
                req_s(worker_id) AND req_s(project_id) AND date_ok(work_date) AND num_ok(hours)
            WHEN 'labor.wage' THEN
                req_s(worker_id) AND req_s(project_id) AND money_ok(amount)
                AND req_s(period) AND regexp_full_match(s(period), '[0-9]{4}-(0[1-9]|1[0-2])')
            WHEN 'lease.contract' THEN
                req_s(lease_id) AND req_s(asset_id) AND req_s(lessee_id) AND date_ok(start_date)
                AND date_ok(end_date) AND money_ok(annual_rent)
            WHEN 'lease.rent_due' THEN
                req_s(lease_id) AND date_ok(due_date) AND money_ok(amount)
            WHEN 'lease.renewed' THEN
                req_s(lease_id) AND date_ok(end_date)
            WHEN 'lease.terminated' THEN
                req_s(lease_id)
            WHEN 'seal.application' THEN
                req_s(application_id) AND req_s(seal_id) AND req_s(applicant_id)
                AND req_s(document_type) AND opt_s(purpose)
            WHEN 'seal.approval' THEN
                req_s(application_id) AND req_s(approver_id)
                AND req_s(decision) AND s(decision) IN ('approved', 'rejected')
            WHEN 'seal.usage' THEN
                req_s(seal_id) AND req_s(operator_id) AND req_s(document_type) AND opt_s(application_id)
            ELSE false                                       -- unknown or missing type
        END, false) AS valid
FROM p;

------------------------------------------------------------------------------
-- 3. Events: the first VALID copy of each event_id in file order (a malformed
--    line does not claim its id), stored in the total order; ev.ord (the
--    rowid of that sorted table) is the event's rank in the total order.
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE ev_sorted AS
WITH v AS (
    SELECT file_no * 1099511627776 + rowid AS line_rn, * EXCLUDE (valid, file_no)
    FROM checked WHERE valid
), dup AS (   -- ids sent more than once: keep the first valid copy
    SELECT event_id, min(line_rn) AS first_rn FROM v GROUP BY event_id HAVING count(*) > 1
)
SELECT v.* EXCLUDE (line_rn)
FROM v LEFT JOIN dup ON dup.event_id = v.event_id
WHERE dup.first_rn IS NULL OR v.line_rn = dup.first_rn
ORDER BY v.ts, v.event_id;

CREATE OR REPLACE TEMP VIEW ev AS SELECT rowid AS ord, * FROM ev_sorted;

-- replay: at the end of input the watermark is the largest occurred_at
CREATE OR REPLACE TEMP TABLE ledger_end AS SELECT max(ts) AS max_ts FROM ev;

------------------------------------------------------------------------------
-- 4. Reference data.
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE people AS
SELECT person_id, village, role, coalesce(relatives, '') AS relatives
FROM read_csv('${REF}/people.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE vendors AS
SELECT vendor_id, legal_rep_id, coalesce(shareholder_ids, '') AS shareholder_ids
FROM read_csv('${REF}/vendors.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE ref_prices AS
SELECT item_category, CAST(unit_price AS DECIMAL(18,2)) AS unit_price
FROM read_csv('${REF}/reference_prices.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE village_limits AS
SELECT village, CAST(approval_limit AS DECIMAL(18,2)) AS approval_limit,
       CAST(decision_limit AS DECIMAL(18,2)) AS decision_limit
FROM read_csv('${REF}/village_limits.csv', header = true, all_varchar = true);

-- limits of every village seen in the ledger (defaults 10000 / 50000)
CREATE OR REPLACE TEMP TABLE lim AS
SELECT v.village,
       coalesce(l.approval_limit, 10000.00::DECIMAL(18,2)) AS alim,
       coalesce(l.decision_limit, 50000.00::DECIMAL(18,2)) AS dlim
FROM (SELECT DISTINCT village FROM ev) v LEFT JOIN village_limits l USING (village);

------------------------------------------------------------------------------
-- 5. The rules. Each yields (rule_id, anchor_event_id).
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE alerts (rule_id VARCHAR, anchor_event_id VARCHAR);

-- R01 large-payment-without-decision (condition)
INSERT INTO alerts
SELECT 'large-payment-without-decision', e.event_id
FROM ev e JOIN lim USING (village)
WHERE e.type = 'finance.payment' AND e.amount >= lim.dlim AND e.decision_ref IS NULL;

-- R02 split-payments (window: key (village, payee_id), W = 7 days,
-- count >= 3 and sum >= approval_limit; rising edge).
-- Window at e = filtered rows of the key with ord <= e.ord and ts >= e.ts - W.
-- i is e's position in the key; s the position of the first row with
-- ts >= e.ts - W (a RANGE frame over ts gives it, ties included); the
-- aggregates then run over the ROWS frame [s, i], whose width varies per row.
INSERT INTO alerts
WITH f AS (
    SELECT e.ord, e.ts, e.event_id, e.village, e.payee_id, e.amount, lim.alim,
           row_number() OVER (PARTITION BY e.village, e.payee_id ORDER BY e.ord) AS i
    FROM ev e JOIN lim USING (village)
    WHERE e.type = 'finance.payment' AND e.amount < lim.alim
), b AS (
    SELECT *, min(i) OVER (PARTITION BY village, payee_id ORDER BY ts
                           RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW) AS s
    FROM f
), a AS (
    SELECT *, (i - s + 1) >= 3
              AND sum(amount) OVER (PARTITION BY village, payee_id ORDER BY ord
                                    ROWS BETWEEN (i - s) PRECEDING AND CURRENT ROW) >= alim AS c
    FROM b
)
SELECT 'split-payments', event_id FROM a
QUALIFY c AND NOT coalesce(lag(c) OVER (PARTITION BY village, payee_id ORDER BY ord), false);

-- R03 repeat-reimbursement (window: key (village, payee_id), W = 24 h, count >= 5)
INSERT INTO alerts
WITH f AS (
    SELECT ord, ts, event_id, village, payee_id,
           row_number() OVER (PARTITION BY village, payee_id ORDER BY ord) AS i
    FROM ev
    WHERE type = 'finance.payment' AND category IN ('travel', 'hospitality', 'office')
), b AS (
    SELECT *, min(i) OVER (PARTITION BY village, payee_id ORDER BY ts
                           RANGE BETWEEN INTERVAL 24 HOUR PRECEDING AND CURRENT ROW) AS s
    FROM f
), a AS (
    SELECT *, (i - s + 1) >= 5 AS c FROM b
)
SELECT 'repeat-reimbursement', event_id FROM a
QUALIFY c AND NOT coalesce(lag(c) OVER (PARTITION BY village, payee_id ORDER BY ord), false);

-- R04 payment-before-acceptance (precedence): a payment with a procurement_id
-- and no passed acceptance of that procurement (same village) before it
INSERT INTO alerts
WITH acc AS (
    SELECT village, procurement_id, min(ord) AS first_ord
    FROM ev WHERE type = 'procurement.acceptance' AND result = 'pass'
    GROUP BY ALL
)
SELECT 'payment-before-acceptance', p.event_id
FROM ev p LEFT JOIN acc ON acc.village = p.village AND acc.procurement_id = p.procurement_id
WHERE p.type = 'finance.payment' AND p.procurement_id IS NOT NULL
  AND (acc.first_ord IS NULL OR acc.first_ord > p.ord);

-- R05 contract-without-approval (precedence)
INSERT INTO alerts
WITH appr AS (
    SELECT village, procurement_id, min(ord) AS first_ord
    FROM ev WHERE type = 'procurement.approval'
    GROUP BY ALL
)
SELECT 'contract-without-approval', c.event_id
FROM ev c LEFT JOIN appr ON appr.village = c.village AND appr.procurement_id = c.procurement_id
WHERE c.type = 'procurement.contract'
  AND (appr.first_ord IS NULL OR appr.first_ord > c.ord);

-- R06 contract-without-three-quotes (precedence): contracts >= decision_limit
-- with fewer than 3 distinct vendors quoting the procurement (same village) before
INSERT INTO alerts
WITH q AS (   -- first quote of each vendor
    SELECT village, procurement_id, vendor_id, min(ord) AS first_ord
    FROM ev WHERE type = 'procurement.quote'
    GROUP BY ALL
), c AS (
    SELECT e.ord, e.event_id, e.village, e.procurement_id
    FROM ev e JOIN lim USING (village)
    WHERE e.type = 'procurement.contract' AND e.amount >= lim.dlim
)
SELECT 'contract-without-three-quotes', c.event_id
FROM c LEFT JOIN q ON q.village = c.village AND q.procurement_id = c.procurement_id AND q.first_ord < c.ord
GROUP BY c.event_id
HAVING count(q.vendor_id) < 3;

-- R07 seal-use-without-approval (precedence within 72 h, both ends inclusive)
INSERT INTO alerts
WITH appr AS (
    SELECT ord, ts, village, application_id
    FROM ev WHERE type = 'seal.approval' AND decision = 'approved'
), u AS (
    SELECT ord, ts, event_id, village, application_id FROM ev WHERE type = 'seal.usage'
), ok AS (
    SELECT DISTINCT u.event_id
    FROM u JOIN appr ON appr.village = u.village AND appr.application_id = u.application_id
                    AND appr.ord < u.ord AND appr.ts >= u.ts - INTERVAL 72 HOUR
)
SELECT 'seal-use-without-approval', u.event_id
FROM u
WHERE u.application_id IS NULL OR u.event_id NOT IN (SELECT event_id FROM ok);

-- R08 seal-use-at-night (condition; Asia/Shanghai = UTC+8)
INSERT INTO alerts
SELECT 'seal-use-at-night', event_id
FROM ev
WHERE type = 'seal.usage'
  AND (hour(ts + INTERVAL 8 HOUR) >= 22 OR hour(ts + INTERVAL 8 HOUR) < 6);

-- R09 lease-rent-overdue (absence). Receipts (rent, same lease, same village)
-- with occurred_at in [start of D-30, start of D+31) local must sum to >= A;
-- the deadline (start of D+31 local) must not be after the ledger's end.
INSERT INTO alerts
WITH d AS (
    SELECT event_id, village, lease_id, amount,
           CAST(due_date - 30 AS TIMESTAMP) - INTERVAL 8 HOUR AS lo,
           CAST(due_date + 31 AS TIMESTAMP) - INTERVAL 8 HOUR AS deadline
    FROM ev WHERE type = 'lease.rent_due'
), r AS (
    SELECT ts, village, lease_id, amount
    FROM ev WHERE type = 'finance.receipt' AND category = 'rent' AND lease_id IS NOT NULL
), paid AS (
    SELECT d.event_id, any_value(d.amount) AS due, coalesce(sum(r.amount), 0) AS got,
           any_value(d.deadline) AS deadline
    FROM d LEFT JOIN r ON r.village = d.village AND r.lease_id = d.lease_id
                      AND r.ts >= d.lo AND r.ts < d.deadline
    GROUP BY d.event_id
)
SELECT 'lease-rent-overdue', paid.event_id
FROM paid, ledger_end
WHERE paid.deadline <= ledger_end.max_ts AND paid.got < paid.due;

-- R10 payee-related-to-cadre (condition)
INSERT INTO alerts
WITH cadre AS (
    SELECT person_id, village, relatives FROM people WHERE role <> 'villager'
), rel AS (   -- (village, person): a cadre of the village or a one-hop relative of one
    SELECT village, person_id FROM cadre
    UNION
    SELECT c.village, trim(r.x)
    FROM cadre c, unnest(string_split(c.relatives, ';')) AS r(x)
    WHERE trim(r.x) <> ''
    UNION
    SELECT c.village, p.person_id
    FROM people p, unnest(string_split(p.relatives, ';')) AS r(x), cadre c
    WHERE trim(r.x) = c.person_id
), vendor_person AS (
    SELECT vendor_id, legal_rep_id AS person_id FROM vendors WHERE legal_rep_id IS NOT NULL
    UNION
    SELECT v.vendor_id, trim(r.x)
    FROM vendors v, unnest(string_split(v.shareholder_ids, ';')) AS r(x)
    WHERE trim(r.x) <> ''
), bad_payee AS (
    SELECT village, person_id AS payee_id FROM rel
    UNION
    SELECT rel.village, vp.vendor_id FROM vendor_person vp JOIN rel USING (person_id)
)
SELECT 'payee-related-to-cadre', e.event_id
FROM ev e JOIN bad_payee b ON b.village = e.village AND b.payee_id = e.payee_id
WHERE e.type = 'finance.payment';

-- R11 quote-above-reference (condition; exact: price * 10 > ref * 13)
INSERT INTO alerts
SELECT 'quote-above-reference', e.event_id
FROM ev e JOIN ref_prices rp ON rp.item_category = e.item_category
WHERE e.type = 'procurement.quote' AND e.amount * 10 > rp.unit_price * 13;

-- R12 payee-fund-concentration (window: key payee_id across villages,
-- W = 30 days, count distinct village >= 3 and sum >= 200000)
INSERT INTO alerts
WITH f AS (
    SELECT ord, ts, event_id, village, payee_id, amount,
           row_number() OVER (PARTITION BY payee_id ORDER BY ord) AS i
    FROM ev WHERE type = 'finance.payment'
), b AS (
    SELECT *, min(i) OVER (PARTITION BY payee_id ORDER BY ts
                           RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND CURRENT ROW) AS s
    FROM f
), a AS (
    SELECT *,
        count(DISTINCT village) OVER (PARTITION BY payee_id ORDER BY ord
                                      ROWS BETWEEN (i - s) PRECEDING AND CURRENT ROW) >= 3
        AND sum(amount) OVER (PARTITION BY payee_id ORDER BY ord
                              ROWS BETWEEN (i - s) PRECEDING AND CURRENT ROW) >= 200000 AS c
    FROM b
)
SELECT 'payee-fund-concentration', event_id FROM a
QUALIFY c AND NOT coalesce(lag(c) OVER (PARTITION BY payee_id ORDER BY ord), false);

-- R13 wage-without-attendance (precedence; any village)
INSERT INTO alerts
WITH att AS (
    SELECT worker_id, project_id, strftime(work_date, '%Y-%m') AS period, min(ord) AS first_ord
    FROM ev WHERE type = 'labor.attendance'
    GROUP BY ALL
)
SELECT 'wage-without-attendance', w.event_id
FROM ev w LEFT JOIN att ON att.worker_id = w.worker_id AND att.project_id = w.project_id
                       AND att.period = w.period
WHERE w.type = 'labor.wage' AND (att.first_ord IS NULL OR att.first_ord > w.ord);

-- R14 double-attendance (window: key (worker_id, work_date) across villages,
-- W unbounded; sum hours > 12 and count distinct project_id >= 2)
INSERT INTO alerts
WITH a AS (
    SELECT event_id, ord, worker_id, work_date,
        sum(hours) OVER w > 12 AND count(DISTINCT project_id) OVER w >= 2 AS c
    FROM ev WHERE type = 'labor.attendance'
    WINDOW w AS (PARTITION BY worker_id, work_date ORDER BY ord ROWS UNBOUNDED PRECEDING)
)
SELECT 'double-attendance', event_id FROM a
QUALIFY c AND NOT coalesce(lag(c) OVER (PARTITION BY worker_id, work_date ORDER BY ord), false);

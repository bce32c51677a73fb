import EventModel

/// What a write did: rows inserted, and rows skipped because they were
/// already stored (same alert identity, or same dead letter).
public struct AlertWriteSummary: Sendable, Hashable {
    /// Alerts stored now.
    public var alertsInserted = 0
    /// Alerts already stored (same rule and anchor event), left untouched.
    public var alertsSkipped = 0
    /// Dead letters stored now.
    public var deadLettersInserted = 0
    /// Dead letters already stored (same source, position and bytes).
    public var deadLettersSkipped = 0

    /// All counts zero.
    public init() {}

    /// Adds another summary's counts.
    public mutating func add(_ other: AlertWriteSummary) {
        alertsInserted += other.alertsInserted
        alertsSkipped += other.alertsSkipped
        deadLettersInserted += other.deadLettersInserted
        deadLettersSkipped += other.deadLettersSkipped
    }
}

extension PostgresConnection {
    /// Batches of at least this many rows go through COPY; smaller ones
    /// through multi-row INSERTs (fewer round trips).
    public static let defaultCopyThreshold = 64

    /// Stores alerts and dead letters idempotently: an alert whose
    /// (`rule_id`, `anchor_event_id`) is already stored, or a dead letter
    /// with the same source, position and raw bytes, is skipped and never
    /// overwritten (analysts' status, assignee and disposition stay).
    ///
    /// Runs in a transaction, or joins the caller's: call it inside
    /// ``transaction(file:line:_:)`` to commit alerts together with rows of
    /// your own (offsets, checkpoints).
    ///
    /// `fresh`: the caller knows that no alert of this batch was stored
    /// before its writes began (a replay into an empty `alerts` table), so
    /// a large batch is copied straight in without asking first; one that
    /// meets an alert stored meanwhile still falls back, as below.
    @discardableResult
    public func write(alerts: [Alert], deadLetters: [DeadLetter],
                      copyThreshold: Int = PostgresConnection.defaultCopyThreshold,
                      fresh: Bool = false) throws -> AlertWriteSummary {
        try transaction { c in
            var summary = AlertWriteSummary()
            let a = alerts.count >= copyThreshold ? try c.copyAlerts(alerts, fresh: fresh) : try c.insertAlerts(alerts)
            summary.alertsInserted = a
            summary.alertsSkipped = alerts.count - a
            let d = deadLetters.count >= copyThreshold ? try c.copyDeadLetters(deadLetters) : try c.insertDeadLetters(deadLetters)
            summary.deadLettersInserted = d
            summary.deadLettersSkipped = deadLetters.count - d
            return summary
        }
    }

    // MARK: multi-row INSERT (small batches)

    static let rowsPerInsert = 100

    func insertAlerts(_ alerts: [Alert]) throws -> Int {
        var inserted = 0
        for start in stride(from: 0, to: alerts.count, by: PostgresConnection.rowsPerInsert) {
            let batch = alerts[start..<min(start + PostgresConnection.rowsPerInsert, alerts.count)]
            var params: [String?] = []
            params.reserveCapacity(batch.count * AlertRow.columns.count)
            var tuples: [String] = []
            for alert in batch {
                let base = params.count
                params.append(contentsOf: AlertRow.values(alert))
                tuples.append("(" + AlertRow.casts.enumerated().map { "$\(base + $0.offset + 1)\($0.element)" }
                    .joined(separator: ",") + ")")
            }
            let sql = "INSERT INTO alerts (\(AlertRow.columns.joined(separator: ", "))) VALUES "
                + tuples.joined(separator: ",") + " ON CONFLICT (rule_id, anchor_event_id) DO NOTHING"
            inserted += try execute(sql, params: params).affectedRows
        }
        return inserted
    }

    func insertDeadLetters(_ letters: [DeadLetter]) throws -> Int {
        var inserted = 0
        for start in stride(from: 0, to: letters.count, by: PostgresConnection.rowsPerInsert) {
            let batch = letters[start..<min(start + PostgresConnection.rowsPerInsert, letters.count)]
            var params: [String?] = []
            var tuples: [String] = []
            for letter in batch {
                let b = params.count
                params.append(contentsOf: DeadLetterRow.values(letter))
                tuples.append("($\(b + 1),$\(b + 2),$\(b + 3)::int8,$\(b + 4)::bytea,sha256($\(b + 4)::bytea),$\(b + 5),$\(b + 6),$\(b + 7))")
            }
            let sql = "INSERT INTO dead_letters (source_kind, source_name, position, raw, raw_sha256, kind, reason, event_id) VALUES "
                + tuples.joined(separator: ",") + " ON CONFLICT DO NOTHING"
            inserted += try execute(sql, params: params).affectedRows
        }
        return inserted
    }

    // MARK: COPY into a staging table, then INSERT … SELECT … ON CONFLICT (big batches)

    /// A batch none of whose alerts is stored yet (a first replay, a
    /// stream's new alerts) is copied straight into `alerts`, under a
    /// savepoint; a batch with stored alerts, or whose copy meets one
    /// written meanwhile (unique violation, SQLSTATE 23505), goes through
    /// a staging table and `INSERT … ON CONFLICT DO NOTHING`. Staging writes
    /// every row twice: the direct copy cost PostgreSQL about a fifth less
    /// (17,860 alerts, 26 MB: 0.57–0.62 s against 0.70–0.80 s, 2026-11-27).
    /// `fresh` (see `write`) skips asking whether any is stored.
    func copyAlerts(_ alerts: [Alert], fresh: Bool = false) throws -> Int {
        guard !alerts.isEmpty else { return 0 }
        if try fresh || !anyStored(alerts) {
            try executeScript("SAVEPOINT qly_direct_copy")
            do {
                let copied = try copyAlertRows(alerts, into: "alerts")
                try executeScript("RELEASE SAVEPOINT qly_direct_copy")
                return copied
            } catch let e as PostgresError where e.sqlState == "23505" {
                try executeScript("ROLLBACK TO SAVEPOINT qly_direct_copy")
            }
        }
        return try copyAlertsStaged(alerts)
    }

    /// Whether `alerts` holds no row at all (a replay's first write: its
    /// batches need not ask `anyStored`).
    public func alertsTableIsEmpty() throws -> Bool {
        try execute("SELECT NOT EXISTS (SELECT 1 FROM alerts)").scalar == "t"
    }

    /// Whether any of the alerts' identities is already stored.
    func anyStored(_ alerts: [Alert]) throws -> Bool {
        let rows = try execute("""
            SELECT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS k(rule_id, anchor_event_id)
                           JOIN alerts a USING (rule_id, anchor_event_id))
            """, params: [PostgresText.arrayLiteral(alerts.map(\.ruleID)), PostgresText.arrayLiteral(alerts.map(\.anchorEventID))])
        return (rows.rows.first?.first ?? nil) == "t"
    }

    func copyAlertsStaged(_ alerts: [Alert]) throws -> Int {
        let columns = AlertRow.columns.joined(separator: ", ")
        try executeScript("""
            CREATE TEMP TABLE IF NOT EXISTS qly_alerts_in (\(AlertRow.stagingDefinition)) ON COMMIT DELETE ROWS
            """)
        try copyAlertRows(alerts, into: "qly_alerts_in")
        let inserted = try executeScript("""
            INSERT INTO alerts (\(columns)) SELECT \(columns) FROM qly_alerts_in
            ON CONFLICT (rule_id, anchor_event_id) DO NOTHING
            """).affectedRows
        try executeScript("TRUNCATE qly_alerts_in")
        return inserted
    }

    /// COPY of the alerts' rows into `table` (`alerts` or its staging table); rows copied.
    @discardableResult
    private func copyAlertRows(_ alerts: [Alert], into table: String) throws -> Int {
        try copyInBinary("COPY \(table) (\(AlertRow.columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)") { w in
            for alert in alerts {
                try w.beginRow()
                AlertRow.copy(alert, into: &w)
            }
        }
    }

    func copyDeadLetters(_ letters: [DeadLetter]) throws -> Int {
        guard !letters.isEmpty else { return 0 }
        try executeScript("""
            CREATE TEMP TABLE IF NOT EXISTS qly_dead_letters_in (
                source_kind text, source_name text, position int8, raw bytea, kind text, reason text, event_id text
            ) ON COMMIT DELETE ROWS
            """)
        try copyIn("COPY qly_dead_letters_in FROM STDIN") { w in
            for letter in letters {
                w.field(letter.source.kind)
                w.field(letter.source.name)
                w.field(String(letter.source.position))
                w.field(bytea: letter.raw)
                w.field(letter.kind)
                w.field(letter.reason)
                w.field(letter.eventID)
                try w.endRow()
            }
        }
        let inserted = try executeScript("""
            INSERT INTO dead_letters (source_kind, source_name, position, raw, raw_sha256, kind, reason, event_id)
            SELECT source_kind, source_name, position, raw, sha256(raw), kind, reason, event_id FROM qly_dead_letters_in
            ON CONFLICT DO NOTHING
            """).affectedRows
        try executeScript("TRUNCATE qly_dead_letters_in")
        return inserted
    }
}

/// How an `Alert` maps onto the columns of `alerts`.
enum AlertRow {
    static let columns = [
        "rule_id", "rule_version", "anchor_event_id", "anchor_time", "severity", "village", "township", "district",
        "alert_key", "evidence_event_ids", "first_evidence_at", "last_evidence_at", "figures", "summary_zh",
        "summary_en", "evidence",
    ]
    static let types = [
        "text", "int4", "text", "timestamptz", "text", "text", "text", "text",
        "text", "text[]", "timestamptz", "timestamptz", "jsonb", "text",
        "text", "json",
    ]
    static let casts = types.map { "::" + $0 }
    static let stagingDefinition = zip(columns, types).map { "\($0) \($1)" }.joined(separator: ", ")

    /// Parameter values in `columns` order.
    static func values(_ a: Alert) -> [String?] {
        [
            PostgresText.sanitized(a.ruleID), String(a.ruleVersion), PostgresText.sanitized(a.anchorEventID),
            PostgresText.timestamp(a.anchorTime), a.severity.rawValue, a.village.description,
            a.village.townshipCode, a.village.districtCode, PostgresText.sanitized(a.key),
            PostgresText.arrayLiteral(a.evidenceEventIDs), PostgresText.timestamp(a.firstEvidenceAt),
            PostgresText.timestamp(a.lastEvidenceAt), a.storableFiguresJSON,
            PostgresText.sanitized(a.summaryZH), PostgresText.sanitized(a.summaryEN), evidenceJSON(a.evidence),
        ]
    }

    /// One row of binary COPY in `columns` order (the text format cost the
    /// server a fifth more: splitting and unescaping each row, parsing
    /// timestamps and the ids' array literal).
    static func copy(_ a: Alert, into w: inout CopyBinaryWriter) {
        w.text(a.ruleID)
        w.int4(Int32(clamping: a.ruleVersion))
        w.text(a.anchorEventID)
        w.timestamp(a.anchorTime)
        w.text(a.severity.rawValue)
        w.text(a.village.description)
        w.text(a.village.townshipCode)
        w.text(a.village.districtCode)
        w.text(a.key)
        w.textArray(a.evidenceEventIDs)
        w.timestamp(a.firstEvidenceAt)
        w.timestamp(a.lastEvidenceAt)
        w.jsonb(a.storableFiguresJSON)
        w.text(a.summaryZH)
        w.text(a.summaryEN)
        w.jsonArray(of: a.evidence)
    }

    /// The raw evidence objects joined into one JSON array text.
    static func evidenceJSON(_ raws: [[UInt8]]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, raw) in raws.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONArrayText.isCleanUTF8(raw) ? raw : Array(PostgresText.text(of: raw).utf8)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// Checks on raw JSON values before they go into a `json` column.
enum JSONArrayText {
    /// Valid UTF-8 without U+0000 (which PostgreSQL text cannot hold).
    static func isCleanUTF8(_ bytes: [UInt8]) -> Bool {
        var ascii = true
        for b in bytes {
            if b == 0 { return false }
            if b >= 0x80 { ascii = false }
        }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }
}

/// How a `DeadLetter` maps onto `dead_letters` parameters (source_kind,
/// source_name, position, raw, kind, reason, event_id).
enum DeadLetterRow {
    static func values(_ d: DeadLetter) -> [String?] {
        [d.source.kind, PostgresText.sanitized(d.source.name), String(d.source.position), PostgresText.byteaHex(d.raw),
         d.kind, PostgresText.sanitized(d.reason), d.eventID.map(PostgresText.sanitized)]
    }
}

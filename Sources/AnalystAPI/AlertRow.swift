import AlertStore
import EventModel

/// An alert as the queue shows it: every column of `alerts` (evidence only
/// in detail queries). Read with this module's scoped queries.
struct AlertRow: Sendable, Hashable {
    var id: Int64
    var ruleID: String
    var ruleVersion: Int
    var anchorEventID: String
    var anchorTime: Instant
    var severity: Severity
    var village: String
    var township: String
    var district: String
    var key: String
    var evidenceEventIDs: [String]
    var firstEvidenceAt: Instant
    var lastEvidenceAt: Instant
    var figuresJSON: String
    var summaryZH: String
    var summaryEN: String
    var evidenceJSON: String?
    var detectedAt: Instant
    var status: AlertStatus
    var assignee: String?
    var disposition: Disposition?
    var dispositionReason: String?
    var updatedAt: Instant
    /// Values of the personal fields of the evidence events (computed by
    /// the query), so that lists can mask them without loading evidence.
    var personalValues: [String]

    /// A masker for list views (key, figures and the evidence's personal values).
    var listMasker: IdentifierMasker {
        IdentifierMasker(masking: true, key: key, figures: JSONValue.parse(figuresJSON), evidence: [], extra: personalValues)
    }

    var cursor: AlertCursor { AlertCursor(detectedAt: detectedAt, id: id) }

    var workflowState: WorkflowState {
        WorkflowState(status: status, assignee: assignee, disposition: disposition, dispositionReason: dispositionReason)
    }

    static func micros(_ column: String) -> String { "(extract(epoch from \(column)) * 1000000)::int8" }

    /// The select list matching ``init(row:)``.
    static func selectList(evidence: Bool, alias: String = "") -> String {
        let p = alias.isEmpty ? "" : alias + "."
        return [
            "\(p)id", "\(p)rule_id", "\(p)rule_version", "\(p)anchor_event_id", micros("\(p)anchor_time"), "\(p)severity",
            "\(p)village", "\(p)township", "\(p)district", "\(p)alert_key", "\(p)evidence_event_ids",
            micros("\(p)first_evidence_at"), micros("\(p)last_evidence_at"), "\(p)figures::text",
            "\(p)summary_zh", "\(p)summary_en", evidence ? "\(p)evidence::text" : "NULL::text",
            micros("\(p)detected_at"), "\(p)status", "\(p)assignee", "\(p)disposition", "\(p)disposition_reason",
            micros("\(p)updated_at"), personalValuesSQL("\(p)evidence"),
        ].joined(separator: ", ")
    }

    /// SQL: the distinct scalar values of personal fields in the evidence events.
    static func personalValuesSQL(_ column: String) -> String {
        let personal = PostgresText.arrayLiteral(IdentifierMasker.personalFields.sorted())
        let other = PostgresText.arrayLiteral(IdentifierMasker.nonPersonalFields.sorted())
        return """
            ARRAY(SELECT DISTINCT kv.value FROM json_array_elements(\(column)) ev,
                         json_each_text(CASE WHEN json_typeof(ev) = 'object' THEN ev ELSE '{}'::json END) kv
                  WHERE json_typeof(ev -> kv.key) IN ('string', 'number')
                    AND (kv.key = ANY('\(personal)'::text[])
                         OR ((kv.key LIKE '%\\_id' OR kv.key LIKE '%\\_ids') AND kv.key <> ALL('\(other)'::text[]))))::text
            """
    }

    init(row r: [String?]) throws {
        func text(_ i: Int) throws -> String {
            guard i < r.count, let v = r[i] else { throw PostgresError(.unexpectedResult, message: "NULL in alerts column \(i)") }
            return v
        }
        func int(_ i: Int) throws -> Int64 {
            guard let v = Int64(try text(i)) else { throw PostgresError(.unexpectedResult, message: "not an integer in alerts column \(i)") }
            return v
        }
        guard let severity = Severity(rawValue: try text(5)) else {
            throw PostgresError(.unexpectedResult, message: "unknown severity in alerts")
        }
        id = try int(0)
        ruleID = try text(1)
        ruleVersion = Int(try int(2))
        anchorEventID = try text(3)
        anchorTime = try int(4)
        self.severity = severity
        village = try text(6)
        township = try text(7)
        district = try text(8)
        key = try text(9)
        evidenceEventIDs = (PostgresText.parseArray(try text(10)) ?? []).map { $0 ?? "" }
        firstEvidenceAt = try int(11)
        lastEvidenceAt = try int(12)
        figuresJSON = try text(13)
        summaryZH = try text(14)
        summaryEN = try text(15)
        evidenceJSON = r[16]
        detectedAt = try int(17)
        status = AlertStatus(rawValue: try text(18))
        assignee = r[19]
        disposition = r[20].map(Disposition.init(rawValue:))
        dispositionReason = r[21]
        updatedAt = try int(22)
        personalValues = r.count > 23 ? (r[23].flatMap(PostgresText.parseArray) ?? []).compactMap { $0 } : []
    }
}

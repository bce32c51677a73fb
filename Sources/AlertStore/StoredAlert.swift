import EventModel

/// Where an alert stands in the analysts' workflow (`alerts.status`).
/// Open set of values so that later migrations can add states.
public struct AlertStatus: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The text stored in the column.
    public var rawValue: String
    /// A value from its column text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Not looked at yet (the default).
    public static let new = AlertStatus(rawValue: "new")
    /// Seen by an analyst.
    public static let acknowledged = AlertStatus(rawValue: "acknowledged")
    /// Handed to an analyst (`assignee`).
    public static let assigned = AlertStatus(rawValue: "assigned")
    /// Passed up to a lead.
    public static let escalated = AlertStatus(rawValue: "escalated")
    /// Done, with a disposition.
    public static let closed = AlertStatus(rawValue: "closed")
    /// The states of the initial schema.
    public static let all: [AlertStatus] = [.new, .acknowledged, .assigned, .escalated, .closed]

    /// The column text.
    public var description: String { rawValue }
}

/// How a closed alert was judged (`alerts.disposition`).
public struct Disposition: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The text stored in the column.
    public var rawValue: String
    /// A value from its column text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A real irregularity.
    public static let confirmed = Disposition(rawValue: "confirmed")
    /// Nothing wrong after all.
    public static let falsePositive = Disposition(rawValue: "false_positive")
    /// Covered by another alert.
    public static let duplicate = Disposition(rawValue: "duplicate")
    /// Cannot be judged without more information.
    public static let needsInfo = Disposition(rawValue: "needs_info")
    /// The dispositions of the initial schema.
    public static let all: [Disposition] = [.confirmed, .falsePositive, .duplicate, .needsInfo]

    /// The column text.
    public var description: String { rawValue }
}

/// A row of `alerts`: every column. Instants are microseconds since the epoch.
public struct StoredAlert: Sendable, Hashable {
    /// Primary key.
    public var id: Int64
    /// The rule's name.
    public var ruleID: String
    /// The rule's version when it fired.
    public var ruleVersion: Int
    /// The event at which the rule fired.
    public var anchorEventID: String
    /// `occurred_at` of the anchor event.
    public var anchorTime: Instant
    /// How serious the alert is.
    public var severity: Severity
    /// The village (12 digits).
    public var village: VillageCode
    /// 9 digits.
    public var township: String
    /// 6 digits.
    public var district: String
    /// Human-readable key, e.g. `village=330521101202 payee_id=X`.
    public var key: String
    /// Evidence event ids, anchor included, in the total order.
    public var evidenceEventIDs: [String]
    /// Earliest evidence instant.
    public var firstEvidenceAt: Instant
    /// Latest evidence instant.
    public var lastEvidenceAt: Instant
    /// The `figures` jsonb as text (PostgreSQL's normalised form).
    public var figuresJSON: String
    /// Summary in Chinese.
    public var summaryZH: String
    /// Summary in English.
    public var summaryEN: String
    /// The `evidence` JSON array exactly as written; nil when the query did
    /// not ask for it (lists leave it out, ``PostgresAlertStore/alert(id:)`` includes it).
    public var evidenceJSON: String?
    /// When the alert was written.
    public var detectedAt: Instant
    /// Workflow state.
    public var status: AlertStatus
    /// The analyst it is assigned to.
    public var assignee: String?
    /// How it was judged.
    public var disposition: Disposition?
    /// Why.
    public var dispositionReason: String?
    /// Last change of the queue columns.
    public var updatedAt: Instant

    /// The identity of the alert.
    public var identity: AlertIdentity { AlertIdentity(ruleID: ruleID, anchorEventID: anchorEventID) }

    /// The keyset cursor that continues a listing after this alert.
    public var cursor: AlertCursor { AlertCursor(detectedAt: detectedAt, id: id) }
}

/// A position in the queue order (`detected_at` DESC, `id` DESC): a page
/// continues with the alerts strictly after it.
public struct AlertCursor: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// When the alert was written.
    public var detectedAt: Instant
    /// Primary key.
    public var id: Int64

    /// The position of the alert with these `detected_at` and `id`.
    public init(detectedAt: Instant, id: Int64) {
        self.detectedAt = detectedAt
        self.id = id
    }

    /// `<detectedAt micros>_<id>`, for URLs and API tokens.
    public var description: String { "\(detectedAt)_\(id)" }

    /// Parses `<detectedAt micros>_<id>`; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "_")
        guard parts.count == 2, let t = Int64(parts[0]), let i = Int64(parts[1]) else { return nil }
        self.init(detectedAt: t, id: i)
    }
}

extension StoredAlert {
    /// The select list matching ``init(row:)``.
    static func selectList(includeEvidence: Bool) -> String {
        [
            "id", "rule_id", "rule_version", "anchor_event_id", PostgresText.micros("anchor_time"), "severity",
            "village", "township", "district", "alert_key", "evidence_event_ids",
            PostgresText.micros("first_evidence_at"), PostgresText.micros("last_evidence_at"), "figures::text",
            "summary_zh", "summary_en", includeEvidence ? "evidence::text" : "NULL::text",
            PostgresText.micros("detected_at"), "status", "assignee", "disposition", "disposition_reason",
            PostgresText.micros("updated_at"),
        ].joined(separator: ", ")
    }

    /// Decodes a row selected with ``selectList(includeEvidence:)``.
    init(row r: [String?]) throws {
        func text(_ i: Int) throws -> String {
            guard let v = r[i] else { throw PostgresError(.unexpectedResult, message: "NULL in alerts column \(i)") }
            return v
        }
        func int(_ i: Int) throws -> Int64 {
            guard let v = Int64(try text(i)) else { throw PostgresError(.unexpectedResult, message: "not an integer in alerts column \(i)") }
            return v
        }
        guard let severity = Severity(rawValue: try text(5)) else {
            throw PostgresError(.unexpectedResult, message: "unknown severity in alerts")
        }
        guard let village = VillageCode(try text(6)) else {
            throw PostgresError(.unexpectedResult, message: "malformed village code in alerts")
        }
        guard let ids = PostgresText.parseArray(try text(10)) else {
            throw PostgresError(.unexpectedResult, message: "malformed evidence_event_ids in alerts")
        }
        self.init(
            id: try int(0), ruleID: try text(1), ruleVersion: Int(try int(2)), anchorEventID: try text(3),
            anchorTime: try int(4), severity: severity, village: village, township: try text(7),
            district: try text(8), key: try text(9), evidenceEventIDs: ids.map { $0 ?? "" },
            firstEvidenceAt: try int(11), lastEvidenceAt: try int(12), figuresJSON: try text(13),
            summaryZH: try text(14), summaryEN: try text(15), evidenceJSON: r[16], detectedAt: try int(17),
            status: AlertStatus(rawValue: try text(18)), assignee: r[19],
            disposition: r[20].map(Disposition.init(rawValue:)), dispositionReason: r[21], updatedAt: try int(22))
    }
}

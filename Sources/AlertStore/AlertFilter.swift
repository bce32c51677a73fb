import EventModel

/// Which alerts a query returns. Empty or nil fields do not filter; the
/// fields that are set must all hold. Every value reaches SQL as a
/// parameter, never as SQL text.
public struct AlertFilter: Sendable, Hashable {
    /// The instant a time range applies to.
    public enum TimeField: String, Sendable, Hashable {
        /// When the alert was written (`detected_at`).
        case detectedAt = "detected_at"
        /// When the anchor event occurred (`anchor_time`).
        case anchorTime = "anchor_time"
    }

    /// Rule names (`rule_id`).
    public var ruleIDs: [String] = []
    /// 6-digit district codes.
    public var districts: [String] = []
    /// 9-digit township codes.
    public var townships: [String] = []
    /// 12-digit village codes.
    public var villages: [String] = []
    /// Any prefix of a village code (a district, a township, a village, or
    /// a part of one); digits only.
    public var villagePrefixes: [String] = []
    /// Workflow states.
    public var statuses: [AlertStatus] = []
    /// Severities.
    public var severities: [Severity] = []
    /// The analyst alerts are assigned to.
    public var assignee: String?
    /// The instant `from` and `until` apply to.
    public var timeField: TimeField = .detectedAt
    /// Inclusive lower bound on `timeField`.
    public var from: Instant?
    /// Exclusive upper bound on `timeField`.
    public var until: Instant?
    /// Case-insensitive substring of the Chinese or English summary or the key.
    public var text: String?

    /// A filter; every argument defaults to "any".
    public init(ruleIDs: [String] = [], districts: [String] = [], townships: [String] = [], villages: [String] = [],
                villagePrefixes: [String] = [], statuses: [AlertStatus] = [], severities: [Severity] = [],
                assignee: String? = nil, timeField: TimeField = .detectedAt, from: Instant? = nil,
                until: Instant? = nil, text: String? = nil) {
        self.ruleIDs = ruleIDs
        self.districts = districts
        self.townships = townships
        self.villages = villages
        self.villagePrefixes = villagePrefixes
        self.statuses = statuses
        self.severities = severities
        self.assignee = assignee
        self.timeField = timeField
        self.from = from
        self.until = until
        self.text = text
    }

    /// Adds the filter's conditions to a query.
    func apply(to q: inout SQLConditions) {
        if !ruleIDs.isEmpty { q.add("rule_id = ANY(\(q.bind(PostgresText.arrayLiteral(ruleIDs)))::text[])") }
        if !districts.isEmpty { q.add("district = ANY(\(q.bind(PostgresText.arrayLiteral(districts)))::text[])") }
        if !townships.isEmpty {
            // The prefix test lets the planner use the village index; the equality keeps the meaning exact.
            let likes = townships.map { "village LIKE \(q.bind(PostgresText.prefixPattern($0)))" }
            q.add("(" + likes.joined(separator: " OR ") + ")")
            q.add("township = ANY(\(q.bind(PostgresText.arrayLiteral(townships)))::text[])")
        }
        if !villages.isEmpty { q.add("village = ANY(\(q.bind(PostgresText.arrayLiteral(villages)))::text[])") }
        if !villagePrefixes.isEmpty {
            let likes = villagePrefixes.map { "village LIKE \(q.bind(PostgresText.prefixPattern($0)))" }
            q.add("(" + likes.joined(separator: " OR ") + ")")
        }
        if !statuses.isEmpty {
            q.add("status = ANY(\(q.bind(PostgresText.arrayLiteral(statuses.map(\.rawValue))))::text[])")
        }
        if !severities.isEmpty {
            q.add("severity = ANY(\(q.bind(PostgresText.arrayLiteral(severities.map(\.rawValue))))::text[])")
        }
        if let assignee { q.add("assignee = \(q.bind(PostgresText.sanitized(assignee)))") }
        if let from { q.add("\(timeField.rawValue) >= \(q.bind(PostgresText.timestamp(from)))::timestamptz") }
        if let until { q.add("\(timeField.rawValue) < \(q.bind(PostgresText.timestamp(until)))::timestamptz") }
        if let text, !text.isEmpty {
            let p = q.bind(PostgresText.containsPattern(text))
            q.add("(summary_zh ILIKE \(p) OR summary_en ILIKE \(p) OR alert_key ILIKE \(p))")
        }
    }
}

/// A `WHERE` clause under construction, with its `$n` parameters.
struct SQLConditions {
    var conditions: [String] = []
    var params: [String?] = []

    /// Adds a parameter and returns its placeholder (`$n`).
    mutating func bind(_ value: String?) -> String {
        params.append(value)
        return "$\(params.count)"
    }

    mutating func add(_ condition: String) { conditions.append(condition) }

    /// ` WHERE a AND b`, or an empty string.
    var whereClause: String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}

extension PostgresText {
    /// A LIKE pattern matching strings that start with `prefix`.
    static func prefixPattern(_ prefix: String) -> String {
        String(containsPattern(prefix).dropFirst())
    }
}

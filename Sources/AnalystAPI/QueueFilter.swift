import AlertStore
import EventModel

/// The queue's filters, parsed from a query string (`?rule=…&status=new`)
/// or form. Values that do not parse are dropped and reported in
/// ``problems`` (the page shows them), never passed to SQL as text.
struct QueueFilter: Sendable, Hashable {
    enum Sort: String, Sendable, CaseIterable { case newest, oldest }
    enum TimeField: String, Sendable, CaseIterable {
        /// `anchor_time`: when the anchor event happened.
        case event
        /// `detected_at`: when the alert was written.
        case detected
        var column: String { self == .event ? "anchor_time" : "detected_at" }
    }

    var districts: [String] = []
    var townships: [String] = []
    var villages: [String] = []
    var rules: [String] = []
    var severities: [Severity] = []
    var statuses: [AlertStatus] = []
    /// `me`, `none` or a user name.
    var assignee: String?
    var timeField: TimeField = .event
    /// Local (Asia/Shanghai) dates, inclusive `from`, inclusive `until`.
    var from: String?
    var until: String?
    var text: String?
    var sort: Sort = .newest
    var problems: [String] = []

    init() {}

    init(_ f: FormData) {
        func codes(_ name: String, _ length: Int) -> [String] {
            var out: [String] = []
            for c in f.all(name) {
                if c.utf8.count == length && c.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { out.append(c) }
                else { problems.append("\(name): \(c)") }
            }
            return out
        }
        districts = codes("district", 6)
        townships = codes("township", 9)
        villages = codes("village", 12)
        rules = f.all("rule").filter { r in
            let ok = r.utf8.count <= 100 && r.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
            if !ok { problems.append("rule") }
            return ok
        }
        for s in f.all("severity") {
            if let v = Severity(rawValue: s) { severities.append(v) } else { problems.append("severity: \(s)") }
        }
        for s in f.all("status") {
            let v = AlertStatus(rawValue: s)
            if AlertStatus.all.contains(v) { statuses.append(v) } else { problems.append("status: \(s)") }
        }
        if let a = f["assignee"] {
            if a == "me" || a == "none" || AnalystUser.isValidName(a) { assignee = a } else { problems.append("assignee") }
        }
        if let t = f["time"] { timeField = TimeField(rawValue: t) ?? .event }
        for (name, value) in [("from", f["from"]), ("until", f["until"])] {
            guard let value else { continue }
            if Timestamp.parseDate(value) != nil {
                if name == "from" { from = value } else { until = value }
            } else {
                problems.append("\(name): \(value)")
            }
        }
        if let q = f.raw("q")?.trimmed, !q.isEmpty { text = String(q.prefix(200)) }
        if let s = f["sort"] { sort = Sort(rawValue: s) ?? .newest }
    }

    /// True when no filter narrows the queue.
    var isEmpty: Bool {
        districts.isEmpty && townships.isEmpty && villages.isEmpty && rules.isEmpty && severities.isEmpty
            && statuses.isEmpty && assignee == nil && from == nil && until == nil && text == nil
    }

    /// True when the free text looks like part of a personal id (4+ digits
    /// in a row): such searches are audited, since they can probe masked ids.
    var textProbesIDs: Bool {
        guard let text else { return false }
        var run = 0
        for u in text.utf8 {
            if u >= 0x30 && u <= 0x39 { run += 1; if run >= 4 { return true } } else { run = 0 }
        }
        return false
    }

    /// Adds the conditions (all but status when `includeStatus` is false) to `q`.
    func apply(to q: inout ScopedSQL, user: String, includeStatus: Bool = true) {
        if !districts.isEmpty { q.add("district = ANY(\(q.bindArray(districts)))") }
        if !townships.isEmpty {
            let likes = townships.map { "village LIKE \(q.bind($0 + "%"))" }
            q.add("(" + likes.joined(separator: " OR ") + ")")
            q.add("township = ANY(\(q.bindArray(townships)))")
        }
        if !villages.isEmpty { q.add("village = ANY(\(q.bindArray(villages)))") }
        if !rules.isEmpty { q.add("rule_id = ANY(\(q.bindArray(rules)))") }
        if !severities.isEmpty { q.add("severity = ANY(\(q.bindArray(severities.map(\.rawValue))))") }
        if includeStatus && !statuses.isEmpty { q.add("status = ANY(\(q.bindArray(statuses.map(\.rawValue))))") }
        switch assignee {
        case nil: break
        case "none": q.add("assignee IS NULL")
        case "me": q.add("assignee = \(q.bind(user))")
        case let name?: q.add("assignee = \(q.bind(name))")
        }
        if let from, let day = Timestamp.parseDate(from) {
            q.add("\(timeField.column) >= \(q.bind(PostgresText.timestamp(ShanghaiTime.startOfDay(day))))::timestamptz")
        }
        if let until, let day = Timestamp.parseDate(until) {
            q.add("\(timeField.column) < \(q.bind(PostgresText.timestamp(ShanghaiTime.startOfDay(day + 1))))::timestamptz")
        }
        if let text {
            let p = q.bind(PostgresText.containsPattern(text))
            q.add("(summary_zh ILIKE \(p) OR summary_en ILIKE \(p) OR alert_key ILIKE \(p) OR rule_id ILIKE \(p))")
        }
    }

    /// The filter as query-string pairs (for links; `after` not included).
    var queryPairs: [(String, String)] {
        var out: [(String, String)] = []
        for d in districts { out.append(("district", d)) }
        for t in townships { out.append(("township", t)) }
        for v in villages { out.append(("village", v)) }
        for r in rules { out.append(("rule", r)) }
        for s in severities { out.append(("severity", s.rawValue)) }
        for s in statuses { out.append(("status", s.rawValue)) }
        if let assignee { out.append(("assignee", assignee)) }
        if timeField != .event { out.append(("time", timeField.rawValue)) }
        if let from { out.append(("from", from)) }
        if let until { out.append(("until", until)) }
        if let text { out.append(("q", text)) }
        if sort != .newest { out.append(("sort", sort.rawValue)) }
        return out
    }

    /// `a=1&b=2` of ``queryPairs`` plus `extra`.
    func queryString(_ extra: [(String, String)] = []) -> String {
        (queryPairs + extra).map { HTMLText.urlEncode($0.0) + "=" + HTMLText.urlEncode($0.1) }.joined(separator: "&")
    }

    /// A copy with the status filter replaced.
    func with(statuses s: [AlertStatus]) -> QueueFilter {
        var c = self
        c.statuses = s
        return c
    }

    /// The filter as a JSON object (for the audit log of exports and searches).
    var json: JSONWriter {
        var w = JSONWriter()
        var keys: [String] = []
        for (k, _) in queryPairs where !keys.contains(k) { keys.append(k) }
        for k in keys { w.field(k, queryPairs.filter { $0.0 == k }.map(\.1)) }
        return w
    }
}

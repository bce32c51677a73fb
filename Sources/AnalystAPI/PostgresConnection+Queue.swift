import AlertStore
import EventModel

/// One page of the queue.
struct QueuePage: Sendable {
    var alerts: [AlertRow]
    /// The cursor of the next page, when there is one.
    var next: AlertCursor?
}

/// The scoped readers of the queue. Every statement starts from
/// ``ScopedSQL/scoped(_:alias:)``: an alert outside the user's districts is
/// never read, counted or changed.
extension PostgresConnection {
    /// A page of alerts matching `filter`, in the filter's order, after `after`.
    func queuePage(scope: [String], user: String, filter: QueueFilter, after: AlertCursor?, limit: Int) throws -> QueuePage {
        var q = ScopedSQL.scoped(scope)
        filter.apply(to: &q, user: user)
        let desc = filter.sort == .newest
        if let after {
            q.add("(detected_at, id) \(desc ? "<" : ">") (\(q.bind(PostgresText.timestamp(after.detectedAt)))::timestamptz, \(q.bind(String(after.id)))::int8)")
        }
        let n = max(1, min(limit, 500))
        let order = desc ? "detected_at DESC, id DESC" : "detected_at, id"
        let sql = "SELECT \(AlertRow.selectList(evidence: false)) FROM alerts\(q.whereClause) ORDER BY \(order) LIMIT \(n + 1)"
        var rows = try execute(sql, params: q.params).rows.map(AlertRow.init(row:))
        var next: AlertCursor? = nil
        if rows.count > n {
            rows.removeLast()
            next = rows.last?.cursor
        }
        return QueuePage(alerts: rows, next: next)
    }

    /// Alert counts per status for `filter` without its status condition.
    func statusCounts(scope: [String], user: String, filter: QueueFilter) throws -> [AlertStatus: Int] {
        var q = ScopedSQL.scoped(scope)
        filter.apply(to: &q, user: user, includeStatus: false)
        var out: [AlertStatus: Int] = [:]
        for r in try execute("SELECT status, count(*) FROM alerts\(q.whereClause) GROUP BY status", params: q.params).rows {
            if let s = r[0], let n = r[1].flatMap({ Int($0) }) { out[AlertStatus(rawValue: s)] = n }
        }
        return out
    }

    /// Alerts with `id > afterID` matching `filter` (newest first, at most
    /// `limit`) and how many there are — for the queue's live updates.
    func newAlerts(scope: [String], user: String, filter: QueueFilter, afterID: Int64, limit: Int) throws -> (count: Int, alerts: [AlertRow]) {
        var q = ScopedSQL.scoped(scope)
        filter.apply(to: &q, user: user)
        q.add("id > \(q.bind(String(afterID)))::int8")
        let count = Int(try execute("SELECT count(*) FROM alerts\(q.whereClause)", params: q.params).scalar ?? "0") ?? 0
        guard count > 0 else { return (0, []) }
        let rows = try execute("SELECT \(AlertRow.selectList(evidence: false)) FROM alerts\(q.whereClause) ORDER BY id DESC LIMIT \(max(1, min(limit, 200)))",
                               params: q.params).rows.map(AlertRow.init(row:))
        return (count, rows)
    }

    /// The newest alert id in scope (0 when none).
    func maxAlertID(scope: [String]) throws -> Int64 {
        let q = ScopedSQL.scoped(scope)
        return Int64(try execute("SELECT coalesce(max(id), 0) FROM alerts\(q.whereClause)", params: q.params).scalar ?? "0") ?? 0
    }

    /// One alert with its evidence, when it is in `scope`; nil otherwise
    /// (missing and out-of-scope look the same).
    func scopedAlert(id: Int64, scope: [String], forUpdate: Bool = false) throws -> AlertRow? {
        var q = ScopedSQL.scoped(scope)
        q.add("id = \(q.bind(String(id)))::int8")
        let sql = "SELECT \(AlertRow.selectList(evidence: true)) FROM alerts\(q.whereClause)\(forUpdate ? " FOR UPDATE" : "")"
        return try execute(sql, params: q.params).rows.first.map(AlertRow.init(row:))
    }

    /// Other alerts with the same key (hence village), newest first.
    func alertsWithSameKey(_ a: AlertRow, scope: [String], limit: Int = 20) throws -> [AlertRow] {
        var q = ScopedSQL.scoped(scope)
        q.add("village = \(q.bind(a.village))")
        q.add("alert_key = \(q.bind(a.key))")
        q.add("id <> \(q.bind(String(a.id)))::int8")
        return try execute("SELECT \(AlertRow.selectList(evidence: false)) FROM alerts\(q.whereClause) ORDER BY detected_at DESC, id DESC LIMIT \(limit)",
                           params: q.params).rows.map(AlertRow.init(row:))
    }

    /// Other alerts in the same village with a different key, newest first.
    func alertsInSameVillage(_ a: AlertRow, scope: [String], limit: Int = 20) throws -> [AlertRow] {
        var q = ScopedSQL.scoped(scope)
        q.add("village = \(q.bind(a.village))")
        q.add("alert_key <> \(q.bind(a.key))")
        return try execute("SELECT \(AlertRow.selectList(evidence: false)) FROM alerts\(q.whereClause) ORDER BY anchor_time DESC, id DESC LIMIT \(limit)",
                           params: q.params).rows.map(AlertRow.init(row:))
    }

    /// Comments on an alert in scope, oldest first.
    func comments(alertID: Int64, scope: [String]) throws -> [AlertComment] {
        var q = ScopedSQL.scoped(scope, alias: "a")
        q.add("a.id = \(q.bind(String(alertID)))::int8")
        return try execute("""
            SELECT c.id, c.author, c.body, (extract(epoch from c.created_at) * 1000000)::int8
            FROM alert_comments c JOIN alerts a ON a.id = c.alert_id\(q.whereClause) ORDER BY c.id
            """, params: q.params).rows.compactMap { r in
            guard let id = r[0].flatMap({ Int64($0) }), let author = r[1], let body = r[2], let at = r[3].flatMap({ Int64($0) }) else { return nil }
            return AlertComment(id: id, author: author, body: body, at: at)
        }
    }

    /// Users who can be assigned an alert of `district` (enabled, working roles).
    func assignableUsers(district: String) throws -> [AnalystUser] {
        try execute("""
            SELECT \(UserDirectory.userColumns) FROM users u
            WHERE NOT u.disabled AND u.role IN ('analyst', 'lead', 'admin') AND $1 = ANY(u.districts) ORDER BY u.name
            """, params: [district]).rows.compactMap(UserDirectory.user)
    }

    /// Distinct values of a column in scope (for filter menus), by count.
    func distinctValues(_ column: String, scope: [String], limit: Int = 500) throws -> [(String, Int)] {
        precondition(["rule_id", "township", "village", "assignee", "district"].contains(column))
        let q = ScopedSQL.scoped(scope)
        return try execute("SELECT \(column), count(*) FROM alerts\(q.whereClause) AND \(column) IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT \(limit)",
                           params: q.params).rows.compactMap { r in
            guard let v = r[0], let n = r[1].flatMap({ Int($0) }) else { return nil }
            return (v, n)
        }
    }
}

/// A comment on an alert.
struct AlertComment: Sendable, Hashable {
    var id: Int64
    var author: String
    var body: String
    var at: Instant
}

import AlertStore

/// Alert counts of one village in one month.
struct HeatCell: Sendable, Hashable {
    var township: String
    var village: String
    /// `YYYY-MM` (Asia/Shanghai, by the anchor event's time).
    var month: String
    var count: Int
}

/// Alert counts and dispositions of one rule.
struct RuleStats: Sendable, Hashable {
    var rule: String
    var total = 0
    var open = 0
    var confirmed = 0
    var falsePositive = 0
    var duplicate = 0
    var needsInfo = 0

    /// False positives among the alerts judged either way
    /// (`false_positive / (confirmed + false_positive)`); nil before any.
    var falsePositiveRate: Double? {
        let judged = confirmed + falsePositive
        return judged == 0 ? nil : Double(falsePositive) / Double(judged)
    }
}

/// Alerts of one rule in one week.
struct WeekCount: Sendable, Hashable {
    /// Monday of the week, `YYYY-MM-DD` (Asia/Shanghai).
    var week: String
    var count: Int
    var confirmed: Int
    var falsePositive: Int
}

/// A rule version as seen in the alerts it raised.
struct SeenVersion: Sendable, Hashable {
    var version: Int
    var count: Int
    var firstAnchor: String
    var lastAnchor: String
}

extension PostgresConnection {
    /// Alert counts per village and month for `filter` in scope.
    func heatCells(scope: [String], user: String, filter: QueueFilter) throws -> [HeatCell] {
        var q = ScopedSQL.scoped(scope)
        filter.apply(to: &q, user: user)
        let sql = """
            SELECT township, village, to_char(date_trunc('month', anchor_time AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM') AS m, count(*)
            FROM alerts\(q.whereClause) GROUP BY 1, 2, 3
            """
        return try execute(sql, params: q.params).rows.compactMap { r in
            guard let t = r[0], let v = r[1], let m = r[2], let n = r[3].flatMap({ Int($0) }) else { return nil }
            return HeatCell(township: t, village: v, month: m, count: n)
        }
    }

    /// Per-rule counts and dispositions for `filter` in scope.
    func ruleStats(scope: [String], user: String, filter: QueueFilter) throws -> [RuleStats] {
        var q = ScopedSQL.scoped(scope)
        filter.apply(to: &q, user: user)
        let sql = """
            SELECT rule_id, count(*), count(*) FILTER (WHERE status <> 'closed'),
                   count(*) FILTER (WHERE disposition = 'confirmed'), count(*) FILTER (WHERE disposition = 'false_positive'),
                   count(*) FILTER (WHERE disposition = 'duplicate'), count(*) FILTER (WHERE disposition = 'needs_info')
            FROM alerts\(q.whereClause) GROUP BY rule_id ORDER BY count(*) DESC, rule_id
            """
        return try execute(sql, params: q.params).rows.compactMap { r in
            guard let name = r[0] else { return nil }
            let n = r.dropFirst().map { $0.flatMap { Int($0) } ?? 0 }
            return RuleStats(rule: name, total: n[0], open: n[1], confirmed: n[2], falsePositive: n[3], duplicate: n[4], needsInfo: n[5])
        }
    }

    /// Weekly alert counts of `rule` in scope, oldest first.
    func weeklyCounts(rule: String, scope: [String]) throws -> [WeekCount] {
        var q = ScopedSQL.scoped(scope)
        q.add("rule_id = \(q.bind(rule))")
        let sql = """
            SELECT to_char(date_trunc('week', anchor_time AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD'), count(*),
                   count(*) FILTER (WHERE disposition = 'confirmed'), count(*) FILTER (WHERE disposition = 'false_positive')
            FROM alerts\(q.whereClause) GROUP BY 1 ORDER BY 1
            """
        return try execute(sql, params: q.params).rows.compactMap { r in
            guard let w = r[0], let n = r[1].flatMap({ Int($0) }) else { return nil }
            return WeekCount(week: w, count: n, confirmed: r[2].flatMap { Int($0) } ?? 0, falsePositive: r[3].flatMap { Int($0) } ?? 0)
        }
    }

    /// The versions of `rule` that raised alerts in scope.
    func seenVersions(rule: String, scope: [String]) throws -> [SeenVersion] {
        var q = ScopedSQL.scoped(scope)
        q.add("rule_id = \(q.bind(rule))")
        let sql = """
            SELECT rule_version, count(*), to_char(min(anchor_time) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                   to_char(max(anchor_time) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
            FROM alerts\(q.whereClause) GROUP BY 1 ORDER BY 1 DESC
            """
        return try execute(sql, params: q.params).rows.compactMap { r in
            guard let v = r[0].flatMap({ Int($0) }), let n = r[1].flatMap({ Int($0) }) else { return nil }
            return SeenVersion(version: v, count: n, firstAnchor: r[2] ?? "", lastAnchor: r[3] ?? "")
        }
    }
}

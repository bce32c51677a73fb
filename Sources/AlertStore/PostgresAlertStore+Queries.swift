import EventModel

/// A column to count alerts by.
public enum AlertCountDimension: String, Sendable, Hashable, CaseIterable {
    case rule = "rule_id"
    case status = "status"
    case severity = "severity"
    case district = "district"
    case township = "township"
    case village = "village"
}

extension PostgresAlertStore {
    /// Alerts matching `filter`, newest first (`detected_at` DESC, `id`
    /// DESC), at most `limit`, strictly after the keyset cursor `after`
    /// (pass the last alert's ``StoredAlert/cursor`` to get the next page).
    /// The `evidence` column is left out unless `includeEvidence`.
    public func alerts(filter: AlertFilter = AlertFilter(), limit: Int = 50, after: AlertCursor? = nil,
                       includeEvidence: Bool = false) async throws -> [StoredAlert] {
        var q = SQLConditions()
        filter.apply(to: &q)
        if let after {
            q.add("(detected_at, id) < (\(q.bind(PostgresText.timestamp(after.detectedAt)))::timestamptz, \(q.bind(String(after.id)))::int8)")
        }
        let sql = "SELECT \(StoredAlert.selectList(includeEvidence: includeEvidence)) FROM alerts\(q.whereClause)"
            + " ORDER BY detected_at DESC, id DESC LIMIT \(q.bind(String(max(0, limit))))::int8"
        let params = q.params
        return try await withConnection { c in try c.execute(sql, params: params).rows.map(StoredAlert.init(row:)) }
    }

    /// One alert with every column (evidence included), or nil.
    public func alert(id: Int64) async throws -> StoredAlert? {
        let sql = "SELECT \(StoredAlert.selectList(includeEvidence: true)) FROM alerts WHERE id = $1::int8"
        return try await withConnection { c in try c.execute(sql, params: [String(id)]).rows.first.map(StoredAlert.init(row:)) }
    }

    /// One alert by its identity (rule, anchor event), or nil.
    public func alert(identity: AlertIdentity) async throws -> StoredAlert? {
        let sql = "SELECT \(StoredAlert.selectList(includeEvidence: true)) FROM alerts WHERE rule_id = $1 AND anchor_event_id = $2"
        return try await withConnection { c in
            try c.execute(sql, params: [identity.ruleID, identity.anchorEventID]).rows.first.map(StoredAlert.init(row:))
        }
    }

    /// Number of alerts matching `filter`.
    public func countAlerts(filter: AlertFilter = AlertFilter()) async throws -> Int {
        var q = SQLConditions()
        filter.apply(to: &q)
        let sql = "SELECT count(*) FROM alerts\(q.whereClause)"
        let params = q.params
        return try await withConnection { c in Int(try c.execute(sql, params: params).scalar ?? "0") ?? 0 }
    }

    /// Alert counts per value of `dimension` among alerts matching `filter`.
    public func alertCounts(by dimension: AlertCountDimension, filter: AlertFilter = AlertFilter()) async throws -> [String: Int] {
        var q = SQLConditions()
        filter.apply(to: &q)
        let column = dimension.rawValue
        let sql = "SELECT \(column), count(*) FROM alerts\(q.whereClause) GROUP BY \(column)"
        let params = q.params
        return try await withConnection { c in
            var out: [String: Int] = [:]
            for row in try c.execute(sql, params: params).rows {
                if let k = row[0], let n = row[1].flatMap({ Int($0) }) { out[k] = n }
            }
            return out
        }
    }

    /// Dead letters, newest first, at most `limit`, with ids below `beforeID` when given.
    public func deadLetters(limit: Int = 100, beforeID: Int64? = nil) async throws -> [StoredDeadLetter] {
        var q = SQLConditions()
        if let beforeID { q.add("id < \(q.bind(String(beforeID)))::int8") }
        let sql = "SELECT \(StoredDeadLetter.selectList) FROM dead_letters\(q.whereClause) ORDER BY id DESC LIMIT \(q.bind(String(max(0, limit))))::int8"
        let params = q.params
        return try await withConnection { c in try c.execute(sql, params: params).rows.map(StoredDeadLetter.init(row:)) }
    }

    /// Number of dead letters.
    public func countDeadLetters() async throws -> Int {
        try await withConnection { c in Int(try c.execute("SELECT count(*) FROM dead_letters").scalar ?? "0") ?? 0 }
    }
}

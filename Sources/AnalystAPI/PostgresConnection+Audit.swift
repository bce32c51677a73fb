import AlertStore
import EventModel

/// One row of `audit_log`.
struct AuditEntry: Sendable, Hashable {
    var id: Int64
    var at: Instant
    var actor: String
    var actorRole: String?
    var via: String
    var action: String
    var alertID: Int64?
    var district: String?
    /// The `details` jsonb as text.
    var detailsJSON: String
}

/// Who does something, for the audit log.
struct AuditActor: Sendable {
    var name: String
    var role: String?
    var via: String
    var sessionRef: String?

    init(name: String, role: String?, via: String, sessionRef: String?) {
        self.name = name
        self.role = role
        self.via = via
        self.sessionRef = sessionRef
    }

    init(_ p: Principal) {
        self.init(name: p.user.name, role: p.user.role.rawValue, via: p.channel.rawValue, sessionRef: p.sessionRef)
    }
}

extension PostgresConnection {
    /// Appends one row to the append-only `audit_log`.
    func appendAudit(_ actor: AuditActor, action: String, alertID: Int64? = nil, district: String? = nil,
                     details: JSONWriter = JSONWriter()) throws {
        try execute("""
            INSERT INTO audit_log (actor, actor_role, via, action, alert_id, district, details, session_ref)
            VALUES ($1, $2, $3, $4, $5::int8, $6, $7::jsonb, $8)
            """, params: [actor.name, actor.role, actor.via, action, alertID.map { String($0) }, district,
                          details.json, actor.sessionRef])
    }

    /// The select list matching ``auditEntry(_:)``, columns of `audit_log l`.
    static let auditSelect = "l.id, (extract(epoch from l.at) * 1000000)::int8, l.actor, l.actor_role, l.via, l.action, l.alert_id, l.district, l.details::text"

    static func auditEntry(_ r: [String?]) -> AuditEntry? {
        guard let id = r[0].flatMap({ Int64($0) }), let at = r[1].flatMap({ Int64($0) }), let actor = r[2],
              let via = r[4], let action = r[5] else { return nil }
        return AuditEntry(id: id, at: at, actor: actor, actorRole: r[3], via: via, action: action,
                          alertID: r[6].flatMap { Int64($0) }, district: r[7], detailsJSON: r[8] ?? "{}")
    }

    /// The audit rows of one alert, oldest first; only when the alert is in `scope`.
    func auditTrail(alertID: Int64, scope: [String]) throws -> [AuditEntry] {
        var q = ScopedSQL.scoped(scope, alias: "a")
        q.add("a.id = \(q.bind(String(alertID)))::int8")
        let sql = """
            SELECT \(PostgresConnection.auditSelect) FROM audit_log l
            WHERE l.alert_id IN (SELECT a.id FROM alerts a\(q.whereClause)) ORDER BY l.id
            """
        return try execute(sql, params: q.params).rows.compactMap(PostgresConnection.auditEntry)
    }

    /// The newest audit rows whose district is in `scope`, newest first.
    func auditLog(scope: [String], actor: String?, action: String?, limit: Int, beforeID: Int64?) throws -> [AuditEntry] {
        var q = ScopedSQL.scoped(scope, alias: "l")
        if let actor { q.add("l.actor = \(q.bind(actor))") }
        if let action { q.add("l.action = \(q.bind(action))") }
        if let beforeID { q.add("l.id < \(q.bind(String(beforeID)))::int8") }
        let sql = "SELECT \(PostgresConnection.auditSelect) FROM audit_log l\(q.whereClause) ORDER BY l.id DESC LIMIT \(max(1, min(limit, 1000)))"
        return try execute(sql, params: q.params).rows.compactMap(PostgresConnection.auditEntry)
    }

    /// Seconds until `user` may log in again when she has `limit` or more
    /// failed logins in the last `minutes`; nil when she may now.
    func loginLockout(user: String, limit: Int, minutes: Int) throws -> Int? {
        try loginLockout(failuresWhere: "actor = $1", user, limit: limit, minutes: minutes)
    }

    /// Seconds until a client at `address` may try to log in again when
    /// `limit` or more failed logins came from it (any user names) in the
    /// last `minutes`; nil when it may now. (Index: migration 9.)
    func loginLockout(address: String, limit: Int, minutes: Int) throws -> Int? {
        try loginLockout(failuresWhere: "details->>'address' = $1", address, limit: limit, minutes: minutes)
    }

    /// Seconds until the `limit`-th newest failed login matching `condition`
    /// (a constant of the callers above, on the parameter `$1` = `value`)
    /// leaves the last `minutes`; nil when fewer than `limit` are in them.
    private func loginLockout(failuresWhere condition: String, _ value: String, limit: Int, minutes: Int) throws -> Int? {
        let r = try execute("""
            SELECT ceil(extract(epoch from (at + make_interval(mins => $2::int4) - clock_timestamp())))::int8 FROM audit_log
            WHERE action = 'login_failed' AND \(condition) AND at > now() - make_interval(mins => $2::int4)
            ORDER BY at DESC OFFSET $3::int8 LIMIT 1
            """, params: [value, String(minutes), String(limit - 1)]).scalar
        return r.flatMap { Int($0) }.map { max(1, $0) }
    }

    /// Failed logins of `user` in the last `minutes`.
    func recentFailedLogins(user: String, minutes: Int) throws -> Int {
        Int(try execute("""
            SELECT count(*) FROM audit_log
            WHERE actor = $1 AND action = 'login_failed' AND at > now() - make_interval(mins => $2::int4)
            """, params: [user, String(minutes)]).scalar ?? "0") ?? 0
    }
}

import AlertStore

/// The result of one workflow action on one alert.
struct WorkflowOutcome: Sendable {
    var alertID: Int64
    var before: WorkflowState
    var after: WorkflowState
}

extension PostgresConnection {
    /// Applies `action` to alert `id` as `principal`, inside the caller's
    /// transaction: locks the alert (in scope, or `notFound`), checks the
    /// transition, updates it, checks the assignee is a colleague in the
    /// alert's district, stores a comment, and appends the audit row.
    func applyWorkflow(_ action: WorkflowAction, alertID id: Int64, by p: Principal) throws -> WorkflowOutcome {
        guard let a = try scopedAlert(id: id, scope: p.scope, forUpdate: true) else {
            throw AnalystAPIError(.notFound, "no such alert")
        }
        let next: WorkflowState
        switch AlertWorkflow.next(a.workflowState, action, role: p.user.role) {
        case .success(let s): next = s
        case .failure(let r): throw r.apiError
        }
        var details = JSONWriter()
        details.field("from_status", a.status.rawValue)
        details.field("to_status", next.status.rawValue)
        switch action {
        case .comment(let text):
            let cid = try execute("INSERT INTO alert_comments (alert_id, author, body) VALUES ($1::int8, $2, $3) RETURNING id",
                                  params: [String(id), p.user.name, text.trimmed]).scalar
            details.field("comment_id", cid.flatMap { Int64($0) })
        case .assign(let to):
            guard try assignableUsers(district: a.district).contains(where: { $0.name == to }) else {
                throw AnalystAPIError(.badRequest, "that user cannot be assigned alerts of this district")
            }
            details.field("from_assignee", a.assignee)
            details.field("to_assignee", to)
        case .escalate(let reason), .reopen(let reason):
            details.field("reason", reason.trimmed)
        case .close(let d, let reason):
            details.field("disposition", d.rawValue)
            details.field("reason", reason.trimmed)
        case .acknowledge:
            break
        }
        if next != a.workflowState {
            var q = ScopedSQL.scoped(p.scope)
            q.add("id = \(q.bind(String(id)))::int8")
            let sql = """
                UPDATE alerts SET status = \(q.bind(next.status.rawValue)), assignee = \(q.bind(next.assignee)),
                    disposition = \(q.bind(next.disposition?.rawValue)), disposition_reason = \(q.bind(next.dispositionReason)),
                    updated_at = now()\(q.whereClause)
                """
            let n = try execute(sql, params: q.params).affectedRows
            guard n == 1 else { throw AnalystAPIError(.notFound, "no such alert") }
        }
        try appendAudit(AuditActor(p), action: action.name, alertID: id, district: a.district, details: details)
        return WorkflowOutcome(alertID: id, before: a.workflowState, after: next)
    }

    /// Records that `p` revealed the personal ids of an alert in scope and
    /// returns the alert (or throws `notFound` / `forbidden`).
    func revealAlert(id: Int64, fields: [String], by p: Principal) throws -> AlertRow {
        guard let a = try scopedAlert(id: id, scope: p.scope) else { throw AnalystAPIError(.notFound, "no such alert") }
        guard p.user.role.mayReveal else { throw AnalystAPIError(.forbidden, "your role does not reveal personal ids") }
        var d = JSONWriter()
        d.field("fields", fields)
        try appendAudit(AuditActor(p), action: "reveal", alertID: id, district: a.district, details: d)
        return a
    }

    /// True when `p` revealed alert `id` in this session within `minutes`.
    func hasRecentReveal(alertID id: Int64, by p: Principal, minutes: Int) throws -> Bool {
        try execute("""
            SELECT 1 FROM audit_log WHERE alert_id = $1::int8 AND actor = $2 AND session_ref = $3 AND action = 'reveal'
              AND at > now() - make_interval(mins => $4::int4) LIMIT 1
            """, params: [String(id), p.user.name, p.sessionRef, String(minutes)]).rows.count > 0
    }
}

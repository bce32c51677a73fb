import AlertStore

/// An analyst's action on one alert.
enum WorkflowAction: Sendable, Hashable {
    case acknowledge
    case assign(to: String)
    case comment(String)
    case escalate(reason: String)
    case close(Disposition, reason: String)
    case reopen(reason: String)

    /// The audit log's action name.
    var name: String {
        switch self {
        case .acknowledge: "acknowledge"
        case .assign: "assign"
        case .comment: "comment"
        case .escalate: "escalate"
        case .close: "close"
        case .reopen: "reopen"
        }
    }
}

/// The queue columns of an alert that the workflow changes.
struct WorkflowState: Sendable, Hashable {
    var status: AlertStatus
    var assignee: String?
    var disposition: Disposition?
    var dispositionReason: String?
}

/// The alert workflow as a pure function: given the current state, the
/// actor's role and an action, the next state or why not.
///
///     new ──ack──> acknowledged ──assign──> assigned ──escalate──> escalated
///      └────────────── close (disposition + reason) ───────────────┘──> closed
///     closed ──reopen (lead)──> acknowledged
///
/// Assigning an escalated alert keeps it escalated; only leads and admins
/// close escalated alerts or reopen closed ones; rule authors only comment.
enum AlertWorkflow {
    /// Why an action is refused.
    enum Refusal: Error, Sendable, Hashable {
        /// The role may not do this (403).
        case forbidden(String)
        /// The alert's state does not allow it (409).
        case invalidTransition(String)
        /// A required value is missing or malformed (400).
        case invalid(String)
    }

    /// Longest reason or comment accepted.
    static let maxTextLength = 10_000

    /// The state after `action`, or the refusal.
    static func next(_ s: WorkflowState, _ action: WorkflowAction, role: AnalystRole) -> Result<WorkflowState, Refusal> {
        if case .comment(let text) = action {
            return validText(text, "comment").map { _ in s }
        }
        guard role.worksAlerts else { return .failure(.forbidden("a rule author does not change alerts")) }
        var n = s
        switch action {
        case .comment:
            return .success(s)
        case .acknowledge:
            guard s.status == .new else { return .failure(.invalidTransition("only a new alert can be acknowledged")) }
            n.status = .acknowledged
        case .assign(let to):
            guard s.status != .closed else { return .failure(.invalidTransition("a closed alert cannot be assigned")) }
            guard AnalystUser.isValidName(to) else { return .failure(.invalid("unknown assignee")) }
            n.assignee = to
            if s.status != .escalated { n.status = .assigned }
        case .escalate(let reason):
            if case .failure(let r) = validText(reason, "reason") { return .failure(r) }
            guard s.status != .closed else { return .failure(.invalidTransition("a closed alert cannot be escalated")) }
            guard s.status != .escalated else { return .failure(.invalidTransition("the alert is already escalated")) }
            n.status = .escalated
        case .close(let d, let reason):
            if case .failure(let r) = validText(reason, "reason") { return .failure(r) }
            guard Disposition.all.contains(d) else { return .failure(.invalid("unknown disposition")) }
            guard s.status != .closed else { return .failure(.invalidTransition("the alert is already closed")) }
            if s.status == .escalated && !role.isLead {
                return .failure(.forbidden("only a lead closes an escalated alert"))
            }
            n.status = .closed
            n.disposition = d
            n.dispositionReason = reason.trimmed
        case .reopen(let reason):
            guard role.isLead else { return .failure(.forbidden("only a lead reopens an alert")) }
            if case .failure(let r) = validText(reason, "reason") { return .failure(r) }
            guard s.status == .closed else { return .failure(.invalidTransition("only a closed alert can be reopened")) }
            n.status = .acknowledged
            n.disposition = nil
            n.dispositionReason = nil
        }
        return .success(n)
    }

    static func validText(_ text: String, _ what: String) -> Result<Void, Refusal> {
        let t = text.trimmed
        if t.isEmpty { return .failure(.invalid("a \(what) is required")) }
        if t.count > maxTextLength { return .failure(.invalid("the \(what) is too long")) }
        if t.unicodeScalars.contains("\u{0}") { return .failure(.invalid("the \(what) contains a NUL character")) }
        return .success(())
    }
}

extension AlertWorkflow.Refusal {
    var apiError: AnalystAPIError {
        switch self {
        case .forbidden(let m): AnalystAPIError(.forbidden, m)
        case .invalidTransition(let m): AnalystAPIError(.conflict, m)
        case .invalid(let m): AnalystAPIError(.badRequest, m)
        }
    }
}

import AlertStore
import Foundation
import Hummingbird
import Logging

/// Request parsing, authentication, CSRF and response helpers shared by
/// the UI and the API.
extension AnalystServer {
    static let sessionCookie = "qly_session"
    static let loginCookie = "qly_login"
    static let languageCookie = "qly_lang"
    static let maxBody = 1 << 20
    static let retryAfterField = HTTPFields.Element.Name("Retry-After")!

    // MARK: responses

    /// Headers every response carries: no caching of personal data, no
    /// sniffing, no framing, and a CSP that allows only this response's
    /// nonce-tagged inline script and style.
    static func securityHeaders(nonce: String?) -> HTTPFields {
        var h = HTTPFields()
        h[.cacheControl] = "no-store"
        h[.xContentTypeOptions] = "nosniff"
        let n = nonce.map { " 'nonce-\($0)'" } ?? ""
        h[.contentSecurityPolicy] = "default-src 'none'; script-src\(n.isEmpty ? " 'none'" : n); style-src\(n.isEmpty ? " 'none'" : n); img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        return h
    }

    static func html(_ body: String, status: Int = 200, nonce: String, cookies: [String] = []) -> Response {
        var h = securityHeaders(nonce: nonce)
        h[.contentType] = "text/html; charset=utf-8"
        if !cookies.isEmpty { h[values: .setCookie] = cookies }
        return Response(status: HTTPResponse.Status(code: status), headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ body: String, status: Int = 200, cookies: [String] = []) -> Response {
        var h = securityHeaders(nonce: nil)
        h[.contentType] = "application/json; charset=utf-8"
        if !cookies.isEmpty { h[values: .setCookie] = cookies }
        return Response(status: HTTPResponse.Status(code: status), headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var h = securityHeaders(nonce: nil)
        h[.location] = location
        if !cookies.isEmpty { h[values: .setCookie] = cookies }
        return Response(status: .seeOther, headers: h)
    }

    static func jsonError(_ e: AnalystAPIError) -> Response {
        var w = JSONWriter()
        var inner = JSONWriter()
        inner.field("code", e.code.description)
        inner.field("message", e.message)
        w.raw("error", inner.json)
        return json(w.json, status: e.code.httpStatus)
    }

    /// `Set-Cookie` text: HttpOnly, SameSite, Path=/, Secure when configured.
    func cookie(_ name: String, _ value: String, maxAge: Int?, sameSite: String = "Strict", httpOnly: Bool = true) -> String {
        var c = "\(name)=\(value); Path=/; SameSite=\(sameSite)"
        if let maxAge { c += "; Max-Age=\(maxAge)" }
        if httpOnly { c += "; HttpOnly" }
        if config.secureCookies { c += "; Secure" }
        return c
    }

    // MARK: request parts

    static func header(_ request: Request, _ name: String) -> String? {
        let lower = name.lowercased()
        return request.headers.first { $0.name.canonicalName == lower }?.value
    }

    static func query(_ request: Request) -> FormData {
        FormData(parsing: request.uri.query ?? "")
    }

    /// The body as form fields (`application/x-www-form-urlencoded`) or as
    /// a flat JSON object (`application/json`; arrays become repeated fields).
    static func fields(_ request: Request) async throws -> FormData {
        var r = request
        let buffer = try await r.collectBody(upTo: maxBody)
        let text = String(buffer: buffer)
        let type = request.headers[.contentType] ?? ""
        if type.hasPrefix("application/json") {
            guard let v = JSONValue.parse(text), case .object(let members) = v else {
                throw AnalystAPIError(.badRequest, "the body is not a JSON object")
            }
            var pairs: [(String, String)] = []
            for (k, m) in members {
                if case .array(let items) = m { for i in items { if let s = i.scalarText { pairs.append((k, s)) } } }
                else if let s = m.scalarText { pairs.append((k, s)) }
            }
            return FormData(pairs: pairs)
        }
        return FormData(parsing: text)
    }

    /// The UI language: `?lang=` (remembered in a cookie), else the cookie, else Chinese.
    func language(_ request: Request) -> (Language, [String]) {
        if let l = AnalystServer.query(request)["lang"].flatMap(Language.init(rawValue:)) {
            return (l, [cookie(AnalystServer.languageCookie, l.rawValue, maxAge: 365 * 86400, sameSite: "Lax")])
        }
        if let l = request.cookies[AnalystServer.languageCookie]?.value, let lang = Language(rawValue: l) { return (lang, []) }
        return (.zh, [])
    }

    /// The client's address for the login throttle: the configured proxy
    /// header's last (proxy-appended) entry when ``AnalystServerConfig/clientAddressHeader``
    /// is set, else the TCP peer. Clients cannot choose it unless the operator
    /// trusts a header. At most 64 printable ASCII characters (it is stored
    /// with each failed login in the audit log).
    func clientAddress(_ request: Request, _ context: AnalystRequestContext) -> String {
        if let name = config.clientAddressHeader, let value = AnalystServer.header(request, name),
           let last = value.split(separator: ",").last.map({ String($0).trimmed }), !last.isEmpty {
            return AnalystServer.storableAddress(last)
        }
        return AnalystServer.storableAddress(context.peerAddress ?? "unknown")
    }

    /// `address` cut to 64 characters, anything but printable ASCII as `?`.
    static func storableAddress(_ address: String) -> String {
        String(String.UnicodeScalarView(address.unicodeScalars.prefix(64).map { (0x21...0x7E).contains($0.value) ? $0 : "?" }))
    }

    // MARK: authentication

    /// The user of a browser session, or nil.
    func sessionPrincipal(_ request: Request) async throws -> Principal? {
        guard let token = request.cookies[AnalystServer.sessionCookie]?.value, !token.isEmpty else { return nil }
        return try await users.principal(sessionToken: token)
    }

    /// The user of an API request: a bearer token, else a browser session.
    func apiPrincipal(_ request: Request) async throws -> Principal? {
        if let auth = AnalystServer.header(request, "authorization") {
            guard auth.hasPrefix("Bearer ") else { return nil }
            return try await users.principal(apiToken: String(auth.dropFirst(7)).trimmed)
        }
        return try await sessionPrincipal(request)
    }

    /// Refuses a mutating browser request without the session's CSRF token
    /// (form field `_csrf` or header `X-CSRF-Token`), or from another origin.
    static func checkCSRF(_ request: Request, _ p: Principal, fields: FormData?) throws {
        guard p.channel == .web else { return }  // bearer tokens are not ambient credentials
        if let origin = header(request, "origin"), let host = header(request, "host") ?? request.head.authority {
            let bare = origin.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
            if bare != host { throw AnalystAPIError(.csrf, "cross-origin request refused") }
        }
        let given = header(request, "x-csrf-token") ?? fields?.raw("_csrf")
        guard let expected = p.csrfToken, let given, SecureRandom.constantTimeEquals(given, expected) else {
            throw AnalystAPIError(.csrf, "missing or wrong CSRF token")
        }
    }

    /// A local path to return to after login (never another site).
    static func safeNext(_ s: String?) -> String {
        guard let s, s.hasPrefix("/"), !s.hasPrefix("//"), !s.contains("\\"), !s.hasPrefix("/login") else { return "/queue" }
        return s
    }

    /// Path and query of the request.
    static func pathAndQuery(_ request: Request) -> String {
        request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
    }

    /// Maps any error to an `AnalystAPIError` (unknown ones are logged, not shown).
    func apiError(_ error: any Error, _ request: Request) -> AnalystAPIError {
        if let e = error as? AnalystAPIError { return e }
        if let e = error as? PostgresError {
            logger.error("database error", metadata: ["http.path": "\(request.uri.path)", "db.error": "\(e)"])
            return AnalystAPIError(.unavailable, e.isRetriable ? "the database is unavailable; try again" : "database error")
        }
        logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(String(describing: type(of: error)))"])
        return AnalystAPIError(.unavailable, "internal error")
    }

    /// The workflow action of `verb` with the fields of a form or JSON body.
    static func workflowAction(_ verb: String, _ f: FormData, _ p: Principal) throws -> WorkflowAction {
        switch verb {
        case "acknowledge": return .acknowledge
        case "assign":
            var who = f["assignee"] ?? ""
            if who == "me" { who = p.user.name }
            if who == "colleague" { who = f["colleague"] ?? "" }
            guard !who.isEmpty else { throw AnalystAPIError(.badRequest, "say whom to assign") }
            return .assign(to: who)
        case "comment": return .comment(f.raw("body") ?? f.raw("comment") ?? "")
        case "escalate": return .escalate(reason: f.raw("reason") ?? "")
        case "close":
            guard let d = f["disposition"].map(Disposition.init(rawValue:)), Disposition.all.contains(d) else {
                throw AnalystAPIError(.badRequest, "disposition must be one of confirmed, false_positive, duplicate, needs_info")
            }
            return .close(d, reason: f.raw("reason") ?? "")
        case "reopen": return .reopen(reason: f.raw("reason") ?? "")
        default: throw AnalystAPIError(.notFound, "no such action")
        }
    }

    static let workflowVerbs = ["acknowledge", "assign", "comment", "escalate", "close", "reopen"]

    // MARK: shared reads

    /// The alert page's data; nil when the alert is not in scope.
    func loadDetail(id: Int64, principal p: Principal, revealed: Bool? = nil) async throws -> AlertDetail? {
        let scope = p.scope
        let revealMinutes = config.revealMinutes
        let catalog = self.catalog
        return try await database.read { c in
            guard let a = try c.scopedAlert(id: id, scope: scope) else { return nil }
            let shown = try revealed ?? c.hasRecentReveal(alertID: id, by: p, minutes: revealMinutes)
            return AlertDetail(
                alert: a, revealed: shown,
                sameKey: try c.alertsWithSameKey(a, scope: scope), sameVillage: try c.alertsInSameVillage(a, scope: scope),
                rule: catalog.files[a.ruleID], storedVersions: try RuleCatalog.storedVersions(of: a.ruleID, connection: c),
                history: try c.auditTrail(alertID: id, scope: scope), comments: try c.comments(alertID: id, scope: scope),
                assignees: try c.assignableUsers(district: a.district).map(\.name))
        }
    }

    /// Filter menus of the queue (cached for a minute per scope).
    func filterOptions(_ p: Principal) async throws -> (townships: [(String, Int)], villages: [(String, Int)], rules: [(String, Int)], assignees: [String]) {
        let scope = p.scope
        let key = "options:" + scope.joined(separator: ",")
        let db = database
        let v: OptionLists = try await cache.value(key, ttl: .seconds(60)) {
            try await db.read { c in
                var assignees = Set<String>()
                for d in scope { for u in try c.assignableUsers(district: d) { assignees.insert(u.name) } }
                return OptionLists(townships: try c.distinctValues("township", scope: scope).map { OptionCount(value: $0.0, count: $0.1) },
                                   villages: try c.distinctValues("village", scope: scope).map { OptionCount(value: $0.0, count: $0.1) },
                                   rules: try c.distinctValues("rule_id", scope: scope).map { OptionCount(value: $0.0, count: $0.1) },
                                   assignees: assignees.sorted())
            }
        }
        return (v.townships.map { ($0.value, $0.count) }, v.villages.map { ($0.value, $0.count) }, v.rules.map { ($0.value, $0.count) }, v.assignees)
    }

    /// Audits a free-text search that can probe masked ids.
    func auditSearchIfNeeded(_ filter: QueueFilter, _ p: Principal) async throws {
        guard filter.textProbesIDs else { return }
        try await database.transaction { c in
            try c.appendAudit(AuditActor(p), action: "search", district: p.scope.count == 1 ? p.scope[0] : nil, details: filter.json)
        }
    }

    /// Applies a workflow action in its own transaction.
    func perform(_ action: WorkflowAction, alertID: Int64, _ p: Principal) async throws -> WorkflowOutcome {
        let outcome = try await database.transaction { c in try c.applyWorkflow(action, alertID: alertID, by: p) }
        await cache.clear()
        return outcome
    }

    /// Applies `verb` to many alerts (each in its own transaction); returns
    /// the ids done and the ids skipped with why.
    func performBulk(_ verb: String, ids: [Int64], fields: FormData, _ p: Principal) async throws -> (done: [Int64], skipped: [(Int64, String)]) {
        guard ["assign", "close"].contains(verb) else { throw AnalystAPIError(.badRequest, "bulk actions are assign and close") }
        guard !ids.isEmpty, ids.count <= 500 else { throw AnalystAPIError(.badRequest, "select 1 to 500 alerts") }
        let action = try AnalystServer.workflowAction(verb, fields, p)
        var done: [Int64] = [], skipped: [(Int64, String)] = []
        for id in ids {
            do {
                _ = try await database.transaction { c in try c.applyWorkflow(action, alertID: id, by: p) }
                done.append(id)
            } catch let e as AnalystAPIError {
                skipped.append((id, e.code.description))
            }
        }
        await cache.clear()
        return (done, skipped)
    }

    /// The overview's data (cached for 30 s per scope and filter).
    func overviewData(_ filter: QueueFilter, _ p: Principal) async throws -> OverviewData {
        let scope = p.scope, user = p.user.name
        let db = database
        return try await cache.value("overview:\(scope.joined(separator: ",")):\(user):\(filter.queryString())", ttl: .seconds(30)) {
            try await db.read { c in
                OverviewData(cells: try c.heatCells(scope: scope, user: user, filter: filter),
                             stats: try c.ruleStats(scope: scope, user: user, filter: filter))
            }
        }
    }
}

struct OptionCount: Sendable { var value: String; var count: Int }
struct OptionLists: Sendable { var townships: [OptionCount]; var villages: [OptionCount]; var rules: [OptionCount]; var assignees: [String] }
struct OverviewData: Sendable { var cells: [HeatCell]; var stats: [RuleStats] }

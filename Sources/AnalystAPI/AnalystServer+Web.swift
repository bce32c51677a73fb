import AlertStore
import Foundation
import Hummingbird

/// The server-rendered UI: login, queue, alert pages, overview, rules, audit.
extension AnalystServer {
    /// A page handler: language, session (or the demo user), CSRF on POST,
    /// and errors rendered as pages.
    func page(_ request: Request, post: Bool = false,
              _ body: @escaping @Sendable (PageContext, FormData?) async throws -> Response) async -> Response {
        let (lang, langCookies) = language(request)
        let nonce = SecureRandom.token(16)
        var ctx = PageContext(t: Localizer(language: lang), principal: nil, nonce: nonce, path: request.uri.path,
                              query: AnalystServer.query(request))
        do {
            var principal = try await sessionPrincipal(request)
            if principal == nil, let demo = config.demoUser, AnalystServerConfig.isLoopback(config.host) {
                if let user = try await users.user(named: demo), !user.disabled {
                    let (token, _) = try await users.createSession(for: user, via: "web", action: "demo_login")
                    let back = post ? "/queue" : AnalystServer.pathAndQuery(request)
                    return AnalystServer.redirect(back, cookies: langCookies + [cookie(AnalystServer.sessionCookie, token, maxAge: config.sessionLifetimeMinutes * 60)])
                }
            }
            guard let p = principal else {
                if post { throw AnalystAPIError(.unauthenticated, "no session: log in again") }
                return AnalystServer.redirect("/login?next=" + HTMLText.urlEncode(AnalystServer.pathAndQuery(request)), cookies: langCookies)
            }
            ctx.principal = p
            var fields: FormData? = nil
            if post {
                fields = try await AnalystServer.fields(request)
                try AnalystServer.checkCSRF(request, p, fields: fields)
            }
            principal = p
            var response = try await body(ctx, fields)
            if !langCookies.isEmpty { response.headers[values: .setCookie] += langCookies }
            return response
        } catch {
            let e = apiError(error, request)
            return AnalystServer.html(MiscPageView.error(e, ctx), status: e.code.httpStatus, nonce: nonce, cookies: langCookies)
        }
    }

    func addWebRoutes(_ router: RouteRecorder) {
        router.get("/") { _, _ in AnalystServer.redirect("/queue") }
        router.get("/healthz") { _, _ in AnalystServer.json("{\"ok\":true}") }

        // MARK: login / logout
        router.get("/login") { request, _ in
            let (lang, langCookies) = self.language(request)
            let nonce = SecureRandom.token(16)
            let ctx = PageContext(t: Localizer(language: lang), principal: nil, nonce: nonce, path: "/login", query: AnalystServer.query(request))
            let loginCSRF = SecureRandom.token()
            let next = AnalystServer.safeNext(AnalystServer.query(request)["next"])
            return AnalystServer.html(MiscPageView.login(ctx, loginCSRF: loginCSRF, error: nil, next: next), nonce: nonce,
                                      cookies: langCookies + [self.cookie(AnalystServer.loginCookie, loginCSRF, maxAge: 3600)])
        }
        router.post("/login") { request, context in
            let (lang, _) = self.language(request)
            let t = Localizer(language: lang)
            let nonce = SecureRandom.token(16)
            let ctx = PageContext(t: t, principal: nil, nonce: nonce, path: "/login", query: FormData())
            do {
                let f = try await AnalystServer.fields(request)
                // Double-submit: the form's token must equal the cookie set with the form.
                guard let cookieToken = request.cookies[AnalystServer.loginCookie]?.value, let formToken = f.raw("_csrf"),
                      SecureRandom.constantTimeEquals(cookieToken, formToken) else {
                    throw AnalystAPIError(.csrf, "login form expired")
                }
                let next = AnalystServer.safeNext(f["next"])
                let name = f["username"] ?? "", password = f.raw("password") ?? ""
                func refused(_ status: Int, _ message: String, retryAfter: Int? = nil) -> Response {
                    let fresh = SecureRandom.token()
                    var r = AnalystServer.html(MiscPageView.login(ctx, loginCSRF: fresh, error: t(message), next: next),
                                               status: status, nonce: nonce, cookies: [self.cookie(AnalystServer.loginCookie, fresh, maxAge: 3600)])
                    if let retryAfter { r.headers[AnalystServer.retryAfterField] = String(max(1, retryAfter)) }
                    return r
                }
                // Too many failures from this address (any user names): refuse before checking anything.
                // Counted in the audit log, so every queue server sees them, and a restart forgets none.
                let address = self.clientAddress(request, context)
                let limit = self.config.loginFailuresPerAddress
                if let wait = try await self.database.read({ c in try c.loginLockout(address: address, limit: limit, minutes: 15) }) {
                    return refused(429, "Too many failed logins; try again in 15 minutes.", retryAfter: wait)
                }
                let user: AnalystUser?
                do {
                    user = try await self.users.verify(name: name, password: password, via: "web", address: address)
                } catch let e as AnalystAPIError where e.code == .tooManyAttempts {
                    return refused(429, "Too many failed logins; try again in 15 minutes.", retryAfter: e.retryAfterSeconds)
                }
                guard let user else {
                    return refused(401, "Wrong user name or password.")
                }
                // Session fixation: whatever session the browser brought ends; the new one has a fresh id.
                if let old = request.cookies[AnalystServer.sessionCookie]?.value, !old.isEmpty {
                    try await self.users.endSession(token: old)
                }
                let (token, _) = try await self.users.createSession(for: user, via: "web")
                return AnalystServer.redirect(next, cookies: [
                    self.cookie(AnalystServer.sessionCookie, token, maxAge: self.config.sessionLifetimeMinutes * 60),
                    self.cookie(AnalystServer.loginCookie, "", maxAge: 0),
                ])
            } catch {
                let e = self.apiError(error, request)
                return AnalystServer.html(MiscPageView.error(e, ctx), status: e.code.httpStatus, nonce: nonce)
            }
        }
        router.post("/logout") { request, _ in
            await self.page(request, post: true) { ctx, _ in
                if let p = ctx.principal { try await self.users.endSession(p) }
                return AnalystServer.redirect("/login", cookies: [self.cookie(AnalystServer.sessionCookie, "", maxAge: 0)])
            }
        }

        // MARK: queue
        router.get("/queue") { request, _ in
            await self.page(request) { ctx, _ in
                let p = ctx.principal!
                let filter = QueueFilter(ctx.query)
                let after = ctx.query["after"].flatMap(AlertCursor.init)
                try await self.auditSearchIfNeeded(filter, p)
                let scope = p.scope, user = p.user.name
                let (page, counts, maxID) = try await self.database.read { c in
                    (try c.queuePage(scope: scope, user: user, filter: filter, after: after, limit: 50),
                     try c.statusCounts(scope: scope, user: user, filter: filter), try c.maxAlertID(scope: scope))
                }
                let options = try await self.filterOptions(p)
                var notice: String? = nil
                if let done = ctx.query["done"] {
                    notice = "\(ctx.t("Bulk action done")): \(done) \(ctx.t("alerts"))" + (ctx.query["skipped"].map { ", \(ctx.t("skipped")) \($0)" } ?? "")
                }
                let view = QueueView(filter: filter, page: page, counts: counts, after: after, maxID: maxID, townships: options.townships,
                                     villages: options.villages, rules: options.rules, assignees: options.assignees, notice: notice)
                return AnalystServer.html(QueuePageView.render(view, ctx, catalog: self.catalog, pollSeconds: self.config.pollSeconds), nonce: ctx.nonce)
            }
        }
        router.get("/queue/poll") { request, _ in
            await self.page(request) { ctx, _ in
                let p = ctx.principal!
                let filter = QueueFilter(ctx.query)
                let afterID = ctx.query["after_id"].flatMap { Int64($0) } ?? 0
                let scope = p.scope, user = p.user.name
                let (count, rows) = try await self.database.read { c in
                    try c.newAlerts(scope: scope, user: user, filter: filter, afterID: afterID, limit: 50)
                }
                var w = JSONWriter()
                w.field("count", count)
                w.field("max_id", rows.map(\.id).max() ?? afterID)
                w.field("rows_html", QueuePageView.rows(rows, ctx, catalog: self.catalog, selectable: p.user.role.worksAlerts, fresh: true))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/queue.csv") { request, _ in
            await self.page(request) { ctx, _ in
                try await self.csvExport(QueueFilter(ctx.query), ctx.principal!)
            }
        }
        router.post("/queue/bulk") { request, _ in
            await self.page(request, post: true) { ctx, f in
                let f = f ?? FormData()
                let ids = f.all("id").compactMap { Int64($0) }
                let (done, skipped) = try await self.performBulk(f["action"] ?? "", ids: ids, fields: f, ctx.principal!)
                let back = AnalystServer.safeQuery(f.raw("return"))
                return AnalystServer.redirect("/queue?" + back + (back.isEmpty ? "" : "&") + "done=\(done.count)&skipped=\(skipped.count)")
            }
        }

        // MARK: alert page and actions
        router.get("/alerts/:id") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.page(request) { ctx, _ in
                guard let id, let d = try await self.loadDetail(id: id, principal: ctx.principal!) else {
                    throw AnalystAPIError(.notFound, "no such alert")
                }
                return AnalystServer.html(AlertPageView.render(d, ctx, catalog: self.catalog), nonce: ctx.nonce)
            }
        }
        for verb in AnalystServer.workflowVerbs {
            router.post("/alerts/:id/\(verb)") { request, context in
                let id = context.parameters.get("id").flatMap { Int64($0) }
                return await self.page(request, post: true) { ctx, f in
                    guard let id else { throw AnalystAPIError(.notFound, "no such alert") }
                    let action = try AnalystServer.workflowAction(verb, f ?? FormData(), ctx.principal!)
                    _ = try await self.perform(action, alertID: id, ctx.principal!)
                    return AnalystServer.redirect("/alerts/\(id)")
                }
            }
        }
        router.post("/alerts/:id/reveal") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.page(request, post: true) { ctx, _ in
                guard let id, let d = try await self.loadDetail(id: id, principal: ctx.principal!, revealed: false) else {
                    throw AnalystAPIError(.notFound, "no such alert")
                }
                let p = ctx.principal!
                let fields = d.personalFields
                _ = try await self.database.transaction { c in try c.revealAlert(id: id, fields: fields, by: p) }
                return AnalystServer.redirect("/alerts/\(id)")
            }
        }

        // MARK: overview, rules, audit
        router.get("/overview") { request, _ in
            await self.page(request) { ctx, _ in
                var filter = QueueFilter(ctx.query)
                filter.text = nil
                let data = try await self.overviewData(filter, ctx.principal!)
                return AnalystServer.html(OverviewPageView.render(cells: data.cells, stats: data.stats, filter: filter, ctx, catalog: self.catalog), nonce: ctx.nonce)
            }
        }
        router.get("/rules") { request, _ in
            await self.page(request) { ctx, _ in
                let data = try await self.overviewData(QueueFilter(), ctx.principal!)
                return AnalystServer.html(RulePageView.list(data.stats, catalog: self.catalog, ctx), nonce: ctx.nonce)
            }
        }
        router.get("/rules/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            return await self.page(request) { ctx, _ in
                let r = try await self.ruleData(name, ctx.principal!)
                return AnalystServer.html(RulePageView.detail(name: name, info: r.info, stored: r.stored, seen: r.seen, weeks: r.weeks,
                                                              stats: r.stats, ctx), nonce: ctx.nonce)
            }
        }
        router.get("/audit") { request, _ in
            await self.page(request) { ctx, _ in
                let p = ctx.principal!
                guard p.user.role.readsAuditLog else { throw AnalystAPIError(.forbidden, "only leads and admins read the audit log") }
                let before = ctx.query["before"].flatMap { Int64($0) }
                let scope = p.scope
                let entries = try await self.database.read { c in
                    try c.auditLog(scope: scope, actor: ctx.query["actor"], action: ctx.query["action"], limit: 200, beforeID: before)
                }
                return AnalystServer.html(MiscPageView.audit(entries, ctx, next: entries.count == 200 ? entries.last?.id : nil), nonce: ctx.nonce)
            }
        }
    }

    /// The queue query string a bulk form returns to, re-encoded from parsed pairs.
    static func safeQuery(_ s: String?) -> String {
        let f = QueueFilter(FormData(parsing: s ?? ""))
        return f.queryString()
    }

    /// A rule page's data, scoped to the user's districts.
    func ruleData(_ name: String, _ p: Principal) async throws -> (info: RuleInfo?, stored: [RuleVersionInfo], seen: [SeenVersion], weeks: [WeekCount], stats: RuleStats?) {
        let scope = p.scope, user = p.user.name
        var f = QueueFilter()
        f.rules = [name]
        let filter = f
        let (stored, seen, weeks, stats) = try await database.read { c in
            (try RuleCatalog.storedVersions(of: name, connection: c), try c.seenVersions(rule: name, scope: scope),
             try c.weeklyCounts(rule: name, scope: scope), try c.ruleStats(scope: scope, user: user, filter: filter).first)
        }
        let info = catalog.files[name]
        if info == nil && stored.isEmpty && seen.isEmpty { throw AnalystAPIError(.notFound, "no such rule") }
        return (info, stored, seen, weeks, stats)
    }

    /// The filtered queue as CSV (masked, scoped), streamed page by page; the export is audited.
    func csvExport(_ filter: QueueFilter, _ p: Principal) async throws -> Response {
        let scope = p.scope, user = p.user.name
        let total = try await database.read { c in
            try c.statusCounts(scope: scope, user: user, filter: filter).filter { filter.statuses.isEmpty || filter.statuses.contains($0.key) }.values.reduce(0, +)
        }
        try await database.transaction { c in
            var d = filter.json
            d.field("rows", total)
            try c.appendAudit(AuditActor(p), action: "export", district: scope.count == 1 ? scope[0] : nil, details: d)
        }
        let db = database
        var h = AnalystServer.securityHeaders(nonce: nil)
        h[.contentType] = "text/csv; charset=utf-8"
        h[.contentDisposition] = "attachment; filename=\"qianliyan-alerts.csv\""
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "\u{FEFF}" + AlertJSON.csvHeader + "\r\n"))
            var cursor: AlertCursor? = nil
            var written = 0
            while written < 1_000_000 {
                let after = cursor
                let page = try await db.read { c in try c.queuePage(scope: scope, user: user, filter: filter, after: after, limit: 500) }
                var chunk = ""
                for a in page.alerts { chunk += AlertJSON.csvLine(a) + "\r\n" }
                written += page.alerts.count
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                guard let next = page.next else { break }
                cursor = next
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: h, body: body)
    }
}

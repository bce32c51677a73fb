import AlertStore
import Foundation
import Hummingbird

/// The JSON API under `/api` (documented in `/api/openapi.json`). Scripts
/// authenticate with `Authorization: Bearer qly_…` (from `qianliyan users
/// token`); a browser session works too, with `X-CSRF-Token` on POSTs.
extension AnalystServer {
    /// An API handler: authentication, CSRF for session-authenticated POSTs, JSON errors.
    func api(_ request: Request, post: Bool = false,
             _ body: @escaping @Sendable (Principal, FormData, FormData?) async throws -> Response) async -> Response {
        do {
            guard let p = try await apiPrincipal(request) else { throw AnalystAPIError(.unauthenticated, "log in or send a bearer token") }
            var fields: FormData? = nil
            if post {
                fields = try await AnalystServer.fields(request)
                try AnalystServer.checkCSRF(request, p, fields: nil)
            }
            return try await body(p, AnalystServer.query(request), fields)
        } catch {
            return AnalystServer.jsonError(apiError(error, request))
        }
    }

    func addAPIRoutes(_ router: RouteRecorder) {
        router.get("/api/openapi.json") { _, _ in AnalystServer.json(OpenAPIDocument.json) }

        router.get("/api/me") { request, _ in
            await self.api(request) { p, _, _ in
                var w = JSONWriter()
                w.field("name", p.user.name)
                w.field("display_name", p.user.displayName)
                w.field("role", p.user.role.rawValue)
                w.field("districts", p.user.districts)
                w.field("auth", p.channel.rawValue)
                w.field("csrf_token", p.csrfToken)
                return AnalystServer.json(w.json)
            }
        }

        router.get("/api/alerts") { request, _ in
            await self.api(request) { p, q, _ in
                let filter = try AnalystServer.apiFilter(q)
                let after: AlertCursor?
                if let a = q["after"] {
                    guard let c = AlertCursor(a) else { throw AnalystAPIError(.badRequest, "after: not a cursor") }
                    after = c
                } else { after = nil }
                let limit = try AnalystServer.integer(q, "limit") ?? 50
                guard (1...500).contains(limit) else { throw AnalystAPIError(.badRequest, "limit: 1 to 500") }
                try await self.auditSearchIfNeeded(filter, p)
                let scope = p.scope, user = p.user.name
                let page = try await self.database.read { c in try c.queuePage(scope: scope, user: user, filter: filter, after: after, limit: limit) }
                var w = JSONWriter()
                w.raw("alerts", JSONWriter.array(page.alerts.map { AlertJSON.summary($0) }))
                w.field("next_cursor", page.next?.description)
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/alerts/counts") { request, _ in
            await self.api(request) { p, q, _ in
                let filter = try AnalystServer.apiFilter(q)
                let scope = p.scope, user = p.user.name
                let counts = try await self.database.read { c in try c.statusCounts(scope: scope, user: user, filter: filter) }
                var by = JSONWriter()
                for s in AlertStatus.all { by.field(s.rawValue, counts[s] ?? 0) }
                var w = JSONWriter()
                w.raw("by_status", by.json)
                w.field("total", counts.values.reduce(0, +))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/alerts/poll") { request, _ in
            await self.api(request) { p, q, _ in
                let filter = try AnalystServer.apiFilter(q)
                let afterID = try AnalystServer.integer(q, "after_id").map { Int64($0) } ?? 0
                let scope = p.scope, user = p.user.name
                let (count, rows) = try await self.database.read { c in try c.newAlerts(scope: scope, user: user, filter: filter, afterID: afterID, limit: 100) }
                var w = JSONWriter()
                w.field("count", count)
                w.field("max_id", rows.map(\.id).max() ?? afterID)
                w.raw("alerts", JSONWriter.array(rows.map { AlertJSON.summary($0) }))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/alerts/export.csv") { request, _ in
            await self.api(request) { p, q, _ in try await self.csvExport(try AnalystServer.apiFilter(q), p) }
        }
        router.post("/api/alerts/bulk") { request, _ in
            await self.api(request, post: true) { p, _, f in
                let f = f ?? FormData()
                let ids = f.all("ids").compactMap { Int64($0) } + f.all("id").compactMap { Int64($0) }
                let (done, skipped) = try await self.performBulk(f["action"] ?? "", ids: ids, fields: f, p)
                var w = JSONWriter()
                w.raw("done", "[" + done.map { String($0) }.joined(separator: ",") + "]")
                w.raw("skipped", JSONWriter.array(skipped.map { id, why in
                    var x = JSONWriter()
                    x.field("id", id)
                    x.field("reason", why)
                    return x.json
                }))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/alerts/:id") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.api(request) { p, _, _ in
                guard let id, let d = try await self.loadDetail(id: id, principal: p, revealed: false) else {
                    throw AnalystAPIError(.notFound, "no such alert")
                }
                return AnalystServer.json(AlertJSON.detail(d))
            }
        }
        for verb in AnalystServer.workflowVerbs {
            router.post("/api/alerts/:id/\(verb)") { request, context in
                let id = context.parameters.get("id").flatMap { Int64($0) }
                return await self.api(request, post: true) { p, _, f in
                    guard let id else { throw AnalystAPIError(.notFound, "no such alert") }
                    let o = try await self.perform(try AnalystServer.workflowAction(verb, f ?? FormData(), p), alertID: id, p)
                    var w = JSONWriter()
                    w.field("id", o.alertID)
                    w.field("status", o.after.status.rawValue)
                    w.field("assignee", o.after.assignee)
                    w.field("disposition", o.after.disposition?.rawValue)
                    w.field("disposition_reason", o.after.dispositionReason)
                    return AnalystServer.json(w.json)
                }
            }
        }
        router.post("/api/alerts/:id/reveal") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.api(request, post: true) { p, _, _ in
                guard let id, let masked = try await self.loadDetail(id: id, principal: p, revealed: false) else {
                    throw AnalystAPIError(.notFound, "no such alert")
                }
                let fields = masked.personalFields
                _ = try await self.database.transaction { c in try c.revealAlert(id: id, fields: fields, by: p) }
                var d = masked
                d.revealed = true
                return AnalystServer.json(AlertJSON.detail(d))
            }
        }

        router.get("/api/overview") { request, _ in
            await self.api(request) { p, q, _ in
                var filter = try AnalystServer.apiFilter(q)
                filter.text = nil
                let data = try await self.overviewData(filter, p)
                var w = JSONWriter()
                w.raw("cells", JSONWriter.array(data.cells.map { c in
                    var x = JSONWriter()
                    x.field("township", c.township)
                    x.field("village", c.village)
                    x.field("month", c.month)
                    x.field("count", c.count)
                    return x.json
                }))
                w.raw("rules", JSONWriter.array(data.stats.map(AnalystServer.ruleStatsJSON)))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/rules") { request, _ in
            await self.api(request) { p, _, _ in
                let data = try await self.overviewData(QueueFilter(), p)
                var names = Set(data.stats.map(\.rule))
                names.formUnion(self.catalog.files.keys)
                let stats = Dictionary(data.stats.map { ($0.rule, $0) }, uniquingKeysWith: { a, _ in a })
                let items = names.sorted().map { n -> String in
                    var x = JSONWriter()
                    let info = self.catalog.files[n]
                    x.field("id", n)
                    x.field("version", info?.version.map { Int64($0) })
                    x.field("severity", info?.severity)
                    x.field("title_zh", info?.titleZH)
                    x.field("title_en", info?.titleEN)
                    x.raw("stats", AnalystServer.ruleStatsJSON(stats[n] ?? RuleStats(rule: n)))
                    return x.json
                }
                return AnalystServer.json("{\"rules\":" + JSONWriter.array(items) + "}")
            }
        }
        router.get("/api/rules/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            return await self.api(request) { p, _, _ in
                let r = try await self.ruleData(name, p)
                var w = JSONWriter()
                w.field("id", name)
                w.field("version", r.info?.version.map { Int64($0) })
                w.field("title_zh", r.info?.titleZH)
                w.field("title_en", r.info?.titleEN)
                w.field("source", r.info?.source ?? r.stored.first?.source)
                w.field("source_origin", r.info?.origin ?? (r.stored.isEmpty ? nil : "rule_versions"))
                w.raw("stats", AnalystServer.ruleStatsJSON(r.stats ?? RuleStats(rule: name)))
                w.raw("weekly", JSONWriter.array(r.weeks.map { x in
                    var o = JSONWriter()
                    o.field("week", x.week)
                    o.field("count", x.count)
                    o.field("confirmed", x.confirmed)
                    o.field("false_positive", x.falsePositive)
                    return o.json
                }))
                w.raw("versions_seen", JSONWriter.array(r.seen.map { v in
                    var o = JSONWriter()
                    o.field("version", v.version)
                    o.field("count", v.count)
                    o.field("first_anchor", v.firstAnchor)
                    o.field("last_anchor", v.lastAnchor)
                    return o.json
                }))
                w.raw("versions_stored", JSONWriter.array(r.stored.map { v in
                    var o = JSONWriter()
                    o.field("version", v.version)
                    o.field("at", v.at)
                    o.field("author", v.author)
                    o.field("message", v.message)
                    o.field("hash", v.hash)
                    return o.json
                }))
                return AnalystServer.json(w.json)
            }
        }
        router.get("/api/audit") { request, _ in
            await self.api(request) { p, q, _ in
                guard p.user.role.readsAuditLog else { throw AnalystAPIError(.forbidden, "only leads and admins read the audit log") }
                let scope = p.scope
                let before = try AnalystServer.integer(q, "before").map { Int64($0) }
                let limit = try AnalystServer.integer(q, "limit") ?? 100
                guard (1...1000).contains(limit) else { throw AnalystAPIError(.badRequest, "limit: 1 to 1000") }
                let entries = try await self.database.read { c in
                    try c.auditLog(scope: scope, actor: q["actor"], action: q["action"], limit: limit, beforeID: before)
                }
                return AnalystServer.json("{\"entries\":" + JSONWriter.array(entries.map(AlertJSON.audit)) + "}")
            }
        }
    }

    /// The queue filter of an API request; a value that does not parse is a 400
    /// (never silently dropped, which would widen the result).
    static func apiFilter(_ q: FormData) throws -> QueueFilter {
        let filter = QueueFilter(q)
        if !filter.problems.isEmpty { throw AnalystAPIError(.badRequest, "unknown filter values: " + filter.problems.joined(separator: "; ")) }
        if let t = q["time"], QueueFilter.TimeField(rawValue: t) == nil { throw AnalystAPIError(.badRequest, "time: event or detected") }
        if let s = q["sort"], QueueFilter.Sort(rawValue: s) == nil { throw AnalystAPIError(.badRequest, "sort: newest or oldest") }
        return filter
    }

    /// An integer query parameter; a present value that is not one is a 400.
    static func integer(_ q: FormData, _ name: String) throws -> Int? {
        guard let v = q[name] else { return nil }
        guard let n = Int(v) else { throw AnalystAPIError(.badRequest, "\(name): not an integer") }
        return n
    }

    static func ruleStatsJSON(_ s: RuleStats) -> String {
        var x = JSONWriter()
        x.field("rule_id", s.rule)
        x.field("total", s.total)
        x.field("open", s.open)
        x.field("confirmed", s.confirmed)
        x.field("false_positive", s.falsePositive)
        x.field("duplicate", s.duplicate)
        x.field("needs_info", s.needsInfo)
        x.field("false_positive_rate", s.falsePositiveRate)
        return x.json
    }
}

import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.serialized) struct WorkflowAPITests {
    @Test func transitionsRolesAndTheAuditTrail() async throws {
        try await Fixtures.withServer { server, store in
            let id = try await Fixtures.id(store, anchor: "E5")
            try await server.application().test(.router) { client in
                var ana = Browser(client), lea = Browser(client), rua = Browser(client)
                _ = try await ana.login("ana")
                _ = try await lea.login("lea")
                _ = try await rua.login("rua")
                func act(_ b: inout Browser, _ verb: String, _ json: String = "{}") async throws -> (Int, JSONValue?) {
                    let r = try await b.postJSON("/api/alerts/\(id)/\(verb)", json)
                    return (r.status.code, r.json)
                }
                #expect(try await act(&rua, "acknowledge").0 == 403)
                #expect(try await act(&rua, "comment", #"{"body":"threshold too low?"}"#).0 == 200)
                var r = try await act(&ana, "acknowledge")
                #expect(r.0 == 200 && r.1?["status"]?.scalarText == "acknowledged")
                #expect(try await act(&ana, "acknowledge").0 == 409)
                r = try await act(&ana, "assign", #"{"assignee":"cat"}"#)
                #expect(r.0 == 200 && r.1?["assignee"]?.scalarText == "cat" && r.1?["status"]?.scalarText == "assigned")
                r = try await act(&ana, "assign", #"{"assignee":"me"}"#)
                #expect(r.1?["assignee"]?.scalarText == "ana")
                #expect(try await act(&ana, "assign", #"{"assignee":"nobody"}"#).0 == 400)
                #expect(try await act(&ana, "escalate", #"{"reason":" "}"#).0 == 400)
                #expect(try await act(&ana, "escalate", #"{"reason":"four payments, one payee"}"#).1?["status"]?.scalarText == "escalated")
                #expect(try await act(&ana, "close", #"{"disposition":"confirmed","reason":"x"}"#).0 == 403)
                #expect(try await act(&lea, "close", #"{"disposition":"maybe","reason":"x"}"#).0 == 400)
                r = try await act(&lea, "close", #"{"disposition":"false_positive","reason":"separate invoices, approved later"}"#)
                #expect(r.0 == 200 && r.1?["status"]?.scalarText == "closed" && r.1?["disposition"]?.scalarText == "false_positive")
                #expect(try await act(&ana, "reopen", #"{"reason":"x"}"#).0 == 403)
                #expect(try await act(&lea, "reopen", #"{"reason":"new voucher found"}"#).1?["status"]?.scalarText == "acknowledged")
                #expect(try await act(&ana, "close", #"{"disposition":"confirmed","reason":"vouchers checked"}"#).1?["status"]?.scalarText == "closed")

                // the alert's history, oldest first, with who and what
                let detail = try await ana.get("/api/alerts/\(id)").json
                let history = detail?["history"]?.elements ?? []
                #expect(history.map { $0["action"]?.scalarText ?? "" } == ["comment", "acknowledge", "assign", "assign", "escalate", "close", "reopen", "close"])
                #expect(history.map { $0["actor"]?.scalarText ?? "" } == ["rua", "ana", "ana", "ana", "ana", "lea", "lea", "ana"])
                #expect(history[5]["details"]?["reason"]?.scalarText == "separate invoices, approved later")
                #expect(history.allSatisfy { $0["at"]?.scalarText?.hasSuffix("+08:00") == true })
                #expect(detail?["comments"]?.elements.first?["body"]?.scalarText == "threshold too low?")
                let page = try await ana.get("/alerts/\(id)").text
                #expect(page.contains("separate invoices, approved later") && page.contains("id=\"history\""))
                // the false positive counts in the rule's rate: 1 confirmed (after reopen) → 0 false positives now
                let rule = try await ana.get("/api/rules/split-payments").json
                #expect(rule?["stats"]?["confirmed"] == .number("1"))
            }
        }
    }

    @Test func auditLogIsAppendOnly() async throws {
        try await Fixtures.withServer { _, store in
            try await store.withConnection { c in
                try c.execute("INSERT INTO audit_log (actor, via, action) VALUES ('x', 'cli', 'test')")
                try c.execute("INSERT INTO alert_comments (alert_id, author, body) VALUES (1, 'x', 'y')")
            }
            for sql in ["UPDATE audit_log SET actor = 'y'", "DELETE FROM audit_log", "TRUNCATE audit_log", "UPDATE alert_comments SET body = 'z'", "DELETE FROM alert_comments"] {
                await #expect(throws: PostgresError.self, "\(sql)") {
                    try await store.withConnection { c in try c.execute(sql) }
                }
            }
            let n = try await store.withConnection { c in try c.execute("SELECT count(*) FROM audit_log").scalar }
            #expect(n != "0")
        }
    }

    @Test func bulkAssignAndCloseThroughTheQueueForm() async throws {
        try await Fixtures.withServer { server, store in
            let ids = try await (1...4).asyncMap { try await Fixtures.id(store, anchor: "E\($0)") }
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("lea")
                let r = try await b.post("/queue/bulk", [("action", "assign"), ("assignee", "cat"), ("return", "status=new")] + ids.map { ("id", String($0)) })
                #expect(r.status == .seeOther && r.headers[.location] == "/queue?status=new&done=4&skipped=0")
                let c = try await b.post("/queue/bulk", [("action", "close"), ("disposition", "duplicate"), ("reason", "same voucher batch")] + ids.map { ("id", String($0)) })
                #expect(c.headers[.location]?.contains("done=4") == true)
                let page = try await b.get(c.headers[.location]!)
                #expect(page.status == .ok && page.text.contains("4"))
            }
            let rows = try await store.withConnection { c in
                try c.execute("SELECT status, assignee, disposition FROM alerts WHERE id = ANY($1::int8[])", params: ["{" + ids.map { String($0) }.joined(separator: ",") + "}"]).rows
            }
            #expect(rows.allSatisfy { $0 == ["closed", "cat", "duplicate"] })
        }
    }
}

@Suite(.serialized) struct QueueTests {
    @Test func keysetPagesFiltersCountsAndLiveUpdates() async throws {
        try await Fixtures.withServer { server, store in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                var seen: [Int64] = []
                var cursor: String? = nil
                repeat {
                    let r = try await b.get("/api/alerts?limit=7" + (cursor.map { "&after=" + $0 } ?? ""))
                    seen += r.json?["alerts"]?.elements.compactMap { $0["id"]?.scalarText.flatMap { Int64($0) } } ?? []
                    cursor = r.json?["next_cursor"]?.scalarText
                } while cursor != nil
                #expect(seen.count == 30 && Set(seen).count == 30)
                #expect(seen == seen.sorted(by: >), "newest first (same detected_at: by id)")
                #expect(try await b.get("/api/alerts?after=garbage").status == .badRequest)
                #expect(try await b.get("/api/alerts?status=bogus").status == .badRequest)
                // filters
                #expect(try await b.get("/api/alerts?village=330521101202").json?["alerts"]?.elements.count == 10)
                #expect(try await b.get("/api/alerts?township=330521101").json?["alerts"]?.elements.count == 20)
                #expect(try await b.get("/api/alerts?severity=critical").json?["alerts"]?.elements.count == 10)
                #expect(try await b.get("/api/alerts?q=alert%2017)").json?["alerts"]?.elements.count == 1)
                #expect(try await b.get("/api/alerts?rule=other-rule").json?["alerts"]?.elements.count == 0)
                #expect(try await b.get("/api/alerts?from=2023-05-14&until=2023-05-14&time=event").json?["alerts"]?.elements.count ?? 0 > 0)
                // status counts
                let first = seen[0]
                _ = try await b.postJSON("/api/alerts/\(first)/acknowledge")
                let counts = try await b.get("/api/alerts/counts").json?["by_status"]
                #expect(counts?["new"] == .number("29") && counts?["acknowledged"] == .number("1"))
                #expect(try await b.get("/api/alerts?assignee=none&status=acknowledged").json?["alerts"]?.elements.count == 1)
                // an id-like search is audited
                _ = try await b.get("/api/alerts?q=33052119900101")
                // live updates: a new alert appears in the poll
                let maxID = seen.max()!
                try await store.write(alerts: [Fixtures.alert(500)])
                let poll = try await b.get("/queue/poll?after_id=\(maxID)")
                #expect(poll.json?["count"] == .number("1") && poll.json?["rows_html"]?.scalarText?.contains("data-id=") == true)
                #expect(try await b.get("/api/alerts/poll?after_id=\(maxID)&severity=low").json?["count"] == .number("0"))
                // the queue page renders tabs with counts and the next page link
                let page = try await b.get("/queue?lang=en")
                #expect(page.text.contains("Alert queue") && page.text.contains("id=\"nextpage\"") == false)
                #expect(page.headers[values: .setCookie].contains { $0.hasPrefix("qly_lang=en") })
            }
            let searches = try await store.withConnection { c in try c.execute("SELECT count(*) FROM audit_log WHERE action = 'search'").scalar }
            #expect(searches == "1")
        }
    }

    @Test func pagesOverviewRulesAuditAndOpenAPI() async throws {
        try await Fixtures.withServer(config: AnalystServerConfig(rulesDirectory: RepoPaths.rules, bcryptCost: 4, connections: 2)) { server, store in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("lea")
                let id = try await Fixtures.id(store, anchor: "E3")
                _ = try await b.postJSON("/api/alerts/\(id)/close", #"{"disposition":"false_positive","reason":"ok"}"#)
                let overview = try await b.get("/overview")
                #expect(overview.status == .ok && overview.text.contains("id=\"heatmap\"") && overview.text.contains("id=\"rulebars\""))
                #expect(overview.text.contains("/queue?village=330521101202&amp;from=2023-05-01&amp;until=2023-05-31"))
                let rules = try await b.get("/api/rules").json?["rules"]?.elements ?? []
                #expect(rules.count >= 14, "every rule file is listed")
                let split = try await b.get("/api/rules/split-payments").json
                #expect(split?["stats"]?["false_positive_rate"] == .number("1.0"))
                #expect(split?["source"]?.scalarText?.contains("rule split-payments") == true)
                let rulePage = try await b.get("/rules/split-payments")
                #expect(rulePage.status == .ok && rulePage.text.contains("id=\"weekly\"") && rulePage.text.contains("id=\"rule-source\""))
                #expect(try await b.get("/rules/no-such-rule").status == .notFound)
                let detail = try await b.get("/alerts/\(id)").text
                #expect(detail.contains("id=\"ruletext\"") && detail.contains("approval_limit") && detail.contains("id=\"figures\""))
                let audit = try await b.get("/api/audit?action=close").json?["entries"]?.elements ?? []
                #expect(audit.count == 1 && audit[0]["actor"]?.scalarText == "lea")
                #expect(try await b.get("/audit").status == .ok)
                var ana = Browser(client)
                _ = try await ana.login("ana")
                #expect(try await ana.get("/api/audit").status == .forbidden)
                // the OpenAPI document is JSON and documents every API route
                let doc = try #require(try await b.get("/api/openapi.json").json)
                let paths = Set(doc["paths"]?.members.map(\.0) ?? [])
                for p in ["/api/me", "/api/alerts", "/api/alerts/counts", "/api/alerts/poll", "/api/alerts/export.csv", "/api/alerts/bulk",
                          "/api/alerts/{id}", "/api/alerts/{id}/reveal", "/api/alerts/{id}/acknowledge", "/api/alerts/{id}/assign",
                          "/api/alerts/{id}/comment", "/api/alerts/{id}/escalate", "/api/alerts/{id}/close", "/api/alerts/{id}/reopen",
                          "/api/overview", "/api/rules", "/api/rules/{name}", "/api/audit"] {
                    #expect(paths.contains(p), "\(p)")
                }
            }
        }
    }

    @Test func ruleVersionsTableIsReadWhenPresent() async throws {
        try await Fixtures.withServer { server, store in
            try await store.withConnection { c in
                // migration 4's table (rule deploys)
                try c.executeScript("""
                    INSERT INTO rule_versions (version, author, message, hash, source) VALUES
                      (2, 'zhang', 'raise min_payments', 'abc123', 'rule split-payments
                      version 2
                      param min_payments = 4
                    end
                    rule other
                    end');
                    """)
            }
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                let r = try await b.get("/api/rules/split-payments").json
                #expect(r?["versions_stored"]?.elements.first?["author"]?.scalarText == "zhang")
                #expect(r?["source"]?.scalarText?.contains("min_payments = 4") == true)
                #expect(try await b.get("/rules/split-payments").text.contains("raise min_payments"))
            }
        }
    }

    /// At scale the district-scoped queue page walks the (district, detected_at, id) index.
    @Test func queueQueryUsesTheDistrictIndexAtScale() async throws {
        try await Fixtures.withServer(alerts: [Fixtures.alert(0)]) { server, store in
            try await store.withConnection { c in
                try c.executeScript("""
                    INSERT INTO alerts (rule_id, rule_version, anchor_event_id, anchor_time, severity, village, township, district, alert_key,
                                        evidence_event_ids, first_evidence_at, last_evidence_at, figures, summary_zh, summary_en, evidence, detected_at)
                    SELECT 'r' || (g % 14), 1, 'G' || g, now() - g * interval '1 minute', 'high',
                           v, left(v, 9), left(v, 6), 'village=' || v, ARRAY['G' || g], now(), now(), '{}', 's', 's', '[]',
                           now() - g * interval '1 second'
                    FROM generate_series(1, 200000) g, LATERAL (SELECT (CASE WHEN g % 20 = 0 THEN '330521' ELSE '110101' END) || lpad((g % 50)::text, 6, '0') AS v) x;
                    ANALYZE alerts;
                    """)
            }
            let p = Principal(user: AnalystUser(name: "ana", role: .analyst, districts: ["330521"]), channel: .api, csrfToken: nil, sessionRef: "t")
            var filter = QueueFilter()
            filter.statuses = [.new]
            let f = filter
            let clock = ContinuousClock()
            var page: QueuePage? = nil
            let elapsed = try await clock.measure {
                page = try await server.database.read { c in try c.queuePage(scope: p.scope, user: "ana", filter: f, after: nil, limit: 50) }
            }
            #expect(page?.alerts.count == 50)
            let plan = try await store.withConnection { c in
                try c.execute("EXPLAIN SELECT id FROM alerts WHERE district = '330521' AND status = ANY('{new}'::text[]) ORDER BY detected_at DESC, id DESC LIMIT 51").rows
                    .compactMap { $0[0] }.joined(separator: "\n")
            }
            #expect(plan.contains("alerts_district_queue_idx") || plan.contains("alerts_district_status_idx"), "\(plan)")
            #expect(!plan.contains("Seq Scan") && !plan.contains("Sort"), "\(plan)")
            print("queue page over 200k alerts: \(elapsed)")
        }
    }
}

enum RepoPaths {
    /// `Rules/` of this repository.
    static var rules: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Rules").path
    }
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}

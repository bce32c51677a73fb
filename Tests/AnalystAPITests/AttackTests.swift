import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

extension Browser {
    /// Logs in through the form with extra request headers (a client address).
    mutating func login(_ user: String, password: String = Fixtures.password, headers extra: [(String, String)]) async throws -> TestResponse {
        let page = try await get("/login")
        guard let token = Browser.hidden("_csrf", in: page.text) else { throw AnalystAPIError(.badRequest, "no login token") }
        return try await post("/login", [("username", user), ("password", password), ("_csrf", token)], csrf: false, extra: extra)
    }
}

@Suite(.serialized) struct SessionTests {
    /// A session id chosen or planted before login never becomes the session.
    @Test func sessionIdChangesAtLogin() async throws {
        try await Fixtures.withServer { server, _ in
            try await server.application().test(.router) { client in
                // 1. an id made up by an attacker is replaced
                var victim = Browser(client)
                let planted = String(repeating: "x", count: 43)
                victim.cookies["qly_session"] = planted
                #expect(try await victim.login("ana").status == .seeOther)
                let issued = try #require(victim.cookies["qly_session"])
                #expect(issued != planted && issued.utf8.count == 43)
                // 2. a real session of the attacker, planted in the victim's browser, ends when she logs in
                var attacker = Browser(client)
                _ = try await attacker.login("cat")
                let attackerSession = try #require(attacker.cookies["qly_session"])
                var browser = Browser(client)
                browser.cookies["qly_session"] = attackerSession
                #expect(try await browser.get("/api/me").json?["name"]?.scalarText == "cat")
                #expect(try await browser.login("ana").status == .seeOther)
                #expect(browser.cookies["qly_session"] != attackerSession)
                #expect(try await browser.get("/api/me").json?["name"]?.scalarText == "ana")
                #expect(try await attacker.get("/api/me").status == .unauthorized, "the planted session is gone")
                // 3. cookie attributes
                var fresh = Browser(client)
                let page = try await fresh.get("/login")
                #expect(page.headers[values: .setCookie].allSatisfy { $0.contains("HttpOnly") && $0.contains("SameSite=") })
            }
        }
    }

    /// After logout (or a password change, or disabling the user) the old
    /// cookie value no longer works anywhere, even replayed by hand.
    @Test func logoutEndsTheSessionOnTheServer() async throws {
        try await Fixtures.withServer { server, store in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                let old = try #require(b.cookies["qly_session"])
                let oldCSRF = try #require(b.csrf)
                #expect(try await b.post("/logout").status == .seeOther)
                var replay = Browser(client)
                replay.cookies["qly_session"] = old
                replay.csrf = oldCSRF
                #expect(try await replay.get("/api/me").status == .unauthorized)
                let q = try await replay.get("/queue")
                #expect(q.status == .seeOther && q.headers[.location]?.hasPrefix("/login") == true)
                #expect(try await replay.postJSON("/api/alerts/1/acknowledge").status == .unauthorized)
                #expect(try await replay.post("/alerts/1/acknowledge").status == .unauthorized)
                // a password change ends every session of the user
                var c = Browser(client)
                _ = try await c.login("cat")
                try await server.users.setPassword(user: "cat", password: "another long password")
                #expect(try await c.get("/api/me").status == .unauthorized)
                // so does disabling her
                var d = Browser(client)
                _ = try await d.login("lea")
                try await server.users.setDisabled(user: "lea", true)
                #expect(try await d.get("/api/me").status == .unauthorized)
            }
            let sessions = try await store.withConnection { c in
                try c.execute("SELECT count(*) FROM sessions WHERE user_name IN ('ana', 'cat', 'lea')").scalar
            }
            #expect(sessions == "0")
            // the database holds only hashes of session ids
            let stored = try await store.withConnection { c in try c.execute("SELECT count(*) FROM sessions WHERE length(token_hash) <> 32").scalar }
            #expect(stored == "0")
        }
    }
}

@Suite(.serialized) struct LoginRateLimitTests {
    /// Ten failures lock a user name for 15 minutes (429 with Retry-After),
    /// whatever the address; the right password does not help meanwhile.
    @Test func perUserName() async throws {
        try await Fixtures.withServer { server, _ in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                for i in 0..<10 {
                    #expect(try await b.login("ana", password: "wrong \(i)").status == .unauthorized)
                }
                let locked = try await b.login("ana")
                #expect(locked.status == .tooManyRequests)
                let retry = Int(locked.headers[AnalystServer.retryAfterField] ?? "") ?? 0
                #expect((1...900).contains(retry), "Retry-After \(retry)")
                // other names are not affected
                var cat = Browser(client)
                #expect(try await cat.login("cat").status == .seeOther)
            }
        }
    }

    /// Failures from one address across many user names: 429 after the
    /// configured number, for every name; other addresses still log in. The
    /// address comes from the proxy header only when one is configured.
    @Test func perClientAddress() async throws {
        let config = AnalystServerConfig(bcryptCost: 4, connections: 2, loginFailuresPerAddress: 5, clientAddressHeader: "X-Forwarded-For")
        try await Fixtures.withServer(config: config) { server, _ in
            try await server.application().test(.router) { client in
                let from1 = [("X-Forwarded-For", "198.51.100.7, 10.0.0.1")]
                var b = Browser(client)
                for name in ["ana", "lea", "rua", "bob", "nobody"] {
                    #expect(try await b.login(name, password: "guess", headers: from1).status == .unauthorized)
                }
                let blocked = try await b.login("cat", headers: from1)
                #expect(blocked.status == .tooManyRequests, "even the right password of an untried name")
                #expect((1...900).contains(Int(blocked.headers[AnalystServer.retryAfterField] ?? "") ?? 0))
                var other = Browser(client)
                #expect(try await other.login("cat", headers: [("X-Forwarded-For", "198.51.100.7, 10.0.0.2")]).status == .seeOther)
            }
        }
        // without a configured header, a client cannot pick its address
        let plain = AnalystServerConfig(bcryptCost: 4, connections: 2, loginFailuresPerAddress: 3)
        try await Fixtures.withServer(config: plain) { server, _ in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                for i in 0..<3 {
                    let r = try await b.login("ana", password: "guess", headers: [("X-Forwarded-For", "203.0.113.\(i)")])
                    #expect(r.status == .unauthorized)
                }
                #expect(try await b.login("lea", headers: [("X-Forwarded-For", "203.0.113.99")]).status == .tooManyRequests)
            }
        }
    }
}

extension LoginRateLimitTests {
    /// The per-address count lives in the audit log: a second queue server
    /// over the same database (behind one balancer, or the first one
    /// restarted) refuses the address too, and each failure records it.
    @Test func perClientAddressIsSharedByEveryServer() async throws {
        let config = AnalystServerConfig(bcryptCost: 4, connections: 2, loginFailuresPerAddress: 4, clientAddressHeader: "X-Forwarded-For")
        try await Fixtures.withServer(config: config) { first, store in
            let from = [("X-Forwarded-For", "198.51.100.9")]
            try await first.application().test(.router) { client async throws in
                var b = Browser(client)
                for name in ["ana", "lea", "nobody", "bob"] {
                    #expect(try await b.login(name, password: "guess", headers: from).status == .unauthorized)
                }
            }
            let second = AnalystServer(store: store, config: config)
            try await second.application().test(.router) { client async throws in
                var b = Browser(client)
                let blocked = try await b.login("cat", headers: from)
                #expect(blocked.status == .tooManyRequests, "the other server's failures count")
                #expect((1...900).contains(Int(blocked.headers[AnalystServer.retryAfterField] ?? "") ?? 0))
                var other = Browser(client)
                #expect(try await other.login("cat", headers: [("X-Forwarded-For", "198.51.100.10")]).status == .seeOther)
            }
            let recorded = try await store.withConnection { c in
                try c.execute("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND details->>'address' = '198.51.100.9'").scalar
            }
            #expect(recorded == "4")
        }
    }

    @Test func storedAddressesArePrintableAndShort() {
        #expect(AnalystServer.storableAddress("2001:db8::1") == "2001:db8::1")
        #expect(AnalystServer.storableAddress("a b\u{0}é") == "a?b??")
        #expect(AnalystServer.storableAddress(String(repeating: "9", count: 500)).count == 64)
    }
}

@Suite(.serialized) struct InjectionTests {
    static let payloads = [
        "' OR '1'='1", "330521' OR 1=1 --", "%' OR 1=1 --", "1; DROP TABLE alerts; --", "'); DELETE FROM alerts; --",
        "' UNION SELECT password_hash FROM users --", "\\", "\\'", "$1", "%", "%%", "_", "*", "\"", "ana' --", "110101",
        "330521\u{0}", "\u{0}", "<script>alert(1)</script>", "payments", "PAYMENTS", "alert 17)", "3305", "E1",
        String(repeating: "'", count: 300), "NULL", "true", "-1", "9223372036854775808", "1e9", "2023-05-14'--",
    ]
    static let filterParameters = ["district", "township", "village", "rule", "severity", "status", "assignee", "time", "from", "until",
                                   "q", "sort", "after", "limit", "after_id"]

    /// Every filter and paging parameter of every list endpoint, with every
    /// payload: a 400 or the literal ("safe") interpretation, never a 5xx,
    /// never more than the user's district, and the database intact.
    @Test func filtersAreParametersNotSQL() async throws {
        // every statement the server runs is logged, so that the payloads can be looked for in SQL text
        let pg = try await TestPostgres.shared.server()
        let logFile = pg.embedded.directory + "/postgres.log"
        let logStart = (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? Int) ?? 0
        try await InjectionTests.logEveryStatement(true)
        do {
            try await checkFilters(logFile: logFile, logStart: logStart)
            try await InjectionTests.logEveryStatement(false)
        } catch {
            try? await InjectionTests.logEveryStatement(false)
            throw error
        }
    }

    /// Turns `log_statement = 'all'` on or off for the test cluster.
    static func logEveryStatement(_ on: Bool) async throws {
        try await TestPostgres.withDatabase { url in
            let admin = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            try await admin.withConnection { c in
                _ = try c.executeScript(on ? "ALTER SYSTEM SET log_statement = 'all'" : "ALTER SYSTEM RESET log_statement")
                _ = try c.execute("SELECT pg_reload_conf()")
            }
            await admin.close()
        }
    }

    func checkFilters(logFile: String, logStart: Int) async throws {
        try await Fixtures.withServer { server, store in
            // the oracle: what a literal, case-insensitive text search must find
            let texts = try await store.withConnection { c in
                try c.execute("SELECT summary_zh, summary_en, alert_key, rule_id FROM alerts WHERE district = '330521'").rows.map { $0.compactMap { $0 } }
            }
            @Sendable func literalMatches(_ q: String) -> Int {
                let needle = q.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                return texts.filter { row in row.contains { $0.lowercased().contains(needle) } }.count
            }
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("lea")
                for parameter in InjectionTests.filterParameters {
                    for payload in InjectionTests.payloads {
                        let value = HTMLText.urlEncode(payload)
                        for endpoint in ["/api/alerts", "/api/alerts/counts", "/api/alerts/poll", "/api/alerts/export.csv", "/api/overview"] {
                            let extra = endpoint.hasSuffix("/poll") && parameter != "after_id" ? "&after_id=0" : ""
                            let r = try await b.get("\(endpoint)?\(parameter)=\(value)\(extra)")
                            let what = "\(endpoint)?\(parameter)=\(payload.debugDescription)"
                            #expect([200, 400].contains(r.status.code), "\(what): \(r.status) \(r.text.prefix(200))")
                            if r.status == .ok && parameter != "after_id" {
                                #expect(!r.text.contains("110101"), "\(what) left the district")
                            }
                            guard r.status == .ok, endpoint == "/api/alerts" || endpoint == "/api/alerts/counts" else { continue }
                            let n = endpoint == "/api/alerts" ? r.json?["alerts"]?.elements.count
                                : r.json?["total"]?.scalarText.flatMap { Int($0) }
                            // a parameter the endpoint does not take is ignored: the whole district
                            let takes = endpoint == "/api/alerts" ? parameter != "after_id" : !["after", "limit", "after_id"].contains(parameter)
                            guard takes else {
                                #expect(n == 30, "\(what): an ignored parameter changed the result")
                                continue
                            }
                            switch parameter {
                            case "q" where !payload.contains("\u{0}"):
                                #expect(n == literalMatches(payload), "\(what): \(n ?? -1) alerts, literally \(literalMatches(payload))")
                            case "q":
                                break
                            case "district", "rule", "assignee":
                                // well-formed, but no alert of hers has that district, rule id or assignee
                                #expect(n == 0, "\(what): \(n ?? -1) alerts")
                            default:
                                Issue.record("\(what): a malformed \(parameter) was accepted (\(n ?? -1) alerts)")
                            }
                        }
                        for page in ["/queue", "/queue/poll", "/queue.csv", "/overview"] {
                            let r = try await b.get("\(page)?\(parameter)=\(value)")
                            #expect([200, 400].contains(r.status.code), "\(page)?\(parameter)=\(payload.debugDescription): \(r.status)")
                            #expect(!r.text.contains("<script>alert(1)"), "\(page) reflects markup")
                        }
                    }
                }
                // the audit log's filters and paging, path parameters, and bodies
                for payload in InjectionTests.payloads {
                    let value = HTMLText.urlEncode(payload)
                    for uri in ["/api/audit?actor=\(value)", "/api/audit?action=\(value)", "/api/audit?before=\(value)", "/api/audit?limit=\(value)",
                                "/audit?actor=\(value)&action=\(value)&before=\(value)", "/api/rules/\(value)", "/rules/\(value)",
                                "/api/alerts/\(value)", "/alerts/\(value)"] {
                        let r = try await b.get(uri)
                        #expect([200, 400, 404].contains(r.status.code), "\(uri): \(r.status)")
                        #expect(!r.text.contains("<script>alert(1)"), "\(uri) reflects markup")
                        if uri.hasPrefix("/api/audit?actor=") || uri.hasPrefix("/api/audit?action=") {
                            #expect(r.json?["entries"]?.elements.isEmpty == true, "\(uri)")
                        }
                    }
                    let json = JSONText.quote(payload)
                    #expect(try await b.postJSON("/api/alerts/1/assign", "{\"assignee\":\(json)}").status.code < 500)
                    let bulk = try await b.postJSON("/api/alerts/bulk", "{\"action\":\"assign\",\"assignee\":\"me\",\"ids\":[\(json)]}")
                    #expect(bulk.status == .badRequest || bulk.json?["done"]?.elements.isEmpty == true, "bulk ids \(payload.debugDescription)")
                    #expect(try await b.postJSON("/api/alerts/1/close", "{\"disposition\":\(json),\"reason\":\"x\"}").status.code < 500)
                }
                // free text is stored as it was typed
                let id = try await Fixtures.id(store, anchor: "E7")
                let evil = "'); DELETE FROM alerts; -- <b>"
                #expect(try await b.postJSON("/api/alerts/\(id)/comment", "{\"body\":\(JSONText.quote(evil))}").status == .ok)
                #expect(try await b.get("/api/alerts/\(id)").json?["comments"]?.elements.first?["body"]?.scalarText == evil)
            }
            let (alerts, users, tables) = try await store.withConnection { c in
                (try c.execute("SELECT count(*) FROM alerts").scalar, try c.execute("SELECT count(*) FROM users").scalar,
                 try c.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar)
            }
            #expect(alerts == "40" && users == "5")
            // no payload ever became SQL text: they all travelled as parameters
            let handle = try #require(FileHandle(forReadingAtPath: logFile))
            try handle.seek(toOffset: UInt64(logStart))
            let log = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            try handle.close()
            var statements: [String] = [], current: String? = nil, sawParameters = false
            for line in log.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.contains(" LOG: ") || line.contains(" DETAIL: ") || line.contains(" ERROR: ") || line.contains(" STATEMENT: ")
                    || line.contains(" HINT: ") || line.contains(" WARNING: ") || line.contains(" NOTICE: ") {
                    if let c = current { statements.append(c) }
                    current = nil
                    if line.contains("DETAIL:  parameters:") { sawParameters = true }
                    if line.contains("LOG:  execute ") || line.contains("LOG:  statement: ") || line.contains("STATEMENT: ") { current = String(line) }
                } else if current != nil {
                    current! += "\n" + line
                }
            }
            if let c = current { statements.append(c) }
            #expect(sawParameters && statements.count > 100, "statements were logged (\(statements.count))")
            for marker in ["DROP TABLE alerts; --", "UNION SELECT password_hash", "OR '1'='1", "DELETE FROM alerts; --", "330521' OR 1=1"] {
                let hits = statements.filter { $0.contains(marker) }
                #expect(hits.isEmpty, "a payload is SQL text: \(hits.prefix(2))")
            }

            #expect(Int(tables ?? "0") ?? 0 >= 10)
            let changed = try await store.withConnection { c in try c.execute("SELECT count(*) FROM alerts WHERE status <> 'new'").scalar }
            #expect(changed == "0")
        }
    }
}

@Suite(.serialized) struct StoredXSSTests {
    static let markup = [
        "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<svg onload=alert(3)>", "<iframe src=javascript:alert(4)>",
        "<b onmouseover=alert(5)>", "</textarea><script>alert(6)</script>", "\"><script>alert(7)</script>", "'><svg onload=alert(8)>",
    ]

    /// Untrusted text from upstream events (summaries, keys, payee names,
    /// figures, raw JSON field names and values, rule ids) and from users
    /// (comments, reasons) is escaped on every page that shows it.
    @Test func eventFieldsAreEscapedOnEveryPage() async throws {
        let m = StoredXSSTests.markup
        var a = Fixtures.alert(1, rule: "evil<script>alert(9)</script>", payeeName: m[0], summaryZH: "摘要 " + m[1])
        a.summaryEN = "summary " + m[2]
        a.key = "village=330521101203, payee_id=" + m[3]
        a.figures += [Figure("note", .text(m[4])), Figure(m[5], .text("x"))]
        a.evidence.append(Array(#"{"event_id":"E1-x","type":"finance.payment","village":"330521101203",\#(JSONText.quote(m[6])):\#(JSONText.quote(m[7])),"payee_name":\#(JSONText.quote(m[0]))}"#.utf8))
        let plain = Fixtures.alert(2)
        let evilRule = a.ruleID
        try await Fixtures.withServer(alerts: [a, plain]) { server, store in
            let id = try await store.alert(identity: AlertIdentity(ruleID: evilRule, anchorEventID: "E1"))!.id
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("lea")
                #expect(try await b.post("/alerts/\(id)/comment", [("body", m[6])]).status == .seeOther)
                #expect(try await b.post("/alerts/\(id)/escalate", [("reason", m[7])]).status == .seeOther)
                #expect(try await b.post("/alerts/\(id)/close", [("disposition", "confirmed"), ("reason", m[1])]).status == .seeOther)
                let ruleName = HTMLText.urlEncode(evilRule)
                let pages = ["/queue", "/queue?lang=en", "/queue?status=closed", "/alerts/\(id)", "/alerts/\(id)?lang=en", "/overview", "/overview?lang=en",
                             "/rules", "/rules/\(ruleName)", "/audit", "/queue?q=\(HTMLText.urlEncode(m[0]))", "/queue?rule=\(ruleName)"]
                for path in pages {
                    let r = try await b.get(path)
                    #expect(r.status == .ok || (path.hasPrefix("/rules/") && r.status == .notFound), "\(path): \(r.status)")
                    for s in m + ["<script>alert(9)"] {
                        #expect(!r.text.contains(s), "\(path) shows \(s) unescaped")
                    }
                    #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(path)")
                }
                // the live-update rows are HTML inside JSON: escaped too
                let poll = try await b.get("/queue/poll?after_id=0").json?["rows_html"]?.scalarText ?? ""
                #expect(!poll.isEmpty && !m.contains { poll.contains($0) })
                // the reveal shows ids, still as text
                _ = try await b.post("/alerts/\(id)/reveal")
                let revealed = try await b.get("/alerts/\(id)").text
                #expect(!m.contains { revealed.contains($0) })
                // JSON and CSV carry the text as data (JSON escapes < and >)
                let api = try await b.get("/api/alerts/\(id)").text
                #expect(!api.contains("<script>") && !api.contains("<img"))
                let csv = try await b.get("/queue.csv")
                #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true && csv.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            }
        }
    }
}

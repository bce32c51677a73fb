import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.serialized) struct AccessTests {
    @Test func loginSessionsCookiesAndLockout() async throws {
        try await Fixtures.withServer { server, store in
            try await server.application().test(.router) { client in
                var b = Browser(client)
                // unauthenticated
                let q = try await b.get("/queue")
                #expect(q.status == .seeOther && q.headers[.location]?.hasPrefix("/login?next=") == true)
                #expect(try await b.get("/api/alerts").status == .unauthorized)
                // login form needs its own CSRF token
                var raw = Browser(client)
                let noToken = try await raw.post("/login", [("username", "ana"), ("password", Fixtures.password)], csrf: false)
                #expect(noToken.status == .forbidden)
                // wrong password
                #expect(try await b.login("ana", password: "wrong password").status == .unauthorized)
                // right password: session cookie HttpOnly + SameSite
                let ok = try await b.login("ana")
                #expect(ok.status == .seeOther)
                let setCookie = ok.headers[values: .setCookie].first { $0.hasPrefix("qly_session=") } ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
                #expect(b.csrf != nil)
                let page = try await b.get("/queue")
                #expect(page.status == .ok)
                #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'nonce-") == true)
                #expect(page.headers[.cacheControl] == "no-store")
                // logout ends the session
                #expect(try await b.post("/logout").status == .seeOther)
                #expect(try await b.get("/api/me").status == .unauthorized)
                // lockout after 10 failures
                var c = Browser(client)
                for _ in 0..<10 { _ = try await c.login("cat", password: "nope nope") }
                #expect(try await c.login("cat").status == .tooManyRequests)
            }
            let failed = try await store.withConnection { c in
                try c.execute("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND actor = 'cat'").scalar
            }
            #expect(failed == "10")
            // passwords are bcrypt hashes
            let hash = try await store.withConnection { c in try c.execute("SELECT password_hash FROM users WHERE name = 'ana'").scalar }
            #expect(hash?.hasPrefix("$2b$") == true || hash?.hasPrefix("$2a$") == true || hash?.hasPrefix("$2y$") == true)
        }
    }

    @Test func apiTokensRevocationAndDisabledUsers() async throws {
        try await Fixtures.withServer { server, _ in
            let token = try await server.users.createToken(user: "ana", label: "test")
            try await server.application().test(.router) { client in
                var b = Browser(client)
                b.bearer = token
                let me = try await b.get("/api/me")
                #expect(me.status == .ok && me.json?["name"]?.scalarText == "ana" && me.json?["auth"]?.scalarText == "api")
                b.bearer = token + "x"
                #expect(try await b.get("/api/alerts").status == .unauthorized)
                b.bearer = token
                try await server.users.revokeTokens(user: "ana")
                #expect(try await b.get("/api/alerts").status == .unauthorized)
                let second = try await server.users.createToken(user: "ana")
                b.bearer = second
                #expect(try await b.get("/api/alerts").status == .ok)
                try await server.users.setDisabled(user: "ana", true)
                #expect(try await b.get("/api/alerts").status == .unauthorized)
            }
        }
    }

    @Test func demoUserIsLoggedInOnLoopbackOnly() async throws {
        try await Fixtures.withServer(config: AnalystServerConfig(demoUser: "demo", bcryptCost: 4, connections: 1)) { server, _ in
            try await server.ensureDemoAnalyst(name: "demo", districts: ["330521"], role: .analyst)
            try await server.application().test(.router) { client in
                var b = Browser(client)
                let first = try await b.get("/queue")
                #expect(first.status == .seeOther && b.cookies["qly_session"] != nil)
                let page = try await b.get("/queue")
                #expect(page.status == .ok && page.text.contains("demo"))
            }
        }
        let remote = AnalystServer(databaseURL: "host=/nonexistent", config: AnalystServerConfig(host: "0.0.0.0", demoUser: "demo"))
        await #expect(throws: AnalystAPIError.self) { try await remote.prepare() }
    }
}

@Suite(.serialized) struct ScopingTests {
    /// An analyst of 330521 never reaches alerts of 110101: 404 everywhere, absent from lists, counts and exports.
    @Test func crossDistrictAccessIsRefusedEverywhere() async throws {
        try await Fixtures.withServer { server, store in
            let foreignID = try await Fixtures.id(store, anchor: "E100")
            let homeID = try await Fixtures.id(store, anchor: "E1")
            let foreignPayee = Fixtures.payeeID(100)
            try await server.application().test(.router) { client in
                var ana = Browser(client)
                #expect(try await ana.login("ana").status == .seeOther)
                // UI
                #expect(try await ana.get("/alerts/\(foreignID)").status == .notFound)
                #expect(try await ana.get("/alerts/\(homeID)").status == .ok)
                #expect(try await ana.get("/alerts/999999").status == .notFound)
                for verb in ["acknowledge", "comment", "escalate", "reveal"] {
                    #expect(try await ana.post("/alerts/\(foreignID)/\(verb)", [("body", "x"), ("reason", "x")]).status == .notFound, "\(verb)")
                }
                #expect(try await ana.post("/alerts/\(foreignID)/close", [("disposition", "confirmed"), ("reason", "x")]).status == .notFound)
                // API
                #expect(try await ana.get("/api/alerts/\(foreignID)").status == .notFound)
                #expect(try await ana.postJSON("/api/alerts/\(foreignID)/acknowledge").status == .notFound)
                #expect(try await ana.postJSON("/api/alerts/\(foreignID)/reveal").status == .notFound)
                let list = try await ana.get("/api/alerts?limit=500")
                let districts = Set(list.json?["alerts"]?.elements.compactMap { $0["district"]?.scalarText } ?? [])
                #expect(districts == ["330521"])
                #expect(list.json?["alerts"]?.elements.count == 30)
                // asking for the other district gives nothing, not everything
                #expect(try await ana.get("/api/alerts?district=110101").json?["alerts"]?.elements.count == 0)
                #expect(try await ana.get("/api/alerts/counts?district=110101").json?["total"] == .number("0"))
                #expect(try await ana.get("/api/alerts/counts").json?["total"] == .number("30"))
                #expect(try await ana.get("/api/alerts/poll?after_id=0").json?["count"] == .number("30"))
                // exports
                let csv = try await ana.get("/queue.csv")
                #expect(csv.status == .ok && csv.text.split(separator: "\r\n").count == 31)
                #expect(!csv.text.contains("110101001001") && !csv.text.contains(foreignPayee))
                #expect(!(try await ana.get("/api/alerts/export.csv?district=110101").text.contains("110101")))
                // overview and rules count only her alerts
                let overview = try await ana.get("/api/overview")
                #expect(overview.json?["cells"]?.elements.allSatisfy { $0["village"]?.scalarText?.hasPrefix("330521") == true } == true)
                #expect(try await ana.get("/api/rules/split-payments").json?["stats"]?["total"] == .number("30"))
                #expect(!(try await ana.get("/overview").text.contains("110101")))
                // bulk actions skip what she cannot see
                let bulk = try await ana.postJSON("/api/alerts/bulk", #"{"action":"assign","assignee":"me","ids":[\#(homeID),\#(foreignID)]}"#)
                #expect(bulk.json?["done"]?.elements == [.number(String(homeID))])
                #expect(bulk.json?["skipped"]?.elements.first?["reason"]?.scalarText == "notFound")
                // the other analyst sees only hers
                var bob = Browser(client)
                #expect(try await bob.login("bob").status == .seeOther)
                #expect(try await bob.get("/api/alerts/\(homeID)").status == .notFound)
                #expect(try await bob.get("/api/alerts/\(foreignID)").status == .ok)
                // assigning to a user of another district is refused
                #expect(try await ana.postJSON("/api/alerts/\(homeID)/assign", #"{"assignee":"bob"}"#).status == .badRequest)
            }
            // nothing changed in the foreign district
            let changed = try await store.withConnection { c in
                try c.execute("SELECT count(*) FROM alerts WHERE district = '110101' AND status <> 'new'").scalar
            }
            #expect(changed == "0")
        }
    }
}

@Suite(.serialized) struct CSRFTests {
    @Test func mutatingRequestsNeedTheSessionToken() async throws {
        try await Fixtures.withServer { server, store in
            let id = try await Fixtures.id(store, anchor: "E2")
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                // form without token, with a wrong one, from another origin
                #expect(try await b.post("/alerts/\(id)/acknowledge", csrf: false).status == .forbidden)
                #expect(try await b.post("/alerts/\(id)/acknowledge", [("_csrf", "forged")], csrf: false).status == .forbidden)
                #expect(try await b.post("/alerts/\(id)/acknowledge", extra: [("Origin", "http://evil.example"), ("Host", "127.0.0.1:8080")]).status == .forbidden)
                #expect(try await b.post("/queue/bulk", [("action", "assign"), ("assignee", "me"), ("id", String(id))], csrf: false).status == .forbidden)
                #expect(try await b.post("/logout", csrf: false).status == .forbidden)
                // API with the session cookie but no header
                #expect(try await b.postJSON("/api/alerts/\(id)/acknowledge", csrfHeader: false).status == .forbidden)
                #expect(try await server.database.read { c in try c.scopedAlert(id: id, scope: ["330521"])?.status } == .new)
                // with the token
                #expect(try await b.post("/alerts/\(id)/acknowledge").status == .seeOther)
                #expect(try await server.database.read { c in try c.scopedAlert(id: id, scope: ["330521"])?.status } == .acknowledged)
                // a bearer token needs no CSRF token (no ambient credentials)
                var api = Browser(client)
                api.bearer = try await server.users.createToken(user: "ana")
                #expect(try await api.postJSON("/api/alerts/\(id)/comment", #"{"body":"from a script"}"#, csrfHeader: false).status == .ok)
            }
        }
    }
}

@Suite(.serialized) struct MaskingAndEscapingTests {
    @Test func personalIDsAreMaskedUntilAnAuditedReveal() async throws {
        try await Fixtures.withServer { server, store in
            let id = try await Fixtures.id(store, anchor: "E4")
            let payee = Fixtures.payeeID(4)
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                let api = try await b.get("/api/alerts/\(id)")
                #expect(api.status == .ok)
                #expect(!api.text.contains(payee) && !api.text.contains("33052119800101999X"))
                #expect(api.json?["alert"]?["key"]?.scalarText == "village=330521101203, payee_id=3305************04")
                #expect(api.json?["personal_fields"]?.elements.compactMap(\.scalarText) == ["approver_id", "payee_id"])
                let page = try await b.get("/alerts/\(id)")
                #expect(!page.text.contains(payee) && page.text.contains("3305************04"))
                #expect(!(try await b.get("/queue").text.contains(payee)))
                #expect(!(try await b.get("/api/alerts").text.contains(payee)))
                #expect(!(try await b.get("/queue.csv").text.contains(payee)))
                // reveal: audited, then shown in this session
                let revealed = try await b.postJSON("/api/alerts/\(id)/reveal")
                #expect(revealed.status == .ok && revealed.text.contains(payee) && revealed.json?["alert"]?["masked"] == .bool(false))
                #expect(try await b.post("/alerts/\(id)/reveal").status == .seeOther)
                #expect(try await b.get("/alerts/\(id)").text.contains(payee))
                // another session of the same user still sees masks
                var other = Browser(client)
                _ = try await other.login("ana")
                #expect(!(try await other.get("/alerts/\(id)").text.contains(payee)))
                // rule authors cannot reveal
                var rua = Browser(client)
                _ = try await rua.login("rua")
                #expect(try await rua.postJSON("/api/alerts/\(id)/reveal").status == .forbidden)
            }
            let reveals = try await store.withConnection { c in
                try c.execute("SELECT actor, alert_id, details->'fields' FROM audit_log WHERE action = 'reveal' ORDER BY id").rows
            }
            #expect(reveals.count == 2)
            #expect(reveals.first?[0] == "ana" && reveals.first?[1] == String(id) && reveals.first?[2] == #"["approver_id", "payee_id"]"#)
        }
    }

    @Test func eventTextIsEscapedEverywhere() async throws {
        let evil = #"<script>alert("x")</script>"#
        let alerts = [Fixtures.alert(1, payeeName: evil, summaryZH: "摘要 <img src=x onerror=alert(1)> & 完"), Fixtures.relationAlert(2)]
        try await Fixtures.withServer(alerts: alerts) { server, store in
            let id = try await Fixtures.id(store, anchor: "E1")
            try await server.application().test(.router) { client in
                var b = Browser(client)
                _ = try await b.login("ana")
                for path in ["/alerts/\(id)", "/queue", "/alerts/\(id)?lang=en"] {
                    let html = try await b.get(path).text
                    #expect(!html.contains("<script>alert") && !html.contains("<img src=x"), "\(path)")
                }
                let html = try await b.get("/alerts/\(id)").text
                #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
                #expect(html.contains("摘要 &lt;img src=x onerror=alert(1)&gt; &amp; 完"))
                let api = try await b.get("/api/alerts/\(id)").text
                #expect(!api.contains("<script>") && api.contains("\\u003cscript\\u003e"))
                // a comment with markup is text too
                #expect(try await b.post("/alerts/\(id)/comment", [("body", "<b>bold</b>")]).status == .seeOther)
                #expect(try await b.get("/alerts/\(id)").text.contains("&lt;b&gt;bold&lt;/b&gt;"))
                // relation path
                let rel = try await store.alert(identity: AlertIdentity(ruleID: "payee-related-to-cadre", anchorEventID: "E2"))!.id
                let relPage = try await b.get("/alerts/\(rel)").text
                #expect(relPage.contains("id=\"relation\"") && relPage.contains("朱花") && relPage.contains("vendor_shareholder"))
                #expect(!relPage.contains("330521198705119685") && !relPage.contains("330521199407110375"))
            }
        }
    }
}

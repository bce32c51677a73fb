import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route of the UI and the API, taken from the router itself
/// (``AnalystServer/routes``), tried without credentials and as a user of
/// another district. A route added to the server without an entry in
/// ``RouteSecurityTests/expectations`` fails the first test.
@Suite(.serialized) struct RouteSecurityTests {
    /// What an outsider (a lead of district 110101) gets from a route aimed at district 330521.
    enum Outsider: Equatable {
        /// 404, exactly like a missing alert.
        case notFound
        /// 200 (or a redirect), without any of the other district's data.
        case noLeak
        /// A bulk action: nothing done, every id skipped as not found.
        case bulkSkipped
        /// Logs the outsider out (tried last).
        case logout
    }

    /// Every non-public route and what an outsider gets from it.
    static let expectations: [String: Outsider] = [
        "POST /logout": .logout,
        "GET /queue": .noLeak, "GET /queue/poll": .noLeak, "GET /queue.csv": .noLeak, "POST /queue/bulk": .bulkSkipped,
        "GET /alerts/:id": .notFound,
        "POST /alerts/:id/acknowledge": .notFound, "POST /alerts/:id/assign": .notFound, "POST /alerts/:id/comment": .notFound,
        "POST /alerts/:id/escalate": .notFound, "POST /alerts/:id/close": .notFound, "POST /alerts/:id/reopen": .notFound,
        "POST /alerts/:id/reveal": .notFound,
        "GET /overview": .noLeak, "GET /rules": .noLeak, "GET /rules/:name": .noLeak, "GET /audit": .noLeak,
        "GET /api/me": .noLeak, "GET /api/alerts": .noLeak, "GET /api/alerts/counts": .noLeak, "GET /api/alerts/poll": .noLeak,
        "GET /api/alerts/export.csv": .noLeak, "POST /api/alerts/bulk": .bulkSkipped,
        "GET /api/alerts/:id": .notFound,
        "POST /api/alerts/:id/acknowledge": .notFound, "POST /api/alerts/:id/assign": .notFound, "POST /api/alerts/:id/comment": .notFound,
        "POST /api/alerts/:id/escalate": .notFound, "POST /api/alerts/:id/close": .notFound, "POST /api/alerts/:id/reopen": .notFound,
        "POST /api/alerts/:id/reveal": .notFound,
        "GET /api/overview": .noLeak, "GET /api/rules": .noLeak, "GET /api/rules/:name": .noLeak, "GET /api/audit": .noLeak,
    ]

    /// Text that only the home district's data contains (its townships' codes).
    static let homeMarkers = ["330521101", "330521102"]

    /// The concrete request for a route aimed at alert `id`: path, query and form fields.
    static func request(_ route: AnalystRoute, id: Int64) -> (uri: String, form: [(String, String)]) {
        var path = route.path.replacingOccurrences(of: ":id", with: String(id)).replacingOccurrences(of: ":name", with: "split-payments")
        var form: [(String, String)] = []
        switch route.path.split(separator: "/").last.map(String.init) ?? "" {
        case "assign": form = [("assignee", "me")]
        case "comment": form = [("body", "outsider was here")]
        case "escalate", "reopen": form = [("reason", "outsider")]
        case "close": form = [("disposition", "false_positive"), ("reason", "outsider")]
        case "bulk": form = [("action", "close"), ("disposition", "false_positive"), ("reason", "outsider"), ("id", String(id)), ("ids", String(id))]
        default: break
        }
        // lists: a filter aimed at the home district must not widen anything
        if route.method == "GET" && !route.path.contains(":") {
            path += "?district=330521" + (route.path.hasSuffix("/poll") ? "&after_id=0" : "")
        }
        return (path, form)
    }

    /// Alerts, comments and audit rows of the home district, to compare before and after.
    static func homeSnapshot(_ store: PostgresAlertStore) async throws -> [[String?]] {
        try await store.withConnection { c in
            try c.execute("""
                SELECT id::text, status, assignee, disposition, disposition_reason, updated_at::text FROM alerts WHERE district = '330521'
                UNION ALL SELECT 'comments', count(*)::text, NULL, NULL, NULL, NULL FROM alert_comments c JOIN alerts a ON a.id = c.alert_id WHERE a.district = '330521'
                UNION ALL SELECT 'audit', count(*)::text, NULL, NULL, NULL, NULL FROM audit_log
                    WHERE district = '330521' OR alert_id IN (SELECT id FROM alerts WHERE district = '330521')
                ORDER BY 1
                """).rows
        }
    }

    @Test func everyRouteIsListedAndTheAPIRoutesAreInTheOpenAPIDocument() async throws {
        let server = AnalystServer(databaseURL: "host=/nonexistent")
        let routes = server.routes
        #expect(Set(routes).count == routes.count, "no route registered twice")
        let guarded = Set(routes.filter { !AnalystServer.publicRoutes.contains($0) }.map(\.description))
        #expect(guarded == Set(RouteSecurityTests.expectations.keys), "a route without a security expectation, or a stale one")
        #expect(AnalystServer.publicRoutes.isSubset(of: Set(routes)))
        let doc = try #require(JSONValue.parse(OpenAPIDocument.json))
        let documented = Set(doc["paths"]?.members.flatMap { path, ops in ops.members.map { "\($0.0.uppercased()) \(path)" } } ?? [])
        let api = Set(routes.filter { $0.path.hasPrefix("/api/") && $0.path != "/api/openapi.json" }.map {
            "\($0.method) " + $0.path.replacingOccurrences(of: ":id", with: "{id}").replacingOccurrences(of: ":name", with: "{name}")
        })
        #expect(api == documented, "OpenAPI paths differ from the router: \(api.symmetricDifference(documented).sorted())")
    }

    @Test func everyRouteNeedsAuthentication() async throws {
        try await Fixtures.withServer { server, store in
            let id = try await Fixtures.id(store, anchor: "E1")
            let before = try await RouteSecurityTests.homeSnapshot(store)
            try await server.application().test(.router) { client in
                for route in server.routes {
                    let (uri, form) = RouteSecurityTests.request(route, id: id)
                    var anon = Browser(client)
                    let r = route.method == "GET" ? try await anon.get(uri) : try await anon.post(uri, form, csrf: false)
                    if AnalystServer.publicRoutes.contains(route) {
                        #expect([200, 303, 403].contains(r.status.code), "\(route)")
                        continue
                    }
                    if route.path.hasPrefix("/api/") {
                        #expect(r.status == .unauthorized, "\(route): \(r.status)")
                        #expect(r.json?["error"]?["code"]?.scalarText == "unauthenticated", "\(route)")
                    } else if route.method == "GET" {
                        #expect(r.status == .seeOther && r.headers[.location]?.hasPrefix("/login?next=") == true, "\(route): \(r.status)")
                    } else {
                        #expect(r.status == .unauthorized, "\(route): \(r.status)")
                    }
                    #expect(!RouteSecurityTests.homeMarkers.contains { r.text.contains($0) }, "\(route) leaks data without a login")
                    // a made-up bearer token or session cookie is no better
                    var forged = Browser(client)
                    forged.bearer = "qly_" + String(repeating: "A", count: 43)
                    forged.cookies["qly_session"] = String(repeating: "B", count: 43)
                    let f = route.method == "GET" ? try await forged.get(uri) : try await forged.post(uri, form, csrf: false)
                    #expect([401, 303].contains(f.status.code), "\(route) with forged credentials: \(f.status)")
                }
            }
            #expect(try await RouteSecurityTests.homeSnapshot(store) == before, "an unauthenticated request changed something")
        }
    }

    /// A lead of district 110101 — by session and by API token — tries every
    /// route on an alert of district 330521: 404 for the alert, nothing of
    /// 330521 in any list, count, export, overview, rule page or audit log,
    /// and nothing changed in the database.
    @Test func everyRouteIsScopedToTheCallersDistricts() async throws {
        try await Fixtures.withServer { server, store in
            try await server.users.addUser(AnalystUser(name: "leo", role: .lead, districts: ["110101"]), password: Fixtures.password, actor: "test")
            let homeID = try await Fixtures.id(store, anchor: "E1")
            let escalatedID = try await Fixtures.id(store, anchor: "E2")
            let closedID = try await Fixtures.id(store, anchor: "E3")
            // states every action can start from: new, escalated, closed
            try await store.withConnection { c in
                try c.execute("UPDATE alerts SET status = 'escalated', assignee = 'ana' WHERE id = $1::int8", params: [String(escalatedID)])
                try c.execute("UPDATE alerts SET status = 'closed', disposition = 'confirmed', disposition_reason = 'x' WHERE id = $1::int8",
                              params: [String(closedID)])
                try c.execute("INSERT INTO audit_log (actor, actor_role, via, action, alert_id, district) VALUES ('ana', 'analyst', 'web', 'acknowledge', $1::int8, '330521')",
                              params: [String(homeID)])
            }
            let token = try await server.users.createToken(user: "leo", label: "outsider")
            let before = try await RouteSecurityTests.homeSnapshot(store)
            try await server.application().test(.router) { client in
                var session = Browser(client)
                #expect(try await session.login("leo").status == .seeOther)
                var bearer = Browser(client)
                bearer.bearer = token
                let ordered = server.routes.filter { !AnalystServer.publicRoutes.contains($0) }
                    .sorted { (RouteSecurityTests.expectations[$0.description] == .logout ? 1 : 0) < (RouteSecurityTests.expectations[$1.description] == .logout ? 1 : 0) }
                for channel in ["session", "bearer"] {
                    for route in ordered {
                        if channel == "bearer" && !route.path.hasPrefix("/api/") { continue }
                        let expected = try #require(RouteSecurityTests.expectations[route.description])
                        for target in [homeID, escalatedID, closedID] {
                            if expected == .logout && target != closedID { continue }
                            let (uri, form) = RouteSecurityTests.request(route, id: target)
                            let r: TestResponse
                            if route.method == "GET" {
                                r = channel == "session" ? try await session.get(uri) : try await bearer.get(uri)
                            } else if route.path.hasPrefix("/api/") {
                                let json = "{" + form.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
                                r = channel == "session" ? try await session.postJSON(uri, json) : try await bearer.postJSON(uri, json, csrfHeader: false)
                            } else {
                                r = try await session.post(uri, form)
                            }
                            let what = "\(channel) \(route) on \(target)"
                            #expect(!RouteSecurityTests.homeMarkers.contains { r.text.contains($0) }, "\(what) shows data of 330521")
                            #expect(!r.text.contains(Fixtures.payeeID(1)), "\(what)")
                            switch expected {
                            case .notFound:
                                #expect(r.status == .notFound, "\(what): \(r.status)")
                            case .noLeak:
                                #expect(r.status == .ok, "\(what): \(r.status)")
                            case .bulkSkipped:
                                if route.path.hasPrefix("/api/") {
                                    #expect(r.status == .ok && r.json?["done"]?.elements.isEmpty == true, "\(what): \(r.text)")
                                    #expect(r.json?["skipped"]?.elements.allSatisfy { $0["reason"]?.scalarText == "notFound" } == true, "\(what)")
                                } else {
                                    #expect(r.status == .seeOther && r.headers[.location]?.contains("done=0&skipped=1") == true, "\(what): \(r.headers[.location] ?? "")")
                                }
                            case .logout:
                                #expect(r.status == .seeOther, "\(what)")
                            }
                        }
                    }
                }
                // and what the outsider does see is hers: the list holds exactly the 10 alerts of 110101
                let mine = try await bearer.get("/api/alerts?limit=500&district=330521,110101")
                #expect(mine.json?["alerts"]?.elements.count == 10)
                #expect(mine.json?["alerts"]?.elements.allSatisfy { $0["district"]?.scalarText == "110101" } == true)
            }
            #expect(try await RouteSecurityTests.homeSnapshot(store) == before, "an outsider changed alerts, comments or audit rows of 330521")
        }
    }

    /// Every mutating route refuses a browser session without the right CSRF
    /// token (missing, wrong, another session's, or sent from another origin),
    /// and changes nothing.
    @Test func everyMutatingRouteNeedsTheCSRFToken() async throws {
        try await Fixtures.withServer { server, store in
            let id = try await Fixtures.id(store, anchor: "E1")
            let before = try await RouteSecurityTests.homeSnapshot(store)
            let posts = server.routes.filter { $0.method == "POST" && !AnalystServer.publicRoutes.contains($0) }
            #expect(posts.count >= 17)
            try await server.application().test(.router) { client in
                var lea = Browser(client), other = Browser(client)
                _ = try await lea.login("lea")
                _ = try await other.login("ana")
                let foreignToken = try #require(other.csrf)
                for route in posts {
                    let (uri, form) = RouteSecurityTests.request(route, id: id)
                    let attempts: [(String, [(String, String)], [(String, String)])] = [
                        ("missing", form, []),
                        ("wrong", form + [("_csrf", "forged")], [("X-CSRF-Token", "forged")]),
                        ("another session's", form + [("_csrf", foreignToken)], [("X-CSRF-Token", foreignToken)]),
                        ("cross-origin", form + [("_csrf", lea.csrf!)], [("X-CSRF-Token", lea.csrf!), ("Origin", "http://evil.example"), ("Host", "queue.internal")]),
                    ]
                    for (what, fields, headers) in attempts {
                        let r: TestResponse
                        if route.path.hasPrefix("/api/") {
                            let json = "{" + fields.filter { $0.0 != "_csrf" }.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
                            r = try await lea.client.execute(uri: uri, method: .post,
                                                             headers: lea.headers([("Content-Type", "application/json")] + headers),
                                                             body: ByteBuffer(string: json))
                        } else {
                            let body = fields.map { HTMLText.urlEncode($0.0) + "=" + HTMLText.urlEncode($0.1) }.joined(separator: "&")
                            r = try await lea.client.execute(uri: uri, method: .post,
                                                             headers: lea.headers([("Content-Type", "application/x-www-form-urlencoded")]
                                                                                  + headers.filter { $0.0 != "X-CSRF-Token" }),
                                                             body: ByteBuffer(string: body))
                        }
                        #expect(r.status == .forbidden, "\(route), \(what) token: \(r.status)")
                    }
                }
                // the session survived every refused logout
                #expect(try await lea.get("/api/me").status == .ok)
            }
            #expect(try await RouteSecurityTests.homeSnapshot(store) == before, "a request without the CSRF token changed something")
        }
    }
}

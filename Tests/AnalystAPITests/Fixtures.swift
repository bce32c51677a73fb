import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport

/// Alerts, users and an HTTP client with cookies for the API tests.
enum Fixtures {
    static let home: [VillageCode] = [VillageCode(value: 330_521_101_202), VillageCode(value: 330_521_101_203), VillageCode(value: 330_521_102_001)]
    static let foreign = VillageCode(value: 110_101_001_001)
    static let baseTime: Instant = 1_684_000_000_000_000

    /// An alert with a personal payee id (`P…` 18 digits) in key, summary and evidence.
    static func alert(_ i: Int, village: VillageCode? = nil, rule: String = "split-payments", payeeName: String = "王芳",
                      summaryZH: String? = nil) -> Alert {
        let v = village ?? home[i % home.count]
        let payee = payeeID(i)
        let t = baseTime + Int64(i) * TimeUnit.hour
        let ids = ["E\(i)-a", "E\(i)"]
        let evidence = ids.map { id in
            Array(#"{"event_id":"\#(id)","type":"finance.payment","occurred_at":"2023-05-13T10:00:00+08:00","village":"\#(v)","voucher_no":"PZ\#(i)","amount":"4650.00","payee_id":"\#(payee)","payee_name":\#(JSONText.quote(payeeName)),"approver_id":"33052119800101999X","category":"other","trace_id":"abcdef0123456789"}"#.utf8)
        }
        return Alert(ruleID: rule, ruleVersion: 1, severity: i % 3 == 0 ? .critical : .high, anchorEventID: "E\(i)", anchorTime: t,
                     village: v, key: "village=\(v), payee_id=\(payee)", evidenceEventIDs: ids,
                     firstEvidenceAt: t - TimeUnit.day, lastEvidenceAt: t,
                     figures: [Figure("count", .integer(4)), Figure("window", .duration(7 * TimeUnit.day)),
                               Figure("sum(amount)", .money(fen: 1_860_000)), Figure("min_payments", .integer(3)),
                               Figure("approval_limit", .money(fen: 1_000_000))],
                     summaryZH: summaryZH ?? "7 天内向 \(payee) 支付 4 笔、合计 ¥18,600.00，每笔均低于审批限额 ¥10,000.00",
                     summaryEN: "4 payments to \(payee) totalling ¥18,600.00 within 7 days (alert \(i))",
                     evidence: evidence)
    }

    static func payeeID(_ i: Int) -> String { "33052119900101" + String(1000 + i) }

    /// A relation-rule alert (payee related to a cadre via a person).
    static func relationAlert(_ i: Int) -> Alert {
        var a = alert(i, rule: "payee-related-to-cadre")
        a.figures = [Figure("cadre_id", .text("330521198705119685")), Figure("relation", .text("收款单位的股东 朱静兰是村干部 朱花（报账员） 的亲属")),
                     Figure("cadre_name", .text("朱花")), Figure("cadre_role", .text("accountant")),
                     Figure("relation_kind", .text("vendor_shareholder")), Figure("via_person_id", .text("330521199407110375"))]
        return a
    }

    static let password = "correct horse battery"

    /// A migrated database with 30 home alerts, 10 foreign ones, and users:
    /// ana (analyst, 330521), lea (lead, 330521), rua (rule author, 330521),
    /// bob (analyst, 110101), colleague cat (analyst, 330521).
    static func withServer<T>(alerts: [Alert]? = nil, config: AnalystServerConfig = AnalystServerConfig(bcryptCost: 4, connections: 2),
                              _ body: (AnalystServer, PostgresAlertStore) async throws -> T) async throws -> T {
        try await TestPostgres.withStore { store, url in
            let all = alerts ?? ((0..<30).map { alert($0) } + (100..<110).map { alert($0, village: foreign) })
            try await store.write(alerts: all)
            let server = AnalystServer(databaseURL: url, config: config)
            try await server.prepare()
            for (name, role, d) in [("ana", AnalystRole.analyst, "330521"), ("lea", .lead, "330521"), ("rua", .ruleAuthor, "330521"),
                                    ("bob", .analyst, "110101"), ("cat", .analyst, "330521")] {
                try await server.users.addUser(AnalystUser(name: name, role: role, districts: [d]), password: password, actor: "test")
            }
            do {
                let r = try await body(server, store)
                await server.database.close()
                return r
            } catch {
                await server.database.close()
                throw error
            }
        }
    }

    /// The id of an alert by anchor event.
    static func id(_ store: PostgresAlertStore, anchor: String) async throws -> Int64 {
        try await store.alert(identity: AlertIdentity(ruleID: "split-payments", anchorEventID: anchor))!.id
    }
}

/// A test client that keeps cookies like a browser and knows the session's CSRF token.
struct Browser: Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf: String?
    var bearer: String?

    init(_ client: any TestClientProtocol) { self.client = client }

    func headers(_ extra: [(String, String)] = []) -> HTTPFields {
        var h = HTTPFields()
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if let bearer { h[.authorization] = "Bearer \(bearer)" }
        for (k, v) in extra { h[HTTPField.Name(k)!] = v }
        return h
    }

    mutating func remember(_ r: TestResponse) {
        for c in r.headers[values: .setCookie] {
            let pair = c.split(separator: ";")[0]
            guard let eq = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            if c.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    @discardableResult
    mutating func get(_ uri: String) async throws -> TestResponse {
        let r = try await client.execute(uri: uri, method: .get, headers: headers())
        remember(r)
        return r
    }

    /// POST a form; `_csrf` added unless `csrf: false`.
    @discardableResult
    mutating func post(_ uri: String, _ form: [(String, String)] = [], csrf withToken: Bool = true, extra: [(String, String)] = []) async throws -> TestResponse {
        var pairs = form
        if withToken, let csrf { pairs.append(("_csrf", csrf)) }
        let body = pairs.map { HTMLText.urlEncode($0.0) + "=" + HTMLText.urlEncode($0.1) }.joined(separator: "&")
        let r = try await client.execute(uri: uri, method: .post,
                                         headers: headers([("Content-Type", "application/x-www-form-urlencoded")] + extra),
                                         body: ByteBuffer(string: body))
        remember(r)
        return r
    }

    /// POST JSON to the API; the CSRF header is sent when `csrfHeader`.
    @discardableResult
    mutating func postJSON(_ uri: String, _ json: String = "{}", csrfHeader: Bool = true) async throws -> TestResponse {
        var extra = [("Content-Type", "application/json")]
        if csrfHeader, let csrf { extra.append(("X-CSRF-Token", csrf)) }
        let r = try await client.execute(uri: uri, method: .post, headers: headers(extra), body: ByteBuffer(string: json))
        remember(r)
        return r
    }

    /// Logs in through the form and learns the CSRF token.
    mutating func login(_ user: String, password: String = Fixtures.password) async throws -> TestResponse {
        let page = try await get("/login")
        let html = String(buffer: page.body)
        guard let token = Browser.hidden("_csrf", in: html) else { throw AnalystAPIError(.badRequest, "no login token") }
        csrf = nil
        let r = try await post("/login", [("username", user), ("password", password), ("_csrf", token)], csrf: false)
        if r.status == .seeOther {
            let me = try await get("/api/me")
            csrf = JSONValue.parse(String(buffer: me.body))?["csrf_token"]?.scalarText
        }
        return r
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: JSONValue? { JSONValue.parse(text) }
}

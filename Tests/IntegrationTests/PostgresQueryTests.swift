import AlertStore
import EventModel
import TestSupport
import Testing

@Suite("Postgres alert queries")
struct PostgresQueryTests {
    /// 40 alerts over 4 villages, 2 rules and 3 severities, with distinct detection times.
    func seed(_ store: PostgresAlertStore) async throws -> [Alert] {
        var alerts: [Alert] = []
        for i in 0..<40 {
            var a = PostgresFixtures.alert(i, rule: i % 2 == 0 ? "split-payments" : "cadre-relative-payee",
                                           severity: [.low, .high, .critical][i % 3])
            if i == 13 { a.summaryEN = "budget exceeded by 100% in one week" }
            if i == 14 { a.summaryEN = "payee named '; drop table alerts; -- wrote this" }
            alerts.append(a)
        }
        try await store.write(alerts: alerts)
        // Spread detected_at (ties included) so that the keyset order is tested on both columns.
        try await store.withConnection { c in
            try c.execute("UPDATE alerts SET detected_at = '2024-03-01 00:00:00+00'::timestamptz + (id % 7) * interval '1 hour'")
        }
        return alerts
    }

    @Test func keysetPaginationVisitsEveryAlertOnceInOrder() async throws {
        try await TestPostgres.withStore { store, _ in
            _ = try await seed(store)
            let all = try await store.alerts(limit: 1000)
            #expect(all.count == 40)
            let expected = all.sorted { ($0.detectedAt, $0.id) > ($1.detectedAt, $1.id) }
            #expect(all.map(\.id) == expected.map(\.id))
            var pages: [[StoredAlert]] = []
            var cursor: AlertCursor? = nil
            while true {
                let page = try await store.alerts(limit: 7, after: cursor)
                if page.isEmpty { break }
                pages.append(page)
                cursor = page.last!.cursor
                cursor = AlertCursor(cursor!.description)  // survives a round trip through text
            }
            #expect(pages.count == 6)
            #expect(pages.flatMap { $0 }.map(\.id) == expected.map(\.id))
            #expect(all.allSatisfy { $0.evidenceJSON == nil })
            #expect(try await store.alerts(limit: 1, includeEvidence: true).first?.evidenceJSON != nil)
        }
    }

    @Test func filtersCombine() async throws {
        try await TestPostgres.withStore { store, _ in
            let alerts = try await seed(store)
            func ids(_ f: AlertFilter) async throws -> Set<String> {
                Set(try await store.alerts(filter: f, limit: 1000).map(\.anchorEventID))
            }
            func want(_ p: (Alert) -> Bool) -> Set<String> { Set(alerts.filter(p).map(\.anchorEventID)) }

            #expect(try await ids(AlertFilter(ruleIDs: ["split-payments"])) == want { $0.ruleID == "split-payments" })
            #expect(try await ids(AlertFilter(districts: ["110101"])) == want { $0.village.districtCode == "110101" })
            #expect(try await ids(AlertFilter(townships: ["330521101"])) == want { $0.village.townshipCode == "330521101" })
            #expect(try await ids(AlertFilter(villages: ["330521101203"])) == want { $0.village.value == 330_521_101_203 })
            #expect(try await ids(AlertFilter(villagePrefixes: ["3305211"])) == want { $0.village.description.hasPrefix("3305211") })
            #expect(try await ids(AlertFilter(severities: [.critical, .low])) == want { $0.severity != .high })
            let t0 = PostgresFixtures.baseTime + 10 * TimeUnit.minute
            let t1 = PostgresFixtures.baseTime + 20 * TimeUnit.minute
            #expect(try await ids(AlertFilter(timeField: .anchorTime, from: t0, until: t1))
                    == want { $0.anchorTime >= t0 && $0.anchorTime < t1 })
            let combined = AlertFilter(ruleIDs: ["cadre-relative-payee"], villagePrefixes: ["330521"], severities: [.high])
            #expect(try await ids(combined)
                    == want { $0.ruleID == "cadre-relative-payee" && $0.village.districtCode == "330521" && $0.severity == .high })
            let march = AlertFilter(from: 1_709_251_200_000_000, until: 1_709_254_800_000_000)  // 2024-03-01 00:00–01:00 UTC
            #expect(try await store.countAlerts(filter: march) == 5)  // ids ≡ 0 (mod 7) among 1…40

            try await store.withConnection { c in
                try c.execute("UPDATE alerts SET status = 'assigned', assignee = 'wang' WHERE anchor_event_id IN ('E1', 'E2')")
            }
            #expect(try await ids(AlertFilter(statuses: [.assigned])) == ["E1", "E2"])
            #expect(try await ids(AlertFilter(assignee: "wang")) == ["E1", "E2"])
            #expect(try await store.countAlerts(filter: AlertFilter(statuses: [.new])) == 38)
        }
    }

    @Test func freeTextIsAParameterNotSQL() async throws {
        try await TestPostgres.withStore { store, _ in
            _ = try await seed(store)
            let injection = try await store.alerts(filter: AlertFilter(text: "'; drop table alerts; --"))
            #expect(injection.map(\.anchorEventID) == ["E14"])
            #expect(try await store.countAlerts() == 40)
            #expect(try await store.alerts(filter: AlertFilter(text: "' OR '1'='1")).isEmpty)
            // LIKE wildcards match literally.
            #expect(try await store.alerts(filter: AlertFilter(text: "100%")).map(\.anchorEventID) == ["E13"])
            #expect(try await store.alerts(filter: AlertFilter(text: "P_")).isEmpty)  // unescaped, `_` would match "pa"
            // Case-insensitive, over the Chinese summary and the key too.
            #expect(try await store.countAlerts(filter: AlertFilter(text: "BUDGET")) == 1)
            #expect(try await store.countAlerts(filter: AlertFilter(text: "拆分支付")) == 40)
            #expect(try await store.countAlerts(filter: AlertFilter(text: "payee_id=P7")) == 1)
            // Injections through every other text filter are inert as well.
            let hostile = "x'); DELETE FROM alerts; --"
            let f = AlertFilter(ruleIDs: [hostile], districts: [hostile], townships: [hostile], villages: [hostile],
                                villagePrefixes: [hostile], statuses: [AlertStatus(rawValue: hostile)], assignee: hostile)
            #expect(try await store.alerts(filter: f).isEmpty)
            #expect(try await store.countAlerts() == 40)
        }
    }

    @Test func countsPerRuleAndStatus() async throws {
        try await TestPostgres.withStore { store, _ in
            _ = try await seed(store)
            #expect(try await store.alertCounts(by: .rule) == ["split-payments": 20, "cadre-relative-payee": 20])
            #expect(try await store.alertCounts(by: .status) == ["new": 40])
            #expect(try await store.alertCounts(by: .severity) == ["low": 14, "high": 13, "critical": 13])
            #expect(try await store.alertCounts(by: .district, filter: AlertFilter(ruleIDs: ["cadre-relative-payee"]))
                    == ["330521": 10, "110101": 10])
        }
    }
}

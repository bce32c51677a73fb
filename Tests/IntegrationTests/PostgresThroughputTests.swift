import AlertStore
import EventModel
import Foundation
import Pipeline
import TestSupport
import Testing

/// The COPY path at volume. `QIANLIYAN_PG_BENCH_ROWS=100000` (in a release
/// build) measures the write throughput; the default keeps the suite quick.
@Suite("Postgres throughput")
struct PostgresThroughputTests {
    static let rows = ProcessInfo.processInfo.environment["QIANLIYAN_PG_BENCH_ROWS"].flatMap { Int($0) } ?? 10_000

    @Test func copyPathWritesManyAlertsIdempotently() async throws {
        try await TestPostgres.withStore { store, _ in
            let n = PostgresThroughputTests.rows
            let alerts = PostgresFixtures.alerts(0..<n)
            let letters = (0..<n / 100).map { PostgresFixtures.deadLetter($0) }

            let clock = ContinuousClock()
            let start = clock.now
            let summary = try await store.write(alerts: alerts, deadLetters: letters)
            let once = clock.now - start
            #expect(summary.alertsInserted == n && summary.deadLettersInserted == n / 100)

            let again = clock.now
            let second = try await store.write(alerts: alerts, deadLetters: letters)
            let twice = clock.now - again
            #expect(second.alertsInserted == 0 && second.alertsSkipped == n)
            #expect(try await store.countAlerts() == n)

            print("postgres write: \(n) alerts in one transaction \(rate(n, once)) rows/s; rewrite (all skipped) \(rate(n, twice)) rows/s")
        }
    }

    @Test func replaySinkWritesBatchesAsTheyComeOverTwoConnections() async throws {
        try await TestPostgres.withStore { store, url in
            let alerts = PostgresFixtures.alerts(0..<7_500)
            let letters = (0..<120).map { PostgresFixtures.deadLetter($0) }
            func pour(_ alerts: [Alert], _ sink: PostgresReplaySink, batch: Int) throws -> AlertWriteSummary {
                try sink.write(alerts: [], deadLetters: letters)
                for i in stride(from: 0, to: alerts.count, by: batch) {
                    try sink.write(alerts: Array(alerts[i..<min(i + batch, alerts.count)]), deadLetters: [])
                }
                return try sink.finish()
            }
            let once = try pour(alerts, PostgresReplaySink(url: url, connections: 2), batch: 1_000)
            #expect(once.alertsInserted == 7_500 && once.deadLettersInserted == 120 && once.alertsSkipped == 0)
            // Again, with overlapping batches on three connections: nothing new, nothing lost.
            let again = try pour(alerts + alerts.prefix(3_000), PostgresReplaySink(url: url, connections: 3), batch: 700)
            #expect(again.alertsInserted == 0 && again.alertsSkipped == 10_500 && again.deadLettersSkipped == 120)
            #expect(try await store.countAlerts() == 7_500)
        }
    }

    @Test func replaySinkStoresNothingUntilFinishedAndNothingOfWhatIsDiscardedOrCancelled() async throws {
        try await TestPostgres.withStore { store, url in
            let alerts = PostgresFixtures.alerts(0..<3_000)
            // Written, then cancelled (a replay that failed): nothing stored.
            let cancelled = PostgresReplaySink(url: url, connections: 2)
            for i in stride(from: 0, to: 3_000, by: 500) { try cancelled.write(alerts: Array(alerts[i..<(i + 500)]), deadLetters: []) }
            #expect(try await store.countAlerts() == 0, "nothing is committed before finish()")
            cancelled.cancel()
            #expect(try await store.countAlerts() == 0)
            // Written, discarded (an abandoned pass), then other alerts: only those are stored.
            let sink = PostgresReplaySink(url: url, connections: 2)
            for i in stride(from: 0, to: 2_000, by: 500) { try sink.write(alerts: Array(alerts[i..<(i + 500)]), deadLetters: []) }
            try sink.discardUnsettled()
            // The same alerts twice, in batches cut differently: each meets its copy in one transaction.
            try sink.write(alerts: Array(alerts[2_000..<3_000]), deadLetters: [PostgresFixtures.deadLetter(1)])
            try sink.write(alerts: Array(alerts[2_000..<3_000].reversed()), deadLetters: [])
            let written = try sink.finish()
            #expect(written.alertsInserted == 1_000 && written.alertsSkipped == 1_000 && written.deadLettersInserted == 1)
            let stored = try await store.withConnection { c in try c.execute("SELECT anchor_event_id FROM alerts").rows.map { $0[0]! } }
            #expect(Set(stored) == Set(alerts[2_000..<3_000].map(\.anchorEventID)))
        }
    }

    @Test func replaySinkReportsAWriteThatFails() throws {
        let sink = PostgresReplaySink(url: "postgresql:///none?host=/nonexistent-qianliyan-socket-dir&connect_timeout=2", connections: 2)
        let alerts = PostgresFixtures.alerts(0..<10)
        #expect(throws: PostgresError.self) {
            for _ in 0..<20 { try sink.write(alerts: alerts, deadLetters: []) }
            _ = try sink.finish()
        }
    }

    @Test func batchedWrites() async throws {
        try await TestPostgres.withStore { store, _ in
            let n = PostgresThroughputTests.rows
            let alerts = PostgresFixtures.alerts(0..<n)
            let clock = ContinuousClock()
            for batch in [1_000, 50] {
                try await store.withConnection { c in try c.execute("TRUNCATE alerts") }
                let start = clock.now
                for i in stride(from: 0, to: n, by: batch) {
                    try await store.write(alerts: Array(alerts[i..<min(i + batch, n)]))
                }
                let took = clock.now - start
                #expect(try await store.countAlerts() == n)
                print("postgres write: \(n) alerts in batches of \(batch): \(rate(n, took)) rows/s")
            }
        }
    }

    func rate(_ n: Int, _ d: Duration) -> Int {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return Int(Double(n) / max(seconds, 1e-9))
    }
}

import AlertStore
import Foundation
import Testing

@Suite("Embedded PostgreSQL")
struct PostgresEmbeddedTests {
    @Test func startReuseStopAndRestart() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/qianliyan-embedded-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let pg = EmbeddedPostgres(directory: dir, options: .init(durable: false, listenOnTCP: true))
        try pg.stopWhenProcessExits(removeDirectory: true)
        #expect(pg.status() == .notInitialized)
        #expect(pg.url() == nil)

        let url = try await pg.start()
        guard case .running(_, let port) = pg.status() else { Issue.record("not running"); return }
        #expect(pg.url() == url)
        #expect(try await pg.start() == url)  // reuses the running cluster

        // Both the socket URL and 127.0.0.1 reach the `qianliyan` database.
        for u in [url, "postgresql://postgres@127.0.0.1:\(port)/qianliyan"] {
            let c = try PostgresConnection(u)
            #expect(try c.execute("SELECT current_database()").scalar == "qianliyan")
            c.close()
        }
        let store = PostgresAlertStore(url: url)
        try await store.migrate()
        try await store.write(alerts: PostgresFixtures.alerts(0..<3))
        await store.close()

        try await pg.stop()
        #expect(pg.status() == .stopped)
        #expect(pg.url() == nil)
        try await pg.stop()  // stopping a stopped cluster is fine

        let again = try await pg.start()
        #expect(again == url)  // the same port when it is still free
        let reopened = PostgresAlertStore(url: again)
        #expect(try await reopened.countAlerts() == 3)
        await reopened.close()
        try await pg.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

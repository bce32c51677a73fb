import AlertStore
import TestSupport
import Testing

@Suite("Postgres errors")
struct PostgresErrorTests {
    @Test func aBadQueryCarriesItsSQLStateAndIsNotRetriable() async throws {
        try await TestPostgres.withStore { store, _ in
            let missing = await #expect(throws: PostgresError.self) {
                try await store.withConnection { c in try c.execute("SELECT * FROM no_such_table") }
            }
            #expect(missing?.sqlState == "42P01")
            #expect(missing?.code == .queryFailed)
            #expect(missing?.isRetriable == false)

            let syntax = await #expect(throws: PostgresError.self) {
                try await store.withConnection { c in try c.execute("SELEC 1") }
            }
            #expect(syntax?.sqlState == "42601")

            // A unique violation: the message may quote values, so `description` leaves it out.
            let duplicate = await #expect(throws: PostgresError.self) {
                try await store.withConnection { c in
                    try c.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'secret-value')")
                }
            }
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate.map { !"\($0)".contains("secret") && !"\($0)".contains("(version)=(1)") } == true)

            // The connection stays usable.
            let count = try await store.countAlerts()
            #expect(count == 0)
        }
    }

    @Test func bytesGoAndComeBackInBinary() async throws {
        try await TestPostgres.withStore { store, _ in
            try await store.withConnection { c in
                try c.execute("CREATE TEMP TABLE blobs (name text, b bytea)")
                var big = [UInt8](repeating: 0, count: 3 << 20)
                for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
                let cases: [(String, [UInt8])] = [("all", Array(0...255)), ("empty", []), ("zeros", [0, 0, 0]), ("big", big)]
                for (name, bytes) in cases {
                    try c.execute("INSERT INTO blobs VALUES ($1, $2)", params: [name], bytes: bytes)
                    #expect(try c.queryBytes("SELECT b FROM blobs WHERE name = $1", params: [name]) == bytes, "\(name)")
                }
                // The server holds the same bytes as a hex literal would have given.
                #expect(try c.execute("SELECT b = '\\x000000'::bytea FROM blobs WHERE name = 'zeros'").scalar == "t")
                #expect(try c.execute("SELECT length(b) FROM blobs WHERE name = 'big'").scalar == String(3 << 20))
                #expect(try c.queryBytes("SELECT b FROM blobs WHERE name = 'none'") == nil)
                #expect(try c.queryBytes("SELECT NULL::bytea") == nil)
            }
        }
    }

    @Test func aServerThatIsNotThereIsRetriable() async throws {
        let port = try await TestPostgres.shared.server().port
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresConnection("host=/nonexistent-qianliyan-dir port=\(port) dbname=x user=postgres password=hunter2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRetriable == true)
        #expect(error.map { !"\($0)".contains("hunter2") } == true)

        let store = PostgresAlertStore(url: "postgresql://postgres:hunter2@127.0.0.1:1/x?connect_timeout=2")
        #expect(store.redactedURL == "postgresql://postgres:***@127.0.0.1:1/x?connect_timeout=2")
        let viaStore = await #expect(throws: PostgresError.self) { try await store.countAlerts() }
        #expect(viaStore?.isRetriable == true)
    }

    @Test func aTerminatedSessionIsRetriableAndTheStoreReconnects() async throws {
        try await TestPostgres.withStore { store, url in
            let pid = try await store.withConnection { c in c.backendPID }
            let killer = try PostgresConnection(url)
            try killer.execute("SELECT pg_terminate_backend($1::int4)", params: [String(pid)])
            killer.close()

            let lost = await #expect(throws: PostgresError.self) { try await store.countAlerts() }
            #expect(lost?.isRetriable == true)
            // The next call opens a new session.
            #expect(try await store.countAlerts() == 0)
            #expect(try await store.withConnection { c in c.backendPID } != pid)

            // RetryPolicy hides the same failure from the caller.
            let pid2 = try await store.withConnection { c in c.backendPID }
            let killer2 = try PostgresConnection(url)
            try killer2.execute("SELECT pg_terminate_backend($1::int4)", params: [String(pid2)])
            killer2.close()
            let written = try await RetryPolicy(maxAttempts: 3).run(sleep: { _ in }) {
                try await store.write(alerts: PostgresFixtures.alerts(0..<2))
            }
            #expect(written.alertsInserted == 2)
        }
    }

    @Test func retryPolicyStopsOnOtherErrorsAndAfterMaxAttempts() async throws {
        let attempts = Counter()
        await #expect(throws: PostgresError.self) {
            try await RetryPolicy(maxAttempts: 3).run(sleep: { _ in }) {
                await attempts.increment()
                throw PostgresError(.queryFailed, sqlState: "40001", message: "could not serialize access")
            }
        }
        #expect(await attempts.value == 3)
        await #expect(throws: PostgresError.self) {
            try await RetryPolicy(maxAttempts: 3).run(sleep: { _ in }) {
                await attempts.increment()
                throw PostgresError(.queryFailed, sqlState: "42P01", message: "no table")
            }
        }
        #expect(await attempts.value == 4)
        let p = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect([1, 2, 3, 4, 5, 9].map { p.delay(afterAttempt: $0) }
                == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }
}

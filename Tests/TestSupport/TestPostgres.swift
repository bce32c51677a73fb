import AlertStore
import Foundation
import Logging

/// One throwaway PostgreSQL 15 server for the whole test process, started
/// on first use in a temporary directory (as root the server runs as the
/// `postgres` user). Every test gets a fresh database of its own:
///
///     try await TestPostgres.withDatabase { url in
///         let store = PostgresAlertStore(url: url)
///         try await store.migrate()
///         …
///     }
///
/// A watchdog stops the server and deletes its directory once the test
/// process has exited, however it exits.
///
/// Shared by the test targets that need PostgreSQL (`IntegrationTests`,
/// `AnalystAPITests`): they run in one test process, and so on one server.
public actor TestPostgres {
    public static let shared = TestPostgres()

    public struct Server: Sendable {
        public let embedded: EmbeddedPostgres
        /// URL of the `postgres` maintenance database.
        public let adminURL: String
        public let port: Int

        public func url(database: String) -> String { embedded.url(port: port, database: database) }
    }

    private var starting: Task<Server, any Error>?
    private var admin: PostgresAlertStore?

    /// The shared server, started once.
    public func server() async throws -> Server {
        if let starting { return try await starting.value }
        let task = Task { try await TestPostgres.startServer() }
        starting = task
        return try await task.value
    }

    private static func startServer() async throws -> Server {
        let dir = FileManager.default.temporaryDirectory.path + "/qianliyan-test-pg-\(getpid())"
        let embedded = EmbeddedPostgres(directory: dir, options: .init(durable: false, listenOnTCP: false, database: "postgres"))
        _ = try await embedded.start()
        try embedded.stopWhenProcessExits(removeDirectory: true)
        guard case .running(_, let port) = embedded.status() else {
            throw PostgresError(.serverSetupFailed, message: "test PostgreSQL did not stay up")
        }
        return Server(embedded: embedded, adminURL: embedded.url(port: port, database: "postgres"), port: port)
    }

    private func adminStore() async throws -> PostgresAlertStore {
        if let admin { return admin }
        let store = PostgresAlertStore(url: try await server().adminURL, logger: TestPostgres.logger)
        admin = store
        return store
    }

    /// Creates an empty database and returns its URL.
    public func createDatabase() async throws -> (name: String, url: String) {
        let name = "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try await adminStore().withConnection { c in _ = try c.executeScript("CREATE DATABASE \(name)") }
        return (name, try await server().url(database: name))
    }

    /// Drops a database, disconnecting whoever still uses it.
    public func dropDatabase(_ name: String) async throws {
        try await adminStore().withConnection { c in _ = try c.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// Runs `body` with the URL of a fresh, empty database, dropped afterwards.
    public static func withDatabase<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
        let (name, url) = try await shared.createDatabase()
        do {
            let result = try await body(url)
            try await shared.dropDatabase(name)
            return result
        } catch {
            try? await shared.dropDatabase(name)
            throw error
        }
    }

    /// Runs `body` with a migrated store on a fresh database.
    public static func withStore<T>(_ body: (_ store: PostgresAlertStore, _ url: String) async throws -> T) async throws -> T {
        try await withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: logger)
            try await store.migrate()
            do {
                let result = try await body(store, url)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }

    public static let logger: Logger = {
        var logger = Logger(label: "test.postgres", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        return logger
    }()
}

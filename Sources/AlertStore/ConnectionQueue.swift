import Dispatch
import Logging

/// One lazily opened connection, used only on a serial dispatch queue so
/// that blocking libpq calls never run on Swift's cooperative pool.
/// A broken connection is dropped and reopened on the next use.
final class ConnectionQueue: @unchecked Sendable {
    // `connection` is read and written only on `queue`.
    private let queue: DispatchQueue
    private var connection: PostgresConnection?
    private let conninfo: String
    private let logger: Logger

    init(conninfo: String, label: String, logger: Logger) {
        self.conninfo = conninfo
        self.logger = logger
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` with the connection on the queue and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.withConnection(body) })
            }
        }
    }

    /// Closes the connection (the next `run` reopens one).
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection?.close()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        if let c = connection, !c.isConnected {
            logger.warning("database connection lost; reconnecting", metadata: ["db.url": "\(c.redactedConnInfo)"])
            connection = nil
        }
        let c: PostgresConnection
        if let existing = connection {
            c = existing
        } else {
            c = try PostgresConnection(conninfo)
            connection = c
            logger.debug("database connected", metadata: ["db.url": "\(c.redactedConnInfo)"])
        }
        do {
            return try body(c)
        } catch {
            if !c.isConnected { connection = nil }
            // Never leave a half-done transaction to the next caller.
            else if c.isInTransaction { _ = try? c.executeScript("ROLLBACK") }
            throw error
        }
    }
}

import AlertStore
import Foundation
import Logging

/// A PostgreSQL connection that one thread of a worker uses again and
/// again: opened when first needed, and reopened with backoff (0.2 s
/// doubling up to 5 s) while PostgreSQL is away — a retriable error — until
/// `stopping` says to give up. Other errors are thrown at once.
final class ReconnectingConnection {
    private let url: String
    private let logger: Logger
    private let metrics: WorkerMetrics
    private let stopping: () -> Bool
    /// What the warnings say the connection is for.
    private let purpose: String
    private var conn: PostgresConnection?

    init(url: String, purpose: String, logger: Logger, metrics: WorkerMetrics, stopping: @escaping () -> Bool) {
        self.url = url
        self.purpose = purpose
        self.logger = logger
        self.metrics = metrics
        self.stopping = stopping
    }

    deinit { conn?.close() }

    /// Runs `body` with a live connection, reconnecting while PostgreSQL is away.
    func run<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                if conn == nil || conn?.isConnected == false { conn = try PostgresConnection(url) }
                return try body(conn!)
            } catch let e as PostgresError where e.isRetriable && !stopping() {
                attempt += 1
                metrics.databaseRetry()
                let delay = min(5.0, 0.1 * pow(2.0, Double(min(attempt, 6))))
                logger.warning("\(purpose): PostgreSQL unavailable (\(e)); retrying in \(String(format: "%.1f", delay)) s")
                close()
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }

    func close() {
        conn?.close()
        conn = nil
    }
}

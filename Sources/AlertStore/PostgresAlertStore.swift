import EventModel
import Logging

/// Alerts and dead letters in PostgreSQL: migrations, idempotent batched
/// writes, and the readers of the analysts' queue.
///
/// One store holds one connection, opened on first use and reopened after
/// it breaks; its calls run one at a time on a serial dispatch queue (never
/// on Swift's cooperative pool). Open several stores for parallel work.
/// Nothing is retried automatically: wrap calls in ``RetryPolicy/run(logger:sleep:_:)``
/// where a retry is safe (``write(alerts:deadLetters:)`` always is).
public final class PostgresAlertStore: Sendable {
    /// The database URL with passwords masked, for logs.
    public let redactedURL: String
    /// Batches of at least this many rows are written with COPY.
    public let copyThreshold: Int
    let queue: ConnectionQueue
    let logger: Logger

    /// A store for `url`: anything libpq takes (`key=value` pairs or a
    /// `postgresql://` URI, Unix-socket hosts included). Does not connect yet.
    public init(url: String, logger: Logger = Logger(label: "qianliyan.alert-store"),
                copyThreshold: Int = PostgresConnection.defaultCopyThreshold) {
        redactedURL = ConnInfo.redacted(url)
        self.copyThreshold = copyThreshold
        self.logger = logger
        queue = ConnectionQueue(conninfo: url, label: "qianliyan.alert-store", logger: logger)
    }

    /// Applies pending ``Migrations``; returns the versions applied now.
    @discardableResult
    public func migrate(_ migrations: [Migration] = Migrations.all) async throws -> [Int] {
        let logger = self.logger
        return try await queue.run { c in try Migrator(migrations: migrations).migrate(c, logger: logger) }
    }

    /// Writes alerts and dead letters in one transaction, idempotently:
    /// rows already stored are skipped, never overwritten (see
    /// ``PostgresConnection/write(alerts:deadLetters:copyThreshold:)``).
    @discardableResult
    public func write(alerts: [Alert], deadLetters: [DeadLetter] = []) async throws -> AlertWriteSummary {
        let threshold = copyThreshold
        return try await queue.run { c in
            try c.write(alerts: alerts, deadLetters: deadLetters, copyThreshold: threshold)
        }
    }

    /// Runs `body` in one transaction on the store's connection: commit when
    /// it returns, rollback when it throws. Inside, write alerts with
    /// `connection.write(alerts:deadLetters:)` next to rows of your own, e.g.
    ///
    ///     try await store.withTransaction { c in
    ///         try c.write(alerts: alerts, deadLetters: letters)
    ///         try c.execute("INSERT INTO … offsets …", params: [...])
    ///     }
    @discardableResult
    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await queue.run { c in try c.transaction(body) }
    }

    /// Runs `body` with the store's connection outside any transaction
    /// (readers, statements of your own).
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await queue.run(body)
    }

    /// Closes the connection; a later call opens a new one.
    public func close() async {
        await queue.close()
    }
}

import AlertStore
import EventModel
import Foundation

/// Writes a replay's dead letters and alerts to PostgreSQL while the replay
/// hands them out, over several connections at once: each batch is one
/// idempotent transaction (`PostgresConnection.write(alerts:deadLetters:)`)
/// in its own backend, so two connections keep two cores busy. The replay
/// never holds more than a batch per connection waiting here —
/// holding every alert until the end cost a 10 M-event replay ~340 MB.
///
/// `write` waits while the writers are behind; it throws the first write
/// error (the rest of the replay's output is dropped; rerunning the replay
/// is safe). Call `finish()` once, after the replay, to wait for the last
/// batches and get the counts.
public final class PostgresReplaySink: ReplaySink, @unchecked Sendable {
    private typealias Batch = (alerts: [Alert], deadLetters: [DeadLetter])
    private let queue: BlockingQueue<Batch>
    private let done = DispatchGroup()
    // `failure` and `written` are guarded by `lock`.
    private let lock = NSLock()
    private var failure: Error?
    private var written = AlertWriteSummary()
    private var finished = false
    /// Whether `alerts` was empty when the first batch came (asked once,
    /// under `lock`, by the writer that took it): then no batch of this
    /// replay can meet a stored alert but one another writer stored
    /// meanwhile, and batches skip asking (`PostgresConnection.write(…fresh:)`).
    private var startedEmpty: Bool?
    /// Connections writing batches side by side.
    public let parallelism: Int

    /// `url`: anything libpq takes. Connections open on the first batch.
    public init(url: String, connections: Int = 2, copyThreshold: Int = PostgresConnection.defaultCopyThreshold) {
        queue = BlockingQueue(capacity: max(1, connections))
        parallelism = max(1, connections)
        for n in 0..<max(1, connections) {
            done.enter()
            let thread = Thread { [self] in
                defer { done.leave() }
                var connection: PostgresConnection? = nil
                defer { connection?.close() }
                while let batch = queue.take() {
                    // After a failure the rest is dropped (the replay throws; rerunning it is safe).
                    if lock.withLock({ failure != nil }) { continue }
                    do {
                        if connection == nil { connection = try PostgresConnection(url) }
                        let c = connection!
                        let fresh = try lock.withLock {
                            if startedEmpty == nil { startedEmpty = try c.alertsTableIsEmpty() }
                            return startedEmpty!
                        }
                        let w = try c.write(alerts: batch.alerts, deadLetters: batch.deadLetters, copyThreshold: copyThreshold, fresh: fresh)
                        lock.withLock { written.add(w) }
                    } catch {
                        lock.withLock { if failure == nil { failure = error } }
                        queue.close()
                    }
                }
            }
            thread.name = "qianliyan.replay-writer-\(n)"
            thread.start()
        }
    }

    deinit {
        if !finished {
            queue.close()
            done.wait()
        }
    }

    public func write(alerts: [Alert], deadLetters: [DeadLetter]) throws {
        if let f = lock.withLock({ failure }) { throw f }
        guard !alerts.isEmpty || !deadLetters.isEmpty else { return }
        if !queue.put((alerts, deadLetters)) {
            throw lock.withLock { failure } ?? CancellationError()
        }
    }

    /// Waits for every batch to be written; the counts, or the first error.
    public func finish() throws -> AlertWriteSummary {
        queue.close()
        done.wait()
        finished = true
        return try lock.withLock {
            if let f = failure { throw f }
            return written
        }
    }
}

/// Keeps only the alerts' identities (rule, anchor event): `replay
/// --dry-run`, which prints them (the summary counts the dead letters).
public final class IdentitySink: ReplaySink {
    public private(set) var identities: [AlertIdentity] = []
    public init() {}
    public func write(alerts: [Alert], deadLetters: [DeadLetter]) throws {
        identities += alerts.map(\.identity)
    }
}

import AlertStore
import EventModel
import Foundation
import Logging

/// Writes checkpoints on a thread of its own, with a connection of its own,
/// while the worker goes on reading and evaluating.
///
/// The worker takes the checkpoint (each shard's snapshot and offsets, and
/// the alerts and dead letters not yet written) at a point between two
/// polls; compressing it and writing it in one transaction — most of a
/// checkpoint's time with a large state — happens here. At most one is in
/// flight. A failed one gives its alerts and dead letters back to the worker;
/// its shards resume from the previous checkpoint if the worker stops before
/// the next one lands. Writing an older checkpoint over a newer one (a worker
/// that lost its partitions while writing) is safe: each is a consistent pair
/// of state and offsets, and re-evaluated events give the same alert rows.
final class CheckpointWriter: @unchecked Sendable {
    /// What one checkpoint writes.
    struct Job: Sendable {
        var alerts: [Alert]
        var deadLetters: [DeadLetter]
        var shards: [ShardCheckpoint]
    }

    /// A finished write.
    struct Outcome {
        let job: Job
        /// Nil when it committed.
        let error: Error?
        /// Seconds the write took (compression included).
        let seconds: Double
    }

    private let store: CheckpointStore
    private let databaseURL: String
    private let logger: Logger
    private let metrics: WorkerMetrics
    private let stopping: () -> Bool

    // Under `lock`: whether a write is in flight, and the finished one not yet taken.
    private let lock = NSCondition()
    private var inFlight = false
    private var finished: Outcome?
    /// Touched only by the write in flight.
    private var conn: PostgresConnection?

    init(store: CheckpointStore, databaseURL: String, logger: Logger, metrics: WorkerMetrics, stopping: @escaping () -> Bool) {
        self.store = store
        self.databaseURL = databaseURL
        self.logger = logger
        self.metrics = metrics
        self.stopping = stopping
    }

    deinit { conn?.close() }

    /// True while a write is in flight or its outcome has not been taken.
    var busy: Bool {
        lock.lock(); defer { lock.unlock() }
        return inFlight || finished != nil
    }

    /// Starts writing `job` (only when not `busy`).
    func start(_ job: Job) {
        lock.lock()
        precondition(!inFlight && finished == nil, "one checkpoint at a time")
        inFlight = true
        lock.unlock()
        let t = Thread { [self] in
            let start = Date()
            var error: Error?
            do { try write(job) } catch let e { error = e }
            let outcome = Outcome(job: job, error: error, seconds: Date().timeIntervalSince(start))
            lock.lock()
            inFlight = false
            finished = outcome
            lock.broadcast()
            lock.unlock()
        }
        t.name = "checkpoint-writer"
        t.start()
    }

    /// The finished write's outcome, if any; with `wait`, waits for the one in flight first.
    func take(wait: Bool) -> Outcome? {
        lock.lock(); defer { lock.unlock() }
        while wait && inFlight { lock.wait() }
        defer { finished = nil }
        return finished
    }

    /// Writes the job in one transaction, reconnecting with backoff while PostgreSQL is away.
    private func write(_ job: Job) throws {
        var attempt = 0
        while true {
            do {
                if conn == nil || conn?.isConnected == false { conn = try PostgresConnection(databaseURL) }
                try store.write(conn!, alerts: job.alerts, deadLetters: job.deadLetters, shards: job.shards)
                return
            } catch let e as PostgresError where e.isRetriable && !stopping() {
                attempt += 1
                metrics.databaseRetry()
                let delay = min(5.0, 0.1 * pow(2.0, Double(min(attempt, 6))))
                logger.warning("checkpoint: PostgreSQL unavailable (\(e)); retrying in \(String(format: "%.1f", delay)) s")
                conn?.close()
                conn = nil
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }
}

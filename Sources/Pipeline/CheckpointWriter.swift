import AlertStore
import EventModel
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Writes checkpoints on a thread of its own, with a connection of its own,
/// while the worker goes on reading and evaluating.
///
/// The worker takes the checkpoint (each shard's snapshot and offsets, and
/// the alerts and dead letters not yet written) at a point between two
/// polls (a copy of each shard's state); writing its alerts, then serialising,
/// compressing and writing the states and offsets in one transaction — most of a
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
    /// Touched only by the write in flight.
    private let connection: ReconnectingConnection

    // Under `lock`: whether a write is in flight, and the finished one not yet taken.
    private let lock = NSCondition()
    private var inFlight = false
    private var finished: Outcome?

    /// `connection` gives up retrying when the worker stops.
    init(store: CheckpointStore, connection: ReconnectingConnection) {
        self.store = store
        self.connection = connection
    }

    /// True while a write is in flight or its outcome has not been taken.
    var busy: Bool {
        lock.lock(); defer { lock.unlock() }
        return inFlight || finished != nil
    }

    /// The writer thread's nice value (the worker's is 0).
    static let niceness: Int32 = 10

    /// Starts writing `job` (only when not `busy`).
    func start(_ job: Job) {
        lock.lock()
        precondition(!inFlight && finished == nil, "one checkpoint at a time")
        inFlight = true
        lock.unlock()
        let t = Thread { [self] in
            // Below the worker's priority (Linux nices threads one by one, and 0 names the
            // calling thread): on a busy machine the write waits for a free core, not the
            // events behind it.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
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

    /// Writes the job's alerts and dead letters (idempotent, as the worker's own flushes:
    /// analysts see them now, not after the state is serialised), then serialises and
    /// compresses the shards' states (once) and writes them with their offsets in one
    /// transaction; reconnects with backoff while PostgreSQL is away.
    private func write(_ job: Job) throws {
        if !job.alerts.isEmpty || !job.deadLetters.isEmpty {
            try connection.run { c in _ = try c.write(alerts: job.alerts, deadLetters: job.deadLetters) }
        }
        let shards = job.shards.map { ($0, compressed: CheckpointStore.compress($0)) }
        try connection.run { c in try store.write(c, shards: shards) }
    }
}

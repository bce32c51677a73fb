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

    private let threadName: String
    private let niceness: Int32

    /// `connection` gives up retrying when the worker stops. `niceness`: the writing thread's nice value.
    init(store: CheckpointStore, connection: ReconnectingConnection, threadName: String = "checkpoint-writer",
         niceness: Int32 = CheckpointWriter.checkpointNiceness) {
        self.store = store
        self.connection = connection
        self.threadName = threadName
        self.niceness = niceness
    }

    /// True while a write is in flight or its outcome has not been taken.
    var busy: Bool {
        lock.lock(); defer { lock.unlock() }
        return inFlight || finished != nil
    }

    /// A checkpoint writer's nice value (the worker's is 0).
    static let checkpointNiceness: Int32 = 10

    /// Starts writing `job` (only when not `busy`).
    func start(_ job: Job) {
        lock.lock()
        precondition(!inFlight && finished == nil, "one checkpoint at a time")
        inFlight = true
        lock.unlock()
        let t = Thread { [self] in
            // A checkpoint goes below the worker's priority (Linux nices threads one by one, and 0 names the
            // calling thread): on a busy machine the write waits for a free core, not the
            // events behind it.
            if niceness != 0 { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
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
        t.name = threadName
        t.start()
    }

    /// The finished write's outcome, if any; with `wait`, waits for the one in flight first.
    func take(wait: Bool) -> Outcome? {
        lock.lock(); defer { lock.unlock() }
        while wait && inFlight { lock.wait() }
        defer { finished = nil }
        return finished
    }

    /// Writes the job's alerts and dead letters (idempotent, as the worker's flushes between
    /// checkpoints: analysts see them now, not after the state is serialised), then serialises
    /// and compresses the shards' states (once) and writes them with their offsets in one
    /// transaction; reconnects with backoff while PostgreSQL is away. A job without shards
    /// (a flush) writes only its alerts and dead letters.
    private func write(_ job: Job) throws {
        if !job.alerts.isEmpty || !job.deadLetters.isEmpty {
            try connection.run { c in _ = try c.write(alerts: job.alerts, deadLetters: job.deadLetters) }
        }
        guard !job.shards.isEmpty else { return }
        let shards = job.shards.map { ($0, compressed: CheckpointStore.compress($0)) }
        try connection.run { c in try store.write(c, shards: shards) }
    }
}

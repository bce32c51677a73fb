import AlertStore
import EventModel
import Foundation

/// Writes a replay's alerts and dead letters to PostgreSQL while the replay
/// runs, over several connections at once, so that two backends keep two
/// cores busy — and, during the pass, take the cores' spare time.
///
/// Everything written stays provisional until `finish()`: each connection
/// writes in one transaction (`BEGIN` at its first batch; each batch
/// idempotent, `PostgresConnection.write(alerts:deadLetters:)`), and
/// `finish()` commits them, each as its connection has written its last
/// batch — or rolls them back when a write failed.
/// `discardUnsettled()` rolls back what an abandoned pass wrote, and
/// `cancel()` what a failed replay did: a replay that fails writes nothing.
/// (Two commits are not one: should a write fail once another connection
/// committed, part is stored; the replay reports the error, and rerunning
/// it is safe.) While a replay holds an alert uncommitted, another writer
/// of the same alert (rule and anchor event) waits for its commit; two
/// replays of overlapping ledgers into one database at once may meet in a
/// deadlock, which PostgreSQL breaks by failing one of them.
///
/// `write` waits while the writers are behind (a few batches wait here, no
/// more: holding every alert until the end cost a 10 M-event replay ≈ 340 MB);
/// it throws the first write error (the rest is dropped).
public final class PostgresReplaySink: ReplaySink, @unchecked Sendable {
    private typealias Batch = (alerts: [Alert], deadLetters: [DeadLetter])
    private let url: String
    private let copyThreshold: Int
    /// The writers of what is not settled yet; a new set after `discardUnsettled()`.
    private var writers: Writers
    /// Connections writing batches side by side.
    public let parallelism: Int
    public var holdsUntilSettled: Bool { true }

    /// `url`: anything libpq takes. Connections open on the first batch.
    public init(url: String, connections: Int = 2, copyThreshold: Int = PostgresConnection.defaultCopyThreshold) {
        self.url = url
        self.copyThreshold = copyThreshold
        parallelism = max(1, connections)
        writers = Writers(url: url, connections: max(1, connections), copyThreshold: copyThreshold)
    }

    /// After `finish()` this decides nothing more (the first decision stands).
    deinit { _ = try? writers.end(commit: false) }

    public func write(alerts: [Alert], deadLetters: [DeadLetter]) throws {
        try writers.put((alerts, deadLetters))
    }

    /// Rolls back everything written so far (a pass that was abandoned) and
    /// starts again with new transactions.
    public func discardUnsettled() throws {
        _ = try? writers.end(commit: false)
        writers = Writers(url: url, connections: parallelism, copyThreshold: copyThreshold)
    }

    /// Waits for every batch to be written and commits; the counts, or
    /// the first error (then nothing more is committed).
    public func finish() throws -> AlertWriteSummary {
        try writers.end(commit: true)
    }

    /// Rolls back everything written (a replay that failed); waits for the writers.
    public func cancel() {
        _ = try? writers.end(commit: false)
    }

    /// One set of writer threads, each with its connection and transaction.
    /// Each alert goes to the connection its identity (rule, anchor event)
    /// picks, each dead letter to the one its position picks: the same
    /// alert given twice meets itself in one transaction, never in two
    /// that would each wait for the other's commit.
    private final class Writers: @unchecked Sendable {
        private let queues: [BlockingQueue<Batch>]
        private let done = DispatchGroup()
        // Guarded by `state`.
        private let state = NSCondition()
        private var failure: Error?
        private var written = AlertWriteSummary()
        /// nil until `end` decides: commit (true) or roll back.
        private var commit: Bool?
        /// Whether `alerts` was empty when the first batch came (asked once,
        /// by the writer that took it, in its transaction): then no batch of
        /// this replay can meet a stored alert but one another writer stored
        /// meanwhile, and batches skip asking (`PostgresConnection.write(…fresh:)`).
        private var startedEmpty: Bool?

        init(url: String, connections: Int, copyThreshold: Int) {
            queues = (0..<connections).map { _ in BlockingQueue(capacity: 2) }
            for (n, queue) in queues.enumerated() {
                done.enter()
                let thread = Thread { [self] in
                    defer { done.leave() }
                    var connection: PostgresConnection? = nil
                    defer { connection?.close() }
                    while let batch = queue.take() {
                        // After a failure the rest is dropped (nothing will be committed).
                        if state.withLock({ failure != nil }) { continue }
                        do {
                            if connection == nil { connection = try PostgresConnection(url) }
                            let c = connection!
                            if !c.isInTransaction { try c.executeScript("BEGIN") }
                            let fresh = try state.withLock {
                                if startedEmpty == nil { startedEmpty = try c.alertsTableIsEmpty() }
                                return startedEmpty!
                            }
                            let w = try c.write(alerts: batch.alerts, deadLetters: batch.deadLetters, copyThreshold: copyThreshold, fresh: fresh)
                            state.withLock { written.add(w) }
                        } catch {
                            fail(error)
                        }
                    }
                    settle(connection)
                }
                thread.name = "qianliyan.replay-writer-\(n)"
                thread.start()
            }
        }

        private func fail(_ error: Error) {
            state.withLock { if failure == nil { failure = error } }
            for q in queues { q.close() }
        }

        /// After its last batch: waits for `end` to decide, then commits or
        /// rolls back — without waiting for the other writers, whose
        /// transactions another replay's may be waiting on.
        private func settle(_ connection: PostgresConnection?) {
            state.lock()
            while commit == nil { state.wait() }
            let keep = commit == true && failure == nil
            state.unlock()
            guard let c = connection, c.isConnected, c.isInTransaction else { return }
            if keep {
                do { try c.executeScript("COMMIT") } catch { fail(error) }
            } else {
                _ = try? c.executeScript("ROLLBACK")
            }
        }

        func put(_ batch: Batch) throws {
            if let f = state.withLock({ failure }) { throw f }
            guard !batch.alerts.isEmpty || !batch.deadLetters.isEmpty else { return }
            var parts = [Batch](repeating: ([], []), count: queues.count)
            if queues.count == 1 {
                parts[0] = batch
            } else {
                for a in batch.alerts {
                    var h = Hasher()
                    h.combine(a.ruleID)
                    h.combine(a.anchorEventID)
                    parts[Int(UInt(bitPattern: h.finalize()) % UInt(queues.count))].alerts.append(a)
                }
                for d in batch.deadLetters { parts[Int(UInt(bitPattern: d.source.position.hashValue) % UInt(queues.count))].deadLetters.append(d) }
            }
            for (q, part) in zip(queues, parts) where !part.alerts.isEmpty || !part.deadLetters.isEmpty {
                if !q.put(part) { throw state.withLock { failure } ?? CancellationError() }
            }
        }

        /// Ends the writers: each commits (`commit`) once it has written its
        /// last batch, or rolls back; the counts or the first error. Only
        /// the first call decides; later ones wait and report the same.
        func end(commit: Bool) throws -> AlertWriteSummary {
            state.withLock {
                if self.commit == nil { self.commit = commit }
                state.broadcast()
            }
            for q in queues { q.close() }
            done.wait()
            return try state.withLock {
                if let f = failure { throw f }
                return written
            }
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

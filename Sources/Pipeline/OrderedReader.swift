import DetectionRuntime
import EventModel
import Foundation

/// The reading side of a single pass, on a thread of its own: reads,
/// decodes and deduplicates the ledgers (``Replay``'s reader) and puts the
/// events in the total order through a reorder buffer of `reorderWindow`
/// (at most `maxBuffered` events held), handing out ordered batches on
/// `queue`. As soon as an event comes earlier than events already handed
/// out, reading stops: the batches handed out are then only a prefix, and
/// the caller sorts the ledger instead.
///
/// Ordering here rather than on the evaluating thread keeps the work of the
/// reorder buffer off the thread that runs the rules. The events are lent,
/// not moved: they stay in the buffer's slots, the evaluating thread reads
/// them there (`LentEvents`), and each slot comes back to be decoded into
/// again, its raw bytes' buffer reused.
final class OrderedReader: @unchecked Sendable {
    /// Ordered batches; closed when reading ends.
    let queue = BlockingQueue<LentEvents>(capacity: 8)
    private let done = DispatchSemaphore(value: 0)
    // Written by the reader thread before `done` is signalled, read after.
    private var result: Replay.ReadResult?
    private var inOrder = true

    init(_ replay: Replay, ledgers: [String], totalBytes: Int64, reorderWindow: Int64, maxBuffered: Int) {
        let thread = Thread { [self] in
            var buffer = ReorderBuffer()
            let lender = buffer.lender
            var lastTime: Instant = .min
            var lastID = ""
            var slots: [Int32] = []
            var out: [UnsafeMutablePointer<Event>] = []
            slots.reserveCapacity(1024)
            out.reserveCapacity(1024)
            var ordered = true
            // A batch went out since the slots given back were last taken in.
            var sent = false
            // The last event handed out is `out`'s last, or (`out` just sent) the one `lastID` names.
            func release(_ slot: Int32, _ e: UnsafeMutablePointer<Event>, _ time: Instant) {
                lastTime = time
                slots.append(slot)
                out.append(e)
                if out.count == 1024 {
                    lastID = e.pointee.id
                    queue.put(lender.batch(slots: slots, events: out))
                    sent = true
                    slots = []
                    out = []
                    slots.reserveCapacity(1024)
                    out.reserveCapacity(1024)
                }
            }
            // Releases due since the last event was put in the buffer: done
            // while the next event's id is fetched from the id set (`read`'s
            // `beforeDedupe`), which releasing right after the put left to
            // wait for memory. The same events go out in the same order: what
            // is due depends only on the events already in the buffer.
            var releaseDue = false
            func releaseDueEvents() {
                guard releaseDue else { return }
                releaseDue = false
                buffer.lend(before: buffer.maxTime - reorderWindow, release)
                while buffer.count > maxBuffered, buffer.lendOne(release) {}
                if sent {
                    sent = false
                    buffer.reclaim()
                }
            }
            // Each line is decoded straight into a free slot of the buffer.
            let r = replay.read(ledgers, totalBytes, target: { buffer.stagingSlot() }, beforeDedupe: releaseDueEvents) { p in
                let t = p.pointee.time
                if lastTime != .min && (t < lastTime
                    || (t == lastTime && (out.isEmpty ? Event.compareIDs(p, lastID) : Event.compareIDs(p, out[out.count - 1])) < 0)) {
                    ordered = false
                    return false
                }
                buffer.commitStaged()
                releaseDue = true
                return true
            }
            if ordered && r.error == nil {
                releaseDueEvents()
                buffer.lendAll(release)
                if !out.isEmpty { queue.put(lender.batch(slots: slots, events: out)) }
            }
            result = r
            inOrder = ordered
            queue.close()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the reader: what it found, and whether the ledger's
    /// disorder stayed within the reorder window. Call after `queue` ran dry.
    func wait() -> (Replay.ReadResult, inOrder: Bool) {
        done.wait()
        return (result!, inOrder)
    }
}

/// What consumes ordered events in a replay or backtest pass: one engine
/// per rule part (`PartitionedEvaluation`) or one per rule set (`EngineLanes`).
protocol OrderedEvaluator: AnyObject {
    func evaluate(_ e: Event)
    /// The next events of the total order, read in place (and let go once evaluated).
    func evaluate(lent: LentEvents)
    /// Events offered so far.
    var processed: Int { get }
    /// Alerts so far (approximate while other threads evaluate).
    var alertCount: Int { get }
    /// Gives the pass up.
    func abandon()
}

extension EngineLanes: OrderedEvaluator {}
extension PartitionedEvaluation: OrderedEvaluator {}

extension OrderedReader {
    /// Hands every ordered batch to `evaluator`, with progress every 65,536
    /// events, and waits for the reader. nil — the evaluator abandoned —
    /// when the ledger's disorder exceeded the reorder window; a read error
    /// is thrown (after abandoning too).
    func evaluateAll(into evaluator: OrderedEvaluator, totalBytes: Int64,
                     progress: (@Sendable (ReplayProgress) -> Void)?) throws -> Replay.ReadResult? {
        var reported = 0
        while let batch = queue.take() {
            evaluator.evaluate(lent: batch)
            if evaluator.processed - reported >= 0x10000, let p = progress {
                reported = evaluator.processed
                p(ReplayProgress(phase: "evaluating", bytesRead: 0, bytesTotal: totalBytes, lines: 0, events: evaluator.processed,
                                 alerts: evaluator.alertCount))
            }
        }
        let (r, inOrder) = wait()
        if r.error != nil || !inOrder { evaluator.abandon() }
        if let err = r.error { throw err }
        return inOrder ? r : nil
    }
}

extension Replay {
    /// The sorted path: reads, decodes and deduplicates the whole ledger into
    /// an external sort (runs spilled to disk when large), then hands the
    /// events to `evaluator` in the total order. Returns what the reading
    /// found and how many runs were spilled.
    func sortedEvaluation(_ ledgers: [String], _ totalBytes: Int64, into evaluator: OrderedEvaluator) throws -> (ReadResult, spilledRuns: Int) {
        let sorter = EventSorter(runCapacity: runCapacity, spillDirectory: spillDirectory, decoder: decoder)
        var sortError: Error? = nil
        let r = read(ledgers, totalBytes) { e in
            do {
                try sorter.add(e.take())
                return true
            } catch {
                sortError = error
                return false
            }
        }
        if let e = r.error ?? sortError {
            evaluator.abandon()
            throw e
        }
        do {
            try sorter.drain { e in
                evaluator.evaluate(e)
                if evaluator.processed & 0xFFFF == 0, let p = progress {
                    p(ReplayProgress(phase: "evaluating (sorted)", bytesRead: totalBytes, bytesTotal: totalBytes, lines: r.summary.lines,
                                     events: evaluator.processed, alerts: evaluator.alertCount))
                }
            }
        } catch {
            evaluator.abandon()
            throw error
        }
        return (r, sorter.spilledRuns)
    }
}

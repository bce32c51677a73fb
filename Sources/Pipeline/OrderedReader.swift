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
/// Ordering here rather than on the evaluating thread keeps the copies of
/// events through the reorder buffer off the thread that runs the rules.
final class OrderedReader: @unchecked Sendable {
    /// Ordered batches; closed when reading ends.
    let queue = BlockingQueue<[Event]>(capacity: 64)
    private let done = DispatchSemaphore(value: 0)
    // Written by the reader thread before `done` is signalled, read after.
    private var result: Replay.ReadResult?
    private var inOrder = true

    init(_ replay: Replay, ledgers: [String], totalBytes: Int64, reorderWindow: Int64, maxBuffered: Int) {
        let thread = Thread { [self] in
            var buffer = ReorderBuffer()
            var lastTime: Instant = .min
            var lastID = ""
            var out: [Event] = []
            out.reserveCapacity(1024)
            var ordered = true
            func release(_ e: Event) {
                lastTime = e.time
                lastID = e.id
                out.append(e)
                if out.count == 1024 {
                    queue.put(out)
                    out = []
                    out.reserveCapacity(1024)
                }
            }
            let r = replay.read(ledgers, totalBytes) { batch in
                for e in batch {
                    if lastTime != .min && EventOrder.precedes(e.time, e.id, lastTime, lastID) {
                        ordered = false
                        return false
                    }
                    buffer.insert(e)
                }
                buffer.release(before: buffer.maxTime - reorderWindow, release)
                while buffer.count > maxBuffered, let e = buffer.releaseOne() { release(e) }
                return true
            }
            if ordered && r.error == nil {
                buffer.drain(release)
                if !out.isEmpty { queue.put(out) }
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

import DetectionRuntime
import EventModel
import Foundation
import RuleCompiler

/// One pass over a ledger that feeds several engines — the baseline and the
/// candidate of a backtest, or every variant of a sweep.
///
/// The ledger is read, decoded and deduplicated once (``Replay``'s reader:
/// first valid copy in file order) and put in the total order once (the
/// same reorder buffer, falling back to the same external sort when the
/// disorder exceeds the window); each ordered event is then offered to
/// every engine in turn, and at the end each engine's watermark reaches the
/// ledger's last `occurred_at`. Every engine therefore sees exactly the
/// event sequence a ``Replay`` of its own rule set would see, and gives
/// exactly that replay's alerts; the reading, decoding and ordering are
/// paid for once instead of once per rule set.
public final class BacktestPass: @unchecked Sendable {
    public let ruleSets: [CompiledRuleSet]
    public let tables: ReferenceTables
    /// How far back in event time the single pass waits for stragglers (as ``Replay``).
    public var reorderWindow: Int64 = 2 * TimeUnit.day
    /// Most events the reorder buffer holds before it releases the earliest anyway.
    public var maxBuffered = 1_000_000
    /// Events held in memory per sorted run (sorted path).
    public var runCapacity = 500_000
    /// Folder for spilled runs (default: the system temporary folder).
    public var spillDirectory: String? = nil
    /// Skip the single pass and sort the ledger first.
    public var alwaysSort = false
    public var progress: (@Sendable (ReplayProgress) -> Void)? = nil

    public init(ruleSets: [CompiledRuleSet], tables: ReferenceTables) {
        self.ruleSets = ruleSets
        self.tables = tables
    }

    /// The alerts of each rule set (in the order given) and what the reading found.
    public struct Result: Sendable {
        public var alerts: [[Alert]]
        /// Counts of the one pass (`alertsByRule` sums over every rule set).
        public var summary: ReplaySummary
        /// Event-time range of the ledger (nil when it held no event).
        public var firstEventTime: Instant?
        public var lastEventTime: Instant?
    }

    public func run(ledgers: [String]) throws -> Result {
        let start = Date()
        let totalBytes = ledgers.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.int64Value ?? 0) }
        var outcome: Result? = nil
        if !alwaysSort { outcome = try singlePass(ledgers, totalBytes) }
        if outcome == nil { outcome = try sortedPass(ledgers, totalBytes) }
        var result = outcome!
        for list in result.alerts { for a in list { result.summary.alertsByRule[a.ruleID, default: 0] += 1 } }
        result.summary.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// The reader: Replay's, with this pass's settings.
    func reader() -> Replay {
        let r = Replay(ruleSet: CompiledRuleSet(rules: [], params: ParameterResolver()), tables: tables)
        r.progress = progress
        return r
    }

    /// Offers ordered events to every engine.
    struct Fanout {
        let engines: [Engine]
        var first: Instant?
        var last: Instant = .min
        var processed = 0

        mutating func evaluate(_ e: Event) {
            if first == nil { first = e.time }
            last = e.time
            for engine in engines { engine.process(e) }
            processed += 1
        }

        func finish() {
            guard processed > 0 else { return }
            for engine in engines { engine.finish(lastEventTime: last) }
        }
    }

    func makeFanout() -> Fanout {
        Fanout(engines: ruleSets.map { Engine(ruleSet: $0, tables: tables) })
    }

    // MARK: single pass

    func singlePass(_ ledgers: [String], _ totalBytes: Int64) throws -> Result? {
        let replay = reader()
        let queue = BlockingQueue<[Event]>(capacity: 64)
        let box = BacktestReadBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let r = replay.read(ledgers, totalBytes) { queue.put($0) }
            box.set(r)
            queue.close()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()

        var fan = makeFanout()
        let progress = self.progress
        let inOrder = Replay.releaseInOrder(queue, reorderWindow: reorderWindow, maxBuffered: maxBuffered) { e in
            fan.evaluate(e)
            if fan.processed & 0xFFFF == 0, let p = progress {
                p(ReplayProgress(phase: "evaluating", bytesRead: 0, bytesTotal: totalBytes, lines: 0, events: fan.processed,
                                 alerts: fan.engines.reduce(0) { $0 + $1.alerts.count }))
            }
        }
        done.wait()
        let r = box.get()!
        if let err = r.error { throw err }
        if !inOrder { return nil }
        fan.finish()
        var summary = r.summary
        summary.mode = "single pass"
        return Result(alerts: fan.engines.map(\.alerts), summary: summary, firstEventTime: fan.first,
                      lastEventTime: fan.processed > 0 ? fan.last : nil)
    }

    // MARK: sorted pass

    func sortedPass(_ ledgers: [String], _ totalBytes: Int64) throws -> Result {
        let replay = reader()
        let sorter = EventSorter(runCapacity: runCapacity, spillDirectory: spillDirectory, decoder: replay.decoder)
        var sortError: Error? = nil
        let r = replay.read(ledgers, totalBytes) { batch in
            do {
                for e in batch { try sorter.add(e) }
                return true
            } catch {
                sortError = error
                return false
            }
        }
        if let e = r.error ?? sortError { throw e }
        var fan = makeFanout()
        try sorter.drain { fan.evaluate($0) }
        fan.finish()
        var summary = r.summary
        summary.spilledRuns = sorter.spilledRuns
        summary.mode = "sorted"
        return Result(alerts: fan.engines.map(\.alerts), summary: summary, firstEventTime: fan.first,
                      lastEventTime: fan.processed > 0 ? fan.last : nil)
    }
}

/// Hands the reader thread's result to the evaluating thread.
final class BacktestReadBox: @unchecked Sendable {
    // `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Replay.ReadResult?
    func set(_ r: Replay.ReadResult) { lock.lock(); value = r; lock.unlock() }
    func get() -> Replay.ReadResult? { lock.lock(); defer { lock.unlock() }; return value }
}

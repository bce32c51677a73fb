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
    /// Remembered events' ids and raw JSON go to temporary files (as ``Replay``); nil keeps them in memory.
    public var evidenceSpill: EvidenceSpill? = EvidenceSpill()
    /// Threads that evaluate (each rule set's engine runs on one of them).
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var progress: (@Sendable (ReplayProgress) -> Void)? = nil
    /// The ledgers of the run in progress, when remembered events are read back from them (see `LedgerPositions`).
    private var ledgerPositions: LedgerPositions?

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
        ledgerPositions = evidenceSpill == nil ? nil : LedgerPositions(ledgers: ledgers)
        defer { ledgerPositions = nil }
        var outcome: Result? = nil
        if !alwaysSort { outcome = try singlePass(ledgers, totalBytes) }
        if outcome == nil { outcome = try sortedPass(ledgers, totalBytes) }
        var result = outcome!
        try ledgerPositions?.checkUnchanged()
        for list in result.alerts { for a in list { result.summary.alertsByRule[a.ruleID, default: 0] += 1 } }
        result.summary.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// The reader: Replay's, with this pass's settings.
    func reader() -> Replay {
        let r = Replay(ruleSet: CompiledRuleSet(rules: [], params: ParameterResolver()), tables: tables)
        r.progress = progress
        r.runCapacity = runCapacity
        r.spillDirectory = spillDirectory
        r.ledgerPositions = ledgerPositions
        return r
    }

    /// Offers ordered events to every engine, the engines dealt over `threads` lanes.
    func makeFanout() -> EngineLanes {
        EngineLanes(engines: ruleSets.map { rs in
            let engine = Engine(ruleSet: rs, tables: tables)
            if let spill = evidenceSpill { engine.evidenceStore = spill.makeFile(fallback: spillDirectory, ledgers: ledgerPositions) }
            return engine
        }, threads: threads)
    }

    // MARK: single pass

    func singlePass(_ ledgers: [String], _ totalBytes: Int64) throws -> Result? {
        let reader = OrderedReader(reader(), ledgers: ledgers, totalBytes: totalBytes, reorderWindow: reorderWindow, maxBuffered: maxBuffered)
        let fan = makeFanout()
        guard let r = try reader.evaluateAll(into: fan, totalBytes: totalBytes, progress: progress) else { return nil }
        var summary = r.summary
        summary.mode = "single pass"
        return try finish(fan, summary)
    }

    // MARK: sorted pass

    func sortedPass(_ ledgers: [String], _ totalBytes: Int64) throws -> Result {
        let fan = makeFanout()
        let (r, spilledRuns) = try reader().sortedEvaluation(ledgers, totalBytes, into: fan)
        var summary = r.summary
        summary.spilledRuns = spilledRuns
        summary.mode = "sorted"
        return try finish(fan, summary)
    }

    private func finish(_ fan: EngineLanes, _ summary: ReplaySummary) throws -> Result {
        fan.finish()
        var summary = summary
        let files = fan.engines.compactMap { $0.evidenceStore as? EvidenceSpillFile }
        try EvidenceSpillFile.checkReads(files)
        summary.noteSpill(EvidenceSpill.report(files))
        return Result(alerts: fan.engines.map(\.alerts), summary: summary, firstEventTime: fan.first,
                      lastEventTime: fan.processed > 0 ? fan.last : nil)
    }
}

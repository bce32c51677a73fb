import DetectionRuntime
import EventModel
import Foundation
import LedgerFiles
import RuleCompiler

/// Where a replay sends what it finds.
public protocol ReplaySink: AnyObject {
    func write(alerts: [Alert], deadLetters: [DeadLetter]) throws
    /// How many batches the sink writes at once (1 unless it says otherwise).
    var parallelism: Int { get }
    /// Whether what the sink is given stays provisional until its owner
    /// settles it (`PostgresReplaySink.finish()`): the replay then hands it
    /// alerts while the pass runs, in the order they fire, and calls
    /// `discardUnsettled()` when the pass is abandoned. Otherwise alerts
    /// come after the pass, in the order of RULES.md.
    var holdsUntilSettled: Bool { get }
    /// Forgets everything not yet settled (only for `holdsUntilSettled`).
    func discardUnsettled() throws
}

extension ReplaySink {
    public var parallelism: Int { 1 }
    public var holdsUntilSettled: Bool { false }
    public func discardUnsettled() throws {}
}

/// Collects results in memory (tests, `--dry-run`, backtests).
public final class MemorySink: ReplaySink {
    public private(set) var alerts: [Alert] = []
    public private(set) var deadLetters: [DeadLetter] = []
    public init() {}
    public func write(alerts a: [Alert], deadLetters d: [DeadLetter]) throws {
        alerts += a
        deadLetters += d
    }
}

/// Counts and timings of one replay.
public struct ReplaySummary: Sendable {
    public var files = 0
    public var lines = 0
    public var blankLines = 0
    public var events = 0
    public var duplicates = 0
    public var deadLetters = 0
    public var deadLettersByKind: [String: Int] = [:]
    public var alertsByRule: [String: Int] = [:]
    public var bytesRead: Int64 = 0
    public var seconds: Double = 0
    /// Of `seconds`, those until every event was evaluated (reading,
    /// ordering, rules); the rest went to storing the alerts.
    public var passSeconds: Double = 0
    /// "single pass" when the ledger's disorder stayed within the reorder
    /// window, "sorted" when the whole ledger had to be sorted first.
    public var mode = "single pass"
    public var spilledRuns = 0
    /// How many parts the rules were split into, each evaluated on a thread of its own.
    public var ruleParts = 1
    /// Bytes of remembered events spilled to temporary files.
    public var evidenceSpilledBytes: Int64 = 0
    /// Things that went less well than they should, without changing the result.
    public var warnings: [String] = []

    mutating func noteSpill(_ report: (bytes: Int64, problems: [String])) {
        evidenceSpilledBytes = report.bytes
        warnings += Array(Set(report.problems)).sorted()
    }
    public var alerts: Int { alertsByRule.values.reduce(0, +) }
    public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
}

/// Progress of a long replay.
public struct ReplayProgress: Sendable {
    public var phase: String
    public var bytesRead: Int64
    public var bytesTotal: Int64
    public var lines: Int
    public var events: Int
    public var alerts: Int
}

/// Runs whole ledgers through compiled rules: read → decode → deduplicate
/// (first valid copy in file order) → total order → engine → sink.
///
/// Ledgers are mostly in time order, so a replay first tries one pass: a
/// reader thread decodes while the engine thread puts events in order with a
/// reorder buffer and evaluates them. If an event arrives earlier than
/// events already evaluated (disorder beyond `reorderWindow`), that pass is
/// abandoned and the ledger is sorted first (in runs spilled to disk when
/// large). Nothing reaches the sink for good before the pass that counts is
/// complete (a sink that holds what it is given until settled takes the
/// alerts during the pass, and forgets an abandoned pass's),
/// so both ways give the same alerts.
public final class Replay: @unchecked Sendable {
    public let ruleSet: CompiledRuleSet
    public let tables: ReferenceTables
    public var decoder = EventDecoder()
    /// Alerts and dead letters are handed to the sink in batches of this size.
    public var batchSize = 5_000
    /// Alerts handed to a sink while the pass runs (`ReplaySink.holdsUntilSettled`) go in batches of this size
    /// (`PostgresReplaySink` splits each over its connections).
    public var forwardBatchSize = 4_000
    /// How far back in event time the single pass waits for stragglers.
    public var reorderWindow: Int64 = 2 * TimeUnit.day
    /// Most events the reorder buffer holds before it releases the earliest anyway.
    public var maxBuffered = 1_000_000
    /// Events held in memory per sorted run (sorted path).
    public var runCapacity = 500_000
    /// Folder for spilled runs (default: the system temporary folder).
    public var spillDirectory: String? = nil
    /// Skip the single pass and sort the ledger first.
    public var alwaysSort = false
    /// Threads that evaluate rules (the reader has one more): the rules are
    /// split into this many parts of about equal cost. 1 runs one engine.
    /// By default one per core but the core the reading thread takes (at
    /// least one): on two cores a second rule thread made three busy threads
    /// share two cores, and the 1 M replay took 8 % longer (RESULTS.md, 06:30).
    public var threads = Replay.defaultThreads

    /// One rule thread per core, less the reading thread's core; at least one.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }
    /// Remembered events' ids and raw JSON go to a temporary file (in
    /// `spillDirectory`) instead of staying in rule state; nil keeps them in memory.
    public var evidenceSpill: EvidenceSpill? = EvidenceSpill()
    /// Leave the rule state allocated when the replay ends, for the process
    /// to drop at exit (one-shot commands: freeing it costs time and gives
    /// nothing back). Libraries and long-running processes keep the default.
    public var keepStateUntilExit = false
    /// How many ordered events are counted, by type, before the rules are split (see `PartitionedEvaluation`).
    public var splitSample = PartitionedEvaluation.defaultSample
    /// The ledgers of the run in progress, when remembered events are read back from them (see `LedgerPositions`).
    var ledgerPositions: LedgerPositions?
    public var progress: (@Sendable (ReplayProgress) -> Void)? = nil

    public init(ruleSet: CompiledRuleSet, tables: ReferenceTables) {
        self.ruleSet = ruleSet
        self.tables = tables
    }

    /// What the reading side found, besides events.
    struct ReadResult {
        var summary = ReplaySummary()
        var dead: [DeadLetter] = []
        var error: Error?
    }

    public func run(ledgers: [String], sink: ReplaySink) throws -> ReplaySummary {
        let start = Date()
        let totalBytes = ledgers.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.int64Value ?? 0) }
        ledgerPositions = evidenceSpill == nil ? nil : LedgerPositions(ledgers: ledgers)
        defer { ledgerPositions = nil }
        // A sink that holds what it is given until it is settled takes the
        // alerts while the pass runs (its writes use the cores' spare time);
        // those of an abandoned single pass are discarded.
        let forward = sink.holdsUntilSettled
            ? AlertCollector.Forward(size: forwardBatchSize) { try sink.write(alerts: $0, deadLetters: []) } : nil
        var outcome: (ReadResult, AlertCollector)? = nil
        if !alwaysSort { outcome = try singlePass(ledgers, totalBytes, forward: forward) }
        if outcome == nil {
            if forward != nil { try sink.discardUnsettled() }
            outcome = try sortedPass(ledgers, totalBytes, forward: forward)
        }
        var (read, alerts) = outcome!
        read.summary.passSeconds = Date().timeIntervalSince(start)
        // The alerts' evidence was read back from the ledgers: they must not have changed meanwhile.
        try ledgerPositions?.checkUnchanged()
        // Write: dead letters, then alerts, in batches.
        var i = 0
        while i < read.dead.count {
            try sink.write(alerts: [], deadLetters: Array(read.dead[i..<min(i + batchSize, read.dead.count)]))
            i += batchSize
        }
        if forward != nil {
            read.summary.alertsByRule = try alerts.flushForwarded()
        } else {
            try alerts.forEachSortedBatch(of: Replay.balancedBatch(alerts.count, max: batchSize, lanes: sink.parallelism)) { batch in
                try sink.write(alerts: batch, deadLetters: [])
                for a in batch { read.summary.alertsByRule[a.ruleID, default: 0] += 1 }
            }
        }
        read.summary.seconds = Date().timeIntervalSince(start)
        return read.summary
    }

    /// The size of `total`'s batches when `lanes` are written at once: at
    /// most `max`, and as equal as they can be over the rounds the lanes
    /// take, so that no lane idles through a short last batch (17,860 alerts
    /// over two connections: four batches of 4,465, not three of 5,000 and one of 2,860).
    static func balancedBatch(_ total: Int, max: Int, lanes: Int) -> Int {
        let size = Swift.max(1, max)
        guard total > 0 else { return size }
        let per = Swift.max(1, lanes)
        let rounds = (total + per * size - 1) / (per * size)
        let batches = rounds * per
        return Swift.max(1, (total + batches - 1) / batches)
    }

    // MARK: reading

    /// Reads every ledger line, decodes it and keeps the first valid copy of
    /// each event id; hands each event out in the one `Event` every line is
    /// decoded into, for `emit` to move out (`Event.take()`): no copy of 392
    /// bytes through a returned enum, no retain of its id and bytes. Stops
    /// early when `emit` returns false.
    func read(_ ledgers: [String], _ totalBytes: Int64, emit: (inout Event) -> Bool) -> ReadResult {
        let event = UnsafeMutablePointer<Event>.allocate(capacity: 1)
        event.initialize(to: .placeholder)
        defer {
            event.deinitialize(count: 1)
            event.deallocate()
        }
        return read(ledgers, totalBytes, target: { event }, emit: { emit(&$0.pointee) })
    }

    /// `read(_:_:emit:)` decoding each line into the initialised event
    /// `target()` gives (a reorder buffer's free slot, where a kept event
    /// stays: `ReorderBuffer.stagingSlot()`); `emit` gets that event when it
    /// is the first valid copy of its id. `beforeDedupe` runs after each
    /// event is decoded and its id's place in the id set is being fetched,
    /// before that place is read: work the caller would do anyway (the
    /// reorder buffer's releases) hides the cache miss. `target()` is asked
    /// again after it.
    func read(_ ledgers: [String], _ totalBytes: Int64, target: () -> UnsafeMutablePointer<Event>,
              beforeDedupe: () -> Void = {},
              emit: (UnsafeMutablePointer<Event>) -> Bool) -> ReadResult {
        var r = ReadResult()
        var dedupe = Deduplicator()
        var bytesBefore: Int64 = 0
        var stopped = false
        do {
            for (fileIndex, path) in ledgers.enumerated() where !stopped {
                let reader = try LedgerReader(path: path)
                let positions = reader.isCompressed ? nil : ledgerPositions
                r.summary.files += 1
                let sourceName = URL(fileURLWithPath: path).standardizedFileURL.path
                try reader.forEachLine { line, n in
                    r.summary.lines += 1
                    var event = target()
                    // The id's place in the id set is asked for as soon as the id is
                    // known, while the rest of the line is decoded.
                    switch decoder.decode(line, into: &event.pointee, idKnown: { dedupe.prefetch(id: $0) }) {
                    case .blank:
                        r.summary.blankLines += 1
                    case .invalid(let err):
                        r.summary.deadLetters += 1
                        r.summary.deadLettersByKind[err.kind.rawValue, default: 0] += 1
                        r.dead.append(DeadLetter(source: .file(path: sourceName, line: n), raw: Array(line), error: err))
                    case .event:
                        beforeDedupe()
                        event = target()
                        if dedupe.firstSighting(id: event.pointee.idKey, time: event.pointee.time) {
                            r.summary.events += 1
                            event.pointee.origin = positions?.origin(file: fileIndex, offset: reader.lineOffset, length: line.count) ?? 0
                            if !emit(event) { stopped = true; return false }
                        } else {
                            r.summary.duplicates += 1
                        }
                    }
                    if r.summary.lines & 0xFFFF == 0 {
                        if r.summary.lines == 0x10000 && fileIndex == 0 && !reader.isCompressed {
                            // The id set sized once for the whole ledger, from the bytes per line so far.
                            let consumed = Double(reader.lineOffset) + Double(line.count)
                            // (At most one id per 80 bytes: no event of the contract is shorter.)
                            let expected = min(Double(r.summary.lines) * Double(totalBytes) / consumed, Double(totalBytes / 80))
                            dedupe.reserve(ids: Int(expected))
                        }
                        if let p = progress {
                            p(ReplayProgress(phase: "reading", bytesRead: bytesBefore + reader.bytesRead, bytesTotal: totalBytes,
                                             lines: r.summary.lines, events: r.summary.events, alerts: 0))
                        }
                    }
                    return true
                }
                bytesBefore += reader.bytesRead
            }
        } catch {
            r.error = error
        }
        r.summary.bytesRead = bytesBefore
        return r
    }

    // MARK: single pass

    /// The engines of one pass, with this replay's settings.
    func makeEvaluation(forward: AlertCollector.Forward? = nil) -> PartitionedEvaluation {
        PartitionedEvaluation(ruleSet: ruleSet, tables: tables, threads: threads, sample: splitSample,
                              spill: evidenceSpill, spillFolder: spillDirectory, ledgers: ledgerPositions, forward: forward)
    }

    /// Decoding and ordering on a reader thread, evaluation here (and on the
    /// evaluation's lanes). nil when the ledger's disorder exceeded the reorder window.
    func singlePass(_ ledgers: [String], _ totalBytes: Int64, forward: AlertCollector.Forward? = nil) throws -> (ReadResult, AlertCollector)? {
        let reader = OrderedReader(self, ledgers: ledgers, totalBytes: totalBytes, reorderWindow: reorderWindow, maxBuffered: maxBuffered)
        let evaluation = makeEvaluation(forward: forward)
        guard var read = try reader.evaluateAll(into: evaluation, totalBytes: totalBytes, progress: progress) else { return nil }
        read.summary.mode = "single pass"
        let alerts = try finish(evaluation, &read.summary)
        return (read, alerts)
    }

    // MARK: sorted pass

    func sortedPass(_ ledgers: [String], _ totalBytes: Int64, forward: AlertCollector.Forward? = nil) throws -> (ReadResult, AlertCollector) {
        let evaluation = makeEvaluation(forward: forward)
        var (read, spilledRuns) = try sortedEvaluation(ledgers, totalBytes, into: evaluation)
        read.summary.spilledRuns = spilledRuns
        read.summary.mode = "sorted"
        let alerts = try finish(evaluation, &read.summary)
        return (read, alerts)
    }

    /// The end of a pass that counts: the last deadlines, the alerts, the summary's figures.
    private func finish(_ evaluation: PartitionedEvaluation, _ summary: inout ReplaySummary) throws -> AlertCollector {
        evaluation.finish()
        try evaluation.checkSpillReads()
        if keepStateUntilExit { evaluation.keepStateUntilExit() }
        summary.ruleParts = evaluation.parts
        summary.noteSpill(evaluation.spillReport)
        return evaluation.alerts
    }
}

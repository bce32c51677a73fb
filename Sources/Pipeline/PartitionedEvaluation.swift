import DetectionRuntime
import EventModel
import Foundation
import RuleCompiler

/// One rule set evaluated on several threads: the rules are split into
/// parts of about equal expected cost (`CompiledRuleSet.partitioned`), one
/// engine per part, each on a lane of its own (`EngineLanes`).
///
/// Which rules cost most depends on the ledger's mix of event types, so the
/// first `sampleSize` ordered events are held back and counted before the
/// rules are split; then they and everything after them are evaluated. With
/// one thread there is no sample and no split: one engine, as before.
/// Alerts come out in one order whatever the split: by anchor time, anchor
/// event id, rule id.
public final class PartitionedEvaluation {
    let ruleSet: CompiledRuleSet
    let tables: ReferenceTables
    let threads: Int
    public static let defaultSample = 65_536
    let sampleSize: Int
    private var sample: [Event] = []
    private var lanes: EngineLanes?

    /// Where each engine spills the evidence it remembers (nil: in memory),
    /// and the folder used when `spill` names none.
    let spill: EvidenceSpill?
    let spillFolder: String?
    /// Where the events' raw JSON can be read back from (plain-text ledgers).
    let ledgers: LedgerPositions?
    private var spillFiles: [EvidenceSpillFile] = []
    /// The pass's alerts (spilled to a file of their own when evidence is).
    let alerts: AlertCollector

    /// `forward`: where the alerts go as they fire, instead of waiting in `alerts` until the pass ends (see `AlertCollector`).
    init(ruleSet: CompiledRuleSet, tables: ReferenceTables, threads: Int, sample: Int = defaultSample,
         spill: EvidenceSpill? = nil, spillFolder: String? = nil, ledgers: LedgerPositions? = nil,
         forward: AlertCollector.Forward? = nil) {
        self.spillFolder = spillFolder
        self.ledgers = ledgers
        self.ruleSet = ruleSet
        sampleSize = max(1, sample)
        self.tables = tables
        self.threads = max(1, threads)
        self.spill = spill
        var alertFile: EvidenceSpillFile? = nil
        if let spill, forward == nil {
            alertFile = spill.makeFile(fallback: spillFolder)
            spillFiles.append(alertFile!)
        }
        alerts = forward.map { AlertCollector(forward: $0) } ?? AlertCollector(file: alertFile)
        if self.threads == 1 { lanes = EngineLanes(engines: [makeEngine(ruleSet)], threads: 1, collector: alerts) }
    }

    private func makeEngine(_ rs: CompiledRuleSet) -> Engine {
        let engine = Engine(ruleSet: rs, tables: tables)
        if let spill {
            let file = spill.makeFile(fallback: spillFolder, ledgers: ledgers)
            spillFiles.append(file)
            engine.evidenceStore = file
        }
        return engine
    }

    /// Throws when an alert's evidence could not be read back from a spill file.
    func checkSpillReads() throws {
        try EvidenceSpillFile.checkReads(spillFiles)
    }

    /// Bytes of evidence spilled to files, and why some stayed in memory (if any did).
    var spillReport: (bytes: Int64, problems: [String]) {
        EvidenceSpill.report(spillFiles)
    }

    /// Offers the next event of the total order.
    func evaluate(_ e: Event) {
        if let lanes {
            lanes.evaluate(e)
            return
        }
        sample.append(e)
        if sample.count == sampleSize { split() }
    }

    /// Offers the next events of the total order, lent (read in place);
    /// the sample keeps copies.
    func evaluate(lent: LentEvents) {
        if let lanes {
            lanes.evaluate(lent: lent)
            return
        }
        for e in lent.events { sample.append(e.pointee) }
        if sample.count >= sampleSize { split() }
    }

    /// Events offered so far.
    var processed: Int { (lanes?.processed ?? 0) + sample.count }

    /// Alerts so far (approximate while lanes run).
    var alertCount: Int { lanes?.alertCount ?? 0 }

    /// How many engines the rules were split into (after the first events).
    var parts: Int { lanes?.engines.count ?? 0 }

    private func split() {
        var counts = Array(repeating: 0, count: EventType.allCases.count)
        var villages = Set<UInt64>()
        for e in sample {
            counts[Int(e.type.rawValue)] += 1
            villages.insert(e.village.value)
        }
        let total = Double(max(sample.count, 1))
        let share = counts.map { Double($0) / total }
        let parts = ruleSet.partitioned(into: threads, typeShare: sample.isEmpty ? nil : share, villages: villages.count)
        let l = EngineLanes(engines: parts.map { makeEngine($0) }, threads: threads, collector: alerts)
        l.evaluate(batch: sample)
        sample = []
        lanes = l
    }

    /// Evaluates the rest and ends every engine at the last event's time;
    /// the alerts are then all in `alerts`.
    func finish() {
        if lanes == nil { split() }
        lanes!.finish()
        alerts.drain()
    }

    /// The engines (and their state) of evaluations told to keep them until
    /// the process exits: freeing a year of rule state key by key takes a
    /// noticeable share of a replay, and the operating system reclaims it at
    /// once when a one-shot command ends.
    nonisolated(unsafe) private static var keptUntilExit: [EngineLanes] = []
    private static let keptLock = NSLock()

    /// Keeps the engines alive until the process exits (see `keptUntilExit`).
    func keepStateUntilExit() {
        guard let lanes else { return }
        Self.keptLock.lock()
        Self.keptUntilExit.append(lanes)
        Self.keptLock.unlock()
    }

    /// Gives the pass up (the lanes are stopped).
    func abandon() {
        lanes?.abandon()
        sample = []
    }
}

/// Rule state keeps remembered events' ids and raw JSON in files in `directory` (nil: the system temporary folder).
public struct EvidenceSpill: Sendable {
    public var directory: String?
    /// Bytes of records buffered in memory before they are written.
    public var bufferBytes: Int
    public init(directory: String? = nil, bufferBytes: Int = 4 << 20) {
        self.directory = directory
        self.bufferBytes = bufferBytes
    }

    /// A new spill file, in `directory` or else in `fallback` (a pass's spill folder) or else the temporary folder.
    func makeFile(fallback: String? = nil, ledgers: LedgerPositions? = nil) -> EvidenceSpillFile {
        EvidenceSpillFile(directory: directory ?? fallback, bufferBytes: bufferBytes, ledgers: ledgers)
    }

    /// Bytes the files hold and why some records stayed in memory (if any did), for a pass's summary.
    static func report(_ files: [EvidenceSpillFile]) -> (bytes: Int64, problems: [String]) {
        (files.reduce(0) { $0 + $1.size }, files.compactMap(\.problem))
    }
}

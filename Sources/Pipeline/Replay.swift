import DetectionRuntime
import EventModel
import Foundation
import RuleCompiler

/// Where a replay sends what it finds.
public protocol ReplaySink: AnyObject {
    func write(alerts: [Alert], deadLetters: [DeadLetter]) throws
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
    public var spilledRuns = 0
    /// Seconds spent reading and decoding, and ordering and evaluating.
    public var readSeconds: Double = 0
    public var evaluateSeconds: Double = 0
    public var alerts: Int { alertsByRule.values.reduce(0, +) }
    public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
}

/// Progress callbacks for long replays.
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
public final class Replay {
    public let ruleSet: CompiledRuleSet
    public let tables: ReferenceTables
    public var decoder = EventDecoder()
    /// Alerts and dead letters are handed to the sink in batches of this size.
    public var batchSize = 5_000
    /// Events held in memory before a sorted run is spilled to disk.
    public var runCapacity = 2_000_000
    /// Folder for spilled runs (default: the system temporary folder).
    public var spillDirectory: String? = nil
    public var progress: (@Sendable (ReplayProgress) -> Void)? = nil

    public init(ruleSet: CompiledRuleSet, tables: ReferenceTables) {
        self.ruleSet = ruleSet
        self.tables = tables
    }

    public func run(ledgers: [String], sink: ReplaySink) throws -> ReplaySummary {
        let start = Date()
        var summary = ReplaySummary()
        var dedupe = Deduplicator()
        let sorter = EventSorter(runCapacity: runCapacity, spillDirectory: spillDirectory, decoder: decoder)
        var dead: [DeadLetter] = []
        let totalBytes = ledgers.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.int64Value ?? 0) }
        var bytesBefore: Int64 = 0
        for path in ledgers {
            let reader = try LedgerReader(path: path)
            summary.files += 1
            let sourceName = URL(fileURLWithPath: path).standardizedFileURL.path
            try reader.forEachLine { line, n in
                summary.lines += 1
                switch decoder.decode(line) {
                case .blank:
                    summary.blankLines += 1
                case .invalid(let err):
                    summary.deadLetters += 1
                    summary.deadLettersByKind[err.kind.rawValue, default: 0] += 1
                    dead.append(DeadLetter(source: .file(path: sourceName, line: n), raw: Array(line), error: err))
                    if dead.count >= batchSize {
                        try sink.write(alerts: [], deadLetters: dead)
                        dead.removeAll(keepingCapacity: true)
                    }
                case .event(let e):
                    if dedupe.firstSighting(of: e) {
                        try sorter.add(e)
                        summary.events += 1
                    } else {
                        summary.duplicates += 1
                    }
                }
                if summary.lines & 0xFFFF == 0, let p = progress {
                    p(ReplayProgress(phase: "reading", bytesRead: bytesBefore + reader.bytesRead, bytesTotal: totalBytes,
                                     lines: summary.lines, events: summary.events, alerts: 0))
                }
                return true
            }
            bytesBefore += reader.bytesRead
        }
        summary.bytesRead = bytesBefore
        if !dead.isEmpty { try sink.write(alerts: [], deadLetters: dead) }

        summary.readSeconds = Date().timeIntervalSince(start)
        let engine = Engine(ruleSet: ruleSet, tables: tables)
        var processed = 0
        var alertCount = 0
        try sorter.drain { e in
            engine.process(e)
            processed += 1
            if engine.alerts.count >= batchSize {
                try flush(engine, sink, &summary, &alertCount)
            }
            if processed & 0xFFFF == 0, let p = progress {
                p(ReplayProgress(phase: "evaluating", bytesRead: bytesBefore, bytesTotal: totalBytes,
                                 lines: summary.lines, events: processed, alerts: alertCount + engine.alerts.count))
            }
        }
        summary.spilledRuns = sorter.spilledRuns
        if processed > 0 { engine.finish(lastEventTime: engine.lastEventTime) }
        try flush(engine, sink, &summary, &alertCount)
        summary.seconds = Date().timeIntervalSince(start)
        summary.evaluateSeconds = summary.seconds - summary.readSeconds
        return summary
    }

    private func flush(_ engine: Engine, _ sink: ReplaySink, _ summary: inout ReplaySummary, _ count: inout Int) throws {
        guard !engine.alerts.isEmpty else { return }
        for a in engine.alerts { summary.alertsByRule[a.ruleID, default: 0] += 1 }
        count += engine.alerts.count
        try sink.write(alerts: engine.alerts, deadLetters: [])
        engine.alerts.removeAll(keepingCapacity: true)
    }
}

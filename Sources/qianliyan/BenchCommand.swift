import ArgumentParser
import DetectionRuntime
import EventModel
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage

/// `qianliyan bench …`: the measurements behind Benchmarks/RESULTS.md that
/// need no database or broker (run by Benchmarks/run).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the decoder and the engine alone (used by Benchmarks/run).",
        subcommands: [Decoder.self, EngineBench.self]
    )

    /// Reads a ledger into memory, split into lines.
    static func lines(_ path: String) throws -> ([UInt8], [Range<Int>]) {
        var data: [UInt8] = []
        let reader = try LedgerReader(path: path)
        var ranges: [Range<Int>] = []
        try reader.forEachLine { line, _ in
            let start = data.count
            data.append(contentsOf: line)
            ranges.append(start..<data.count)
            return true
        }
        return (data, ranges)
    }

    static func json(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    struct Decoder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode every line of a ledger held in memory: MB/s and events/s on one core.")
        @Argument(help: "Ledger file.") var ledger: String
        @Option(help: "Repetitions (the best is reported).") var repeat_: Int = 3

        func run() async throws {
            let (data, ranges) = try BenchCommand.lines(ledger)
            let decoder = EventDecoder()
            var best = Double.infinity
            var events = 0
            var scratch = Event(id: "", type: .financePayment, time: 0, village: VillageCode(value: 0), raw: [])
            for _ in 0..<max(1, repeat_) {
                events = 0
                let t0 = DispatchTime.now().uptimeNanoseconds
                data.withUnsafeBufferPointer { buf in
                    for r in ranges {
                        if decoder.decode(UnsafeBufferPointer(rebasing: buf[r]), into: &scratch) == .event { events += 1 }
                    }
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            print(BenchCommand.json([("lines", "\(ranges.count)"), ("events", "\(events)"), ("bytes", "\(data.count)"),
                                     ("seconds", String(format: "%.4f", best)),
                                     ("events_per_second", String(format: "%.0f", Double(events) / best)),
                                     ("mb_per_second", String(format: "%.1f", Double(data.count) / best / 1e6))]))
        }
    }

    struct EngineBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "engine",
            abstract: "Evaluate pre-decoded, ordered events with the rule pack (optionally ×N per-village variants).")
        @Argument(help: "Ledger file.") var ledger: String
        @Option(help: "Rule files or folders.") var rules: [String] = ["Rules"]
        @Option(help: "Reference folder.") var reference: String?
        @Option(help: "Village-pinned copies of every rule (each with its own threshold) to add; 99 gives 1,400 rules.")
        var variants: Int = 0

        func run() async throws {
            let (data, ranges) = try BenchCommand.lines(ledger)
            let decoder = EventDecoder()
            var dedupe = Deduplicator()
            var events: [Event] = []
            data.withUnsafeBufferPointer { buf in
                for r in ranges {
                    if case .event(let e) = decoder.decode(UnsafeBufferPointer(rebasing: buf[r])), dedupe.firstSighting(of: e) { events.append(e) }
                }
            }
            events.sort { $0.precedes($1) }
            let villages = Array(Set(events.map(\.village))).sorted()
            let files = rules.flatMap { RuleLoader.ruleFiles(at: $0) }
            var (sources, _) = RuleLoader.read(files)
            if variants > 0 { sources.append(BenchCommand.variantFile(sources, count: variants, villages: villages)) }
            let out = RuleSetCompiler.compile(sources)
            guard let rs = out.ruleSet else {
                printDiagnostics(out.diagnostics, sources: out.sources, format: .text)
                throw ExitCode(1)
            }
            let tables = try ReferenceLoader.load(directory: reference)
            let engine = Engine(ruleSet: rs, tables: tables)
            let t0 = DispatchTime.now().uptimeNanoseconds
            var alerts = 0
            for e in events {
                engine.process(e)
                if engine.alerts.count > 4096 { alerts += engine.alerts.count; engine.alerts.removeAll(keepingCapacity: true) }
            }
            engine.finish(lastEventTime: events.last?.time ?? 0)
            alerts += engine.alerts.count
            let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let keys = engine.liveKeys().values.reduce(0, +)
            print(BenchCommand.json([("rules", "\(rs.rules.count)"), ("events", "\(events.count)"), ("alerts", "\(alerts)"),
                                     ("seconds", String(format: "%.4f", secs)),
                                     ("events_per_second", String(format: "%.0f", Double(events.count) / secs)),
                                     ("live_keys", "\(keys)"), ("retained_entries", "\(engine.retainedEntries())"),
                                     ("pending_deadlines", "\(engine.pendingDeadlines)")]))
        }
    }

    /// `count` copies of every rule of the pack, each pinned to one village
    /// (`village = "…"`) with a name of its own — the per-village variants of issue 7.
    static func variantFile(_ sources: [SourceFile], count: Int, villages: [VillageCode]) -> SourceFile {
        var text = ""
        for src in sources {
            let (syntax, _) = Parser.parse(src)
            for r in syntax.rules {
                let body = src.slice(r.range)
                for i in 0..<count {
                    let v = villages.isEmpty ? "330521101202" : villages[i % villages.count].description
                    var copy = body.replacingOccurrences(of: "rule \(r.name)", with: "rule \(r.name)-v\(i)")
                    // Pin the copy to one village: a `where` right after `on TYPE [as ALIAS]` (it is and-ed with the rule's own).
                    if let t = r.trigger {
                        var at = t.typeRange.end - r.range.start
                        let tail = String(decoding: Array(body.utf8)[at...], as: UTF8.self)
                        if let a = t.alias, let found = tail.range(of: " as \(a)") { at += tail.utf8.distance(from: tail.startIndex, to: found.upperBound) }
                        var bytes = Array(copy.utf8)
                        let shift = copy.utf8.count - body.utf8.count
                        bytes.insert(contentsOf: Array(" where village = \"\(v)\"".utf8), at: at + shift)
                        copy = String(decoding: bytes, as: UTF8.self)
                    }
                    text += copy + "\n\n"
                }
            }
        }
        return SourceFile(path: "<variants>", text: text)
    }
}

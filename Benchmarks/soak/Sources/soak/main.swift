// The bounded-memory soak (issue 8): an endless-looking stream of generated
// village events through one streaming shard (decoder → deduplication →
// reorder buffer → the 14 compiled rules), sampling the engine's live keys,
// retained entries, pending deadlines, the reorder buffer, the heap and RSS
// every few simulated weeks. Memory must level off once event time has run
// past the longest retention (400 days for state no window bounds).
//
// usage: soak [--villages N] [--days D] [--seed S] [--events-per-village-day E]
//             [--lateness-hours H] [--sample-days K] [--csv FILE] [--results FILE]
import DetectionRuntime
import EventModel
import Foundation
import LedgerGenerator
import RuleCompiler
import RuleLanguage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// MARK: options

var villages = 2_000
var days = 1_800
var seed: UInt64 = 42
var perVillageDay = 8.0
var latenessHours = 24.0
var sampleDays = 30
var csvPath: String? = nil
var resultsPath: String? = nil
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
var rulesDir = repoRoot + "/Rules"

var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    func value() -> String {
        guard !args.isEmpty else { fputs("\(a) needs a value\n", stderr); exit(64) }
        return args.removeFirst()
    }
    switch a {
    case "--villages": villages = Int(value())!
    case "--days": days = Int(value())!
    case "--seed": seed = UInt64(value())!
    case "--events-per-village-day": perVillageDay = Double(value())!
    case "--lateness-hours": latenessHours = Double(value())!
    case "--sample-days": sampleDays = Int(value())!
    case "--csv": csvPath = value()
    case "--results": resultsPath = value()
    case "--rules": rulesDir = value()
    default: fputs("unknown option \(a)\n", stderr); exit(64)
    }
}

// MARK: rules and reference tables

func ruleFiles(_ dir: String) -> [SourceFile] {
    let names = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".rule") }.sorted()
    return names.compactMap { n in (try? String(contentsOfFile: dir + "/" + n, encoding: .utf8)).map { SourceFile(path: n, text: $0) } }
}

let compiled = RuleSetCompiler.compile(ruleFiles(rulesDir))
guard let ruleSet = compiled.ruleSet else {
    for d in compiled.diagnostics { fputs(d.headline + "\n", stderr) }
    exit(1)
}

let config = GeneratorConfig(villages: villages, days: days, seed: seed, eventsPerVillageDay: perVillageDay,
                             malformedRate: 0.0005, duplicateRate: 0.002)
if !config.problems.isEmpty { fputs(config.problems.joined(separator: "\n") + "\n", stderr); exit(64) }
var generator = LedgerGenerator(config, shards: 2)
let csvs = generator.referenceCSVs()
func table(_ name: String) throws -> CSVTable? { try csvs[name + ".csv"].map { try CSVTable(parsing: $0) } }
let tables = try ReferenceTables(people: try table("people"), vendors: try table("vendors"),
                                 referencePrices: try table("reference_prices"), villageLimits: try table("village_limits"))

// MARK: generation on its own thread, a few days ahead

/// Chunks (one simulated day each) handed from the generator thread, at most `depth` waiting.
final class ChunkQueue: @unchecked Sendable {
    // `items`/`finished` are only touched under `cond`.
    private let cond = NSCondition()
    private var items: [[UInt8]] = []
    private var finished = false
    let depth = 4
    func put(_ c: [UInt8]) {
        cond.lock()
        while items.count >= depth { cond.wait() }
        items.append(c)
        cond.broadcast()
        cond.unlock()
    }
    func finish() { cond.lock(); finished = true; cond.broadcast(); cond.unlock() }
    func take() -> [UInt8]? {
        cond.lock()
        defer { cond.unlock() }
        while items.isEmpty && !finished { cond.wait() }
        if items.isEmpty { return nil }
        cond.broadcast()
        return items.removeFirst()
    }
}

let queue = ChunkQueue()
nonisolated(unsafe) var producer = generator
let generatorThread = Thread {
    let runner = ShardRunner { count, work in DispatchQueue.concurrentPerform(iterations: count, execute: work) }
    while let chunk = producer.nextChunk(runner: runner) { queue.put(chunk) }
    queue.finish()
}
generatorThread.stackSize = 8 << 20
generatorThread.start()

// MARK: the stream

struct Sample {
    var day: Int
    var events: Int
    var liveKeys: Int
    var retained: Int
    var deadlines: Int
    var buffered: Int
    var heapMiB: Double
    var rssMiB: Double
    var seconds: Double
}

func rssBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

/// Anonymous resident memory (`RssAnon` of /proc/self/status: the malloc heap and
/// other anonymous mappings, without the binary and libraries). mallinfo2 is not
/// visible through Swift's Glibc module.
func heapBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

var shardConfig = StreamShard.Config()
shardConfig.lateness = Int64(latenessHours * 3_600_000_000)
let partition = StreamShard.Partition(topic: "village.all", partition: 0)
let shard = StreamShard(name: "soak", ruleSet: ruleSet, tables: tables, partitions: [partition], config: shardConfig)
let firstDay = Int(config.startDay)
var samples: [Sample] = []
var offset: Int64 = 0
var alerts = 0, deadLetters = 0
var nextSampleDay = firstDay + sampleDays
let clock = ContinuousClock()
let start = clock.now

func seconds() -> Double { let d = clock.now - start; return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func sample(day: Int) {
    let s = Sample(day: day - firstDay, events: shard.counters.events, liveKeys: shard.engine.liveKeys().values.reduce(0, +),
                   retained: shard.engine.retainedEntries(), deadlines: shard.engine.pendingDeadlines, buffered: shard.buffered,
                   heapMiB: Double(heapBytes()) / 1_048_576, rssMiB: Double(rssBytes()) / 1_048_576, seconds: seconds())
    samples.append(s)
    print(String(format: "day %5d  events %11d  live keys %9d  retained %9d  deadlines %7d  buffered %7d  anon %7.1f MiB  RSS %7.1f MiB  %6.0f s",
                 s.day, s.events, s.liveKeys, s.retained, s.deadlines, s.buffered, s.heapMiB, s.rssMiB, s.seconds))
    fflush(stdout)
}

print("soak: \(villages) villages × \(days) days, ~\(Int(Double(villages * days) * perVillageDay / 1e6)) M events, seed \(seed), lateness \(latenessHours) h, \(ruleSet.rules.count) rules")
while let chunk = queue.take() {
    chunk.withUnsafeBufferPointer { buf in
        var lineStart = 0
        for i in 0..<buf.count where buf[i] == 0x0A {
            shard.ingest(partition, offset: offset, value: Array(buf[lineStart..<i]), now: 0)
            offset += 1
            lineStart = i + 1
        }
    }
    shard.advance(now: 0)
    let out = shard.takeOutput()
    alerts += out.alerts.count
    deadLetters += out.deadLetters.count
    let day = Int(shard.engine.lastEventTime == .min ? 0 : shard.engine.lastEventTime / 86_400_000_000)
    if day >= nextSampleDay {
        sample(day: day)
        nextSampleDay = day + sampleDays
    }
}
shard.drain()
let out = shard.takeOutput()
alerts += out.alerts.count
deadLetters += out.deadLetters.count
sample(day: Int(shard.engine.lastEventTime / 86_400_000_000))

// MARK: verdict

let total = seconds()
let events = shard.counters.events
/// Growth of a measure over the second half of the run, relative to its value at the midpoint.
func growth(_ key: (Sample) -> Double) -> Double {
    guard samples.count >= 4 else { return .nan }
    let mid = samples[samples.count / 2]
    let later = samples[(samples.count / 2)...].map(key).max()!
    return key(mid) > 0 ? (later - key(mid)) / key(mid) : .nan
}
let measures: [(String, (Sample) -> Double)] = [
    ("live keys", { Double($0.liveKeys) }), ("retained entries", { Double($0.retained) }),
    ("anonymous memory", { $0.heapMiB }), ("RSS", { $0.rssMiB }),
]
let growths = measures.map { ($0.0, growth($0.1)) }
let levelled = growths.allSatisfy { $0.1.isNaN || $0.1 < 0.15 }
let perRule = shard.engine.liveKeys().sorted { $0.value > $1.value }
print(String(format: "\n%d events (%d lines) in %.0f s = %.0f k events/s; %d alerts, %d dead letters", events, offset, total, Double(events) / total / 1000, alerts, deadLetters))
for (name, g) in growths { print(String(format: "  %@ over the second half: %+.1f %%", name, g * 100)) }
print("  live keys per rule at the end: \(perRule.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
print(levelled ? "memory levelled off" : "MEMORY STILL GROWING in the second half")

if let csvPath {
    var csv = "day,events,live_keys,retained_entries,pending_deadlines,buffered,heap_mib,rss_mib,seconds\n"
    for s in samples { csv += "\(s.day),\(s.events),\(s.liveKeys),\(s.retained),\(s.deadlines),\(s.buffered),\(String(format: "%.1f", s.heapMiB)),\(String(format: "%.1f", s.rssMiB)),\(String(format: "%.1f", s.seconds))\n" }
    try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
}

if let resultsPath {
    let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
    var md = "\n### Soak \(date): \(villages) villages × \(days) days, \(String(format: "%.1f", Double(events) / 1e6)) M events\n\n"
    md += "`soak --villages \(villages) --days \(days) --seed \(seed) --events-per-village-day \(perVillageDay) --lateness-hours \(latenessHours)` "
    md += "(release, one shard holding all \(ruleSet.rules.count) rules, 2 shared cores): "
    md += String(format: "%.0f s, %.0f k events/s, %d alerts, %d dead letters.\n\n", total, Double(events) / total / 1000, alerts, deadLetters)
    md += "| simulated day | events | live keys | retained entries | pending deadlines | reorder buffer | anon. RSS MiB | RSS MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    let step = max(1, samples.count / 12)
    for (i, s) in samples.enumerated() where i % step == 0 || i == samples.count - 1 {
        md += String(format: "| %d | %d | %d | %d | %d | %d | %.1f | %.1f |\n", s.day, s.events, s.liveKeys, s.retained, s.deadlines, s.buffered, s.heapMiB, s.rssMiB)
    }
    md += "\nGrowth over the second half (after the 400-day retention has been reached): "
    md += growths.map { String(format: "%@ %+.1f %%", $0.0, $0.1 * 100) }.joined(separator: ", ")
    md += levelled ? " — memory levels off.\n" : " — **memory still grows**.\n"
    md += "Live keys per rule at the end: " + perRule.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ".\n"
    // The soak section of RESULTS.md is delimited by markers; other sections
    // (Benchmarks/run) are left as they are. A new run goes at the end of it.
    let begin = "<!-- soak:begin -->", end = "<!-- soak:end -->"
    var text = (try? String(contentsOfFile: resultsPath, encoding: .utf8)) ?? ""
    if text.range(of: begin) == nil || text.range(of: end) == nil {
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += (text.isEmpty ? "" : "\n") + begin + "\n## Bounded memory (soak)\n\n"
        text += "Benchmarks/soak (issue 8): generated events through one streaming shard; memory must level off under the retention bounds. Run `make soak`.\n"
        text += end + "\n"
    }
    if let e = text.range(of: end) {
        text.insert(contentsOf: md, at: e.lowerBound)
    }
    try text.write(toFile: resultsPath, atomically: true, encoding: .utf8)
    print("appended to \(resultsPath)")
}
exit(levelled ? 0 : 1)

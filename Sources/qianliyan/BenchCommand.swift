import AlertStore
import ArgumentParser
import DetectionRuntime
import KafkaIngest
import LedgerFiles
import Logging
import EventModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Pipeline
import RuleCompiler
import RuleLanguage

/// `qianliyan bench …`: the measurements behind Benchmarks/RESULTS.md that
/// need no database or broker (run by Benchmarks/run).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the decoder and the engine alone (used by Benchmarks/run).",
        subcommands: [Decoder.self, EngineBench.self, StreamingBench.self]
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

    /// Resident memory of this process, in bytes (/proc/self/statm); 0 where it cannot be read.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Where the streaming bench's publisher sends each line that is an event: its
    /// index, its event type and its key (an index into `keys`, the village codes).
    static func routes(_ data: [UInt8], _ ranges: [Range<Int>]) -> (routes: [(line: Int32, type: UInt8, key: Int32)], keys: [[UInt8]]) {
        let decoder = EventDecoder()
        var e = Event.placeholder
        var routes: [(line: Int32, type: UInt8, key: Int32)] = []
        routes.reserveCapacity(ranges.count)
        var keys: [[UInt8]] = []
        var keyIndex: [VillageCode: Int32] = [:]
        data.withUnsafeBufferPointer { buf in
            for (i, r) in ranges.enumerated() where decoder.decode(UnsafeBufferPointer(rebasing: buf[r]), into: &e) == .event {
                let key = keyIndex[e.village] ?? {
                    keys.append(Array(e.village.description.utf8))
                    keyIndex[e.village] = Int32(keys.count - 1)
                    return Int32(keys.count - 1)
                }()
                routes.append((Int32(i), e.type.rawValue, key))
            }
        }
        return (routes, keys)
    }

    static func json(_ fields: [(String, String)]) -> String {
        let pairs = fields + [("allocator", "\"" + Allocator.name + "\"")]
        return "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    struct Decoder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode every line of a ledger held in memory: MB/s and events/s on one core.")
        @Argument(help: "Ledger file.") var ledger: String
        @Option(name: .customLong("repeat"), help: "Repetitions (the best is reported).") var repeat_: Int = 3

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

    /// Events per batch of the engine bench (as `EngineLanes` hands them over).
    static let engineBatch = 1024

    struct EngineBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "engine",
            abstract: "Evaluate pre-decoded, ordered events with the rule pack (optionally ×N per-village variants).")
        @Argument(help: "Ledger file.") var ledger: String
        @Option(help: "Rule files or folders.") var rules: [String] = ["Rules"]
        @Option(help: "Reference folder.") var reference: String?
        @Option(help: "Village-pinned copies of every rule (each with its own threshold) to add; 99 gives 1,400 rules.")
        var variants: Int = 0
        @Option(help: "Evaluate only the first N events (in event-time order) of the ledger.")
        var limit: Int?
        @Option(help: ArgumentHelp("Evaluate the events this many times, each with a fresh engine, and report the fastest.",
                                   discussion: "For comparing two builds on a noisy machine: the fastest of several runs in one process varies less than separate runs."))
        var `repeat`: Int = 1

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
            if let limit, limit < events.count { events.removeLast(events.count - max(0, limit)) }
            let villages = Array(Set(events.map(\.village))).sorted()
            let files = rules.flatMap { RuleLoader.ruleFiles(at: $0) }
            var (sources, _) = RuleLoader.read(files)
            if variants > 0 { sources.append(RuleVariants.pinnedCopies(of: sources, count: variants, villages: villages)) }
            let out = RuleSetCompiler.compile(sources)
            guard let rs = out.ruleSet else {
                printDiagnostics(out.diagnostics, sources: out.sources, format: .text)
                throw ExitCode(1)
            }
            let tables = try ReferenceLoader.load(directory: reference)
            var secs = Double.infinity
            var stateBytes = 0
            var engine = Engine(ruleSet: rs, tables: tables)
            var alerts = 0
            for round in 0..<max(1, self.repeat) {
                if round > 0 { engine = Engine(ruleSet: rs, tables: tables) }
                let heapBefore = BenchCommand.residentBytes()
                alerts = 0
                let t0 = DispatchTime.now().uptimeNanoseconds
                // Batches in place, as a replay's rule lanes take them (no copy of each event).
                events.withUnsafeMutableBufferPointer { all in
                    var i = 0
                    while i < all.count {
                        let n = min(BenchCommand.engineBatch, all.count - i)
                        engine.process(inPlace: UnsafeMutableBufferPointer(rebasing: all[i..<(i + n)]))
                        i += n
                        if engine.alerts.count > 4096 { alerts += engine.alerts.count; engine.alerts.removeAll(keepingCapacity: true) }
                    }
                }
                secs = min(secs, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                // The engine's state at the end of the ledger, before the final deadlines fire:
                // resident memory grown beyond what the decoded events and tables already took
                // (the first run's: later ones reuse memory the allocator kept).
                if round == 0 { stateBytes = BenchCommand.residentBytes() - heapBefore }
            }
            alerts += engine.alerts.count
            engine.alerts = []
            let keysByRule = engine.liveKeys()
            let keys = keysByRule.values.reduce(0, +)
            let entries = engine.retainedEntries(), deadlines = engine.pendingDeadlines
            // A streaming checkpoint (evidence in memory, as a worker keeps it): the worker's pause
            // is the copy of the state; serialising the copy happens on the checkpoint writer's thread.
            let c0 = DispatchTime.now().uptimeNanoseconds
            let image = engine.image(copying: true)
            let s0 = DispatchTime.now().uptimeNanoseconds
            let snapshotBytes = image.bytes().count
            let s1 = DispatchTime.now().uptimeNanoseconds
            let copySeconds = Double(s0 - c0) / 1e9, snapshotSeconds = Double(s1 - s0) / 1e9
            engine.finish(lastEventTime: events.last?.time ?? 0)
            alerts += engine.alerts.count
            print(BenchCommand.json([("rules", "\(rs.rules.count)"), ("events", "\(events.count)"), ("alerts", "\(alerts)"),
                                     ("seconds", String(format: "%.4f", secs)),
                                     ("events_per_second", String(format: "%.0f", Double(events.count) / secs)),
                                     ("live_keys", "\(keys)"), ("retained_entries", "\(entries)"), ("histories", "\(engine.historyCount)"),
                                     ("pending_deadlines", "\(deadlines)"), ("state_heap_bytes", "\(stateBytes)"),
                                     ("state_bytes_per_live_key", String(format: "%.0f", Double(stateBytes) / Double(max(1, keys)))),
                                     ("state_bytes_per_retained_item", String(format: "%.0f", Double(stateBytes) / Double(max(1, entries + deadlines)))),
                                     ("snapshot_bytes", "\(snapshotBytes)"), ("snapshot_copy_seconds", String(format: "%.3f", copySeconds)),
                                     ("snapshot_seconds", String(format: "%.3f", snapshotSeconds))]
                                    // Per rule only for a pack-sized rule set (not for 1,400 variants).
                                    + (rs.rules.count <= 100 ? [("live_keys_by_rule", "{" + keysByRule.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                                        .map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}")] : [])))
        }
    }

    struct StreamingBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "streaming",
            abstract: "Publish a ledger into the embedded Kafka as fast as it goes; one worker evaluates it into PostgreSQL.",
            discussion: "Prints sustained events/s and event→alert latency (publish time of the anchor event to the alert's commit) for condition and ordered rules.")
        @Argument(help: "Ledger file.") var ledger: String
        @Option(help: "Rule files or folders.") var rules: [String] = ["Rules"]
        @Option(help: "Reference folder.") var reference: String?
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Partitions per topic.") var partitions: Int32 = 4
        @Option(help: ArgumentHelp("Publish at this many events per second (0: as fast as the worker takes them).",
                                   discussion: "Latency is only meaningful below the worker's capacity: at full speed every event waits behind the backlog."))
        var rate: Double = 0
        @Option(help: "Publish only the first N events of the ledger.") var limit: Int?
        @Option(help: ArgumentHelp("The publisher's linger.ms.",
                                   discussion: "The embedded broker hands out one record batch per partition per fetch: at a steady rate, batches of a few events cap what a consumer can read; 20 ms gives batches of ~20 events per partition at 20,000 events/s."))
        var lingerMs = 2
        @Flag(help: "Log the worker at info level.") var verbose = false

        /// How many events the publisher may run ahead of the worker.
        static let maxAhead = 50_000

        /// The number of events published, once publishing has ended.
        final class LockedCount: @unchecked Sendable {
            private let lock = NSLock()
            private var value: Int?
            func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
            func get() -> Int? { lock.lock(); defer { lock.unlock() }; return value }
        }

        func run() async throws {
            let level: Logger.Level = verbose ? .info : .error
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
            let out = RuleLoader.compile(paths: rules)
            guard let rs = out.ruleSet else { throw ExitCode(1) }
            let tables = try ReferenceLoader.load(directory: reference)
            let url = try await db.resolve(announce: false)
            let store = PostgresAlertStore(url: url)
            _ = try await store.migrate()
            await store.close()
            let cluster = try KafkaMockCluster(topics: Dictionary(uniqueKeysWithValues: EventType.topics.map { ($0, partitions) }))
            var config = IngestWorker.Config(brokers: cluster.bootstrapServers)
            config.group = "bench-\(Int(Date().timeIntervalSince1970))"
            // Historical events published at full speed move event time days per second:
            // no partition may count as idle while the ledger is being published.
            config.idleTimeout = 60 * TimeUnit.second
            config.kafkaOptions = KafkaMockCluster.consumerOptions
            let lateness = config.lateness
            let worker = IngestWorker(config: config, ruleSet: rs, tables: tables, databaseURL: url)
            let (data, ranges) = try BenchCommand.lines(ledger)
            // Join the group before publishing, so that latency is not the group join.
            // Lines published (indices into `ranges`) and when.
            let published = Box2<([Int], [Double])>(([], []))
            let publishedCount = LockedCount()
            let workerThread = Task.detached {
                do { try await runOnThread { try worker.run() } } catch {
                    FileHandle.standardError.write("worker failed: \(error)\n")
                    throw error
                }
            }
            // Each line's topic and key (its village), found before the clock starts: an upstream
            // system knows them without parsing, and the publisher shares the two cores with the
            // worker it measures.
            let (routes, keys) = BenchCommand.routes(data, ranges)
            try await Task.sleep(for: .seconds(4))
            let start = Date()
            FileHandle.standardError.write("publishing \(ranges.count) lines…\n")
            async let publishing: Void = runOnThread {
                let producer = try KafkaProducer(bootstrapServers: cluster.bootstrapServers, options: ["linger.ms": String(lingerMs)])
                // A publisher that stays up knows its topics' leaders: look them up before the clock starts.
                try producer.warmUp(topics: EventType.topics)
                // It keeps its own work per event small (options read once, the line
                // sent from where it lies, the worker's progress read every 64 events)
                // and maps event ids to publish times only after the run.
                var sentLines: [Int] = []
                var sentTimes: [Double] = []
                sentLines.reserveCapacity(routes.count)
                sentTimes.reserveCapacity(routes.count)
                let topics = EventType.allCases.map(\.topic)
                let limit = self.limit ?? Int.max, rate = self.rate
                var sent = 0
                let paceStart = Date()
                try data.withUnsafeBufferPointer { buf in
                    for route in routes {
                        if sent >= limit { break }
                        let i = Int(route.line)
                        let line = UnsafeBufferPointer(rebasing: buf[ranges[i]])
                        // A steady offered load: event i leaves at i / rate seconds.
                        if rate > 0 {
                            let due = Double(sent) / rate - Date().timeIntervalSince(paceStart)
                            if due > 0.001 { Thread.sleep(forTimeInterval: due) }
                        }
                        // Flow control: the mock broker keeps only so many batches per partition
                        // (docs/operations.md); running further ahead of the worker than this
                        // would have retention delete what it has not read (offset gaps).
                        if sent & 63 == 0 {
                            while sent - worker.metrics.snapshot().events > StreamingBench.maxAhead {
                                Thread.sleep(forTimeInterval: 0.002)
                            }
                        }
                        sent += 1
                        sentLines.append(i)
                        sentTimes.append(Date().timeIntervalSince1970)
                        try keys[Int(route.key)].withUnsafeBytes { k in
                            try producer.send(topic: topics[Int(route.type)], key: k, value: UnsafeRawBufferPointer(line))
                        }
                    }
                }
                try producer.flush()
                producer.close()
                published.value = (sentLines, sentTimes)
                publishedCount.set(sent)
            }
            // Sustained rate: from the first record to the last, as the worker saw them.
            var firstSeen: Date? = nil
            var allSeen: Date? = nil
            var lastReport = Date()
            while allSeen == nil {
                let n = worker.metrics.snapshot().events
                // Lines that are not events are not published; the total is known once publishing ends.
                let total = publishedCount.get()
                if Date().timeIntervalSince(lastReport) > 2 {
                    lastReport = Date()
                    FileHandle.standardError.write("  worker has read \(n) of \(total.map(String.init) ?? "?") events\n")
                }
                if n > 0 && firstSeen == nil { firstSeen = Date() }
                if let total, n >= total { allSeen = Date() }
                if n == 0 && Date().timeIntervalSince(start) > 60 { throw ValidationError("the worker read nothing in 60 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await publishing
            // Publish times by event id, made now that the worker has read everything.
            var publishTimes: [String: Double] = [:]
            do {
                let (lines, times) = published.value
                let decoder = EventDecoder()
                var e = Event.placeholder
                publishTimes.reserveCapacity(lines.count)
                data.withUnsafeBufferPointer { buf in
                    for (i, line) in lines.enumerated() where decoder.decode(UnsafeBufferPointer(rebasing: buf[ranges[line]]), into: &e) == .event {
                        publishTimes[e.id] = times[i]
                    }
                }
            }
            worker.requestDrain()
            try await workerThread.value
            let c = try PostgresConnection(url)
            defer { c.close() }
            let rows = try c.execute("SELECT rule_id, anchor_event_id, extract(epoch from detected_at)::float8 FROM alerts").rows
            var cond: [Double] = [], ordered: [Double] = []
            for r in rows {
                guard let id = r[1], let t = r[2].flatMap(Double.init), let p = publishTimes[id], let rule = rs.rule(named: r[0] ?? "") else { continue }
                let ms = max(0, (t - p) * 1000)
                if rule.isCondition { cond.append(ms) } else { ordered.append(ms) }
            }
            func q(_ v: [Double], _ p: Double) -> Double {
                guard !v.isEmpty else { return 0 }
                let s = v.sorted()
                return s[min(s.count - 1, Int(Double(s.count) * p))]
            }
            let secs = allSeen!.timeIntervalSince(firstSeen ?? start)
            let total = publishedCount.get() ?? 0
            print(BenchCommand.json([
                ("events", "\(total)"), ("offered_events_per_second", rate > 0 ? String(format: "%.0f", rate) : "null"), ("linger_ms", "\(lingerMs)"),
                ("seconds", String(format: "%.3f", secs)),
                ("events_per_second", String(format: "%.0f", Double(total) / max(secs, 0.001))),
                ("publish_seconds", String(format: "%.3f", Date().timeIntervalSince(start))),
                ("alerts", "\(rows.count)"), ("lateness_ms", "\(lateness / 1000)"),
                ("condition_p50_ms", String(format: "%.1f", q(cond, 0.5))), ("condition_p99_ms", String(format: "%.1f", q(cond, 0.99))),
                ("condition_max_ms", String(format: "%.1f", cond.max() ?? 0)),
                ("ordered_p50_ms", String(format: "%.1f", q(ordered, 0.5))), ("ordered_p99_ms", String(format: "%.1f", q(ordered, 0.99))),
                ("ordered_max_ms", String(format: "%.1f", ordered.max() ?? 0)),
            ]))
            withExtendedLifetime(cluster) {}
        }
    }
}

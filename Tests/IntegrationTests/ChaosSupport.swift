import AlertStore
import EventModel
import Foundation
import KafkaIngest
import LedgerGenerator
import Logging
import Pipeline
import RuleCompiler

#if canImport(Glibc)
import Glibc
#endif

/// What the fault-injection suite (`ChaosTests`, issue 8) shares: a generated
/// ledger and its replay, a PostgreSQL cluster of the scenario's own (so that
/// it can be stopped, filled or made read-only), workers in-process and as
/// `qianliyan run` processes, the final comparison and the results table.
///
/// `QIANLIYAN_CHAOS=full` runs the long version (`make chaos`); without it
/// each scenario runs a short version (CI). `QIANLIYAN_CHAOS_REPORT=FILE`
/// writes each scenario's row into the results table of FILE
/// (docs/reliability.md).
enum Chaos {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var full: Bool { environment["QIANLIYAN_CHAOS"] == "full" }
    static var root: String { ReplayIntegrationTests.root }
    static var seed: UInt64 { environment["QIANLIYAN_CHAOS_SEED"].flatMap { UInt64($0) } ?? 8 }

    /// The `qianliyan` executable: `QIANLIYAN_BIN`, else the one built next to this test bundle
    /// (`swift build --build-tests` builds both; never another build folder's, which may be stale).
    static var binary: String {
        if let b = environment["QIANLIYAN_BIN"] { return b }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().appendingPathComponent("qianliyan").path
    }

    static func temporaryDirectory(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/qly-chaos-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Consumer options of the workers: fast reconnects, short sessions, quick fetches.
    static let kafkaOptions = KafkaTestSupport.fastOptions.merging([
        "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "50",
    ]) { $1 }

    /// An idempotent producer: its retries under faults neither duplicate nor reorder messages,
    /// so that every bad line reaches dead_letters exactly once.
    static let producerOptions = ["enable.idempotence": "true", "message.timeout.ms": "120000"]

    static let logger: Logger = {
        var logger = Logger(label: "test.chaos", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        return logger
    }()
}

// MARK: the ledger and what it should give

/// A generated ledger (malformed lines and re-sends included), its reference
/// tables, and what the replay of it gives.
struct ChaosLedger: Sendable {
    let dir: String
    let path: String
    let lines: Int
    /// Malformed lines by kind (each must be one dead letter).
    let malformedByKind: [String: Int]
    /// Event ids that the ledger sends more than once (a far-later re-send may be `late` in a stream).
    let resentIDs: Set<String>
    /// The largest step back in event time between a line and the lines before it (µs).
    let maxDisorder: Int64

    var malformed: Int { malformedByKind.values.reduce(0, +) }

    static func make(villages: Int, days: Int, seed: UInt64) throws -> ChaosLedger {
        let dir = try Chaos.temporaryDirectory("ledger")
        var gen = LedgerGenerator(GeneratorConfig(villages: villages, days: days, seed: seed, malformedRate: 0.01, duplicateRate: 0.01))
        var bytes: [UInt8] = []
        gen.generate { bytes.append(contentsOf: $0) }
        let path = dir + "/events.jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for (name, text) in gen.referenceCSVs() { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }

        let decoder = EventDecoder()
        var seen = Set<String>(), resent = Set<String>()
        var newest = Int64.min, disorder: Int64 = 0, lines = 0
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            lines += 1
            if case .event(let e) = decoder.decode(Array(bytes[start..<i])) {
                if !seen.insert(e.id).inserted { resent.insert(e.id) }
                if e.time > newest { newest = e.time } else { disorder = max(disorder, newest - e.time) }
            }
            start = i + 1
        }
        var kinds: [String: Int] = [:]
        for m in gen.malformedLines { kinds[m.kind, default: 0] += 1 }
        return ChaosLedger(dir: dir, path: path, lines: lines, malformedByKind: kinds, resentIDs: resent, maxDisorder: disorder)
    }

    /// An allowed lateness (whole seconds) that covers the ledger's own disorder plus `shuffle`.
    func lateness(shuffle: Duration) -> Int {
        let seconds = Int((maxDisorder + 999_999) / 1_000_000) + Int(shuffle.components.seconds)
        return max(600, (seconds / 600 + 1) * 600)
    }

    /// Replays the ledger with `rules` into the database at `url` (the expected alerts, as PostgreSQL renders them).
    func replay(into url: String, rules: CompiledRuleSet? = nil) throws -> ReplaySummary {
        let rs = rules ?? RuleLoader.compile(paths: [Chaos.root + "/Rules"]).ruleSet!
        let sink = MemorySink()
        let summary = try Replay(ruleSet: rs, tables: try ReferenceLoader.load(directory: dir)).run(ledgers: [path], sink: sink)
        let c = try PostgresConnection(url)
        defer { c.close() }
        _ = try Migrator().migrate(c)
        try c.write(alerts: sink.alerts, deadLetters: sink.deadLetters)
        return summary
    }

    /// Writes the ledger's first and second half (by lines) as two files in `folder`.
    func split(into folder: String) throws -> (first: (path: String, lines: Int), second: (path: String, lines: Int)) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let half = lines.count / 2
        let first = folder + "/first-half.jsonl", second = folder + "/second-half.jsonl"
        try (lines[..<half].joined(separator: "\n") + "\n").write(toFile: first, atomically: true, encoding: .utf8)
        try (lines[half...].joined(separator: "\n") + "\n").write(toFile: second, atomically: true, encoding: .utf8)
        return ((first, half), (second, lines.count - half))
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

// MARK: a PostgreSQL cluster of the scenario's own

/// An embedded PostgreSQL cluster the scenario can stop (`pg_ctl -m immediate`,
/// a crash), start again on the same socket, or starve of disk.
///
/// Not `durable` by default (fsync and synchronous_commit off: faster). Then a
/// crash may lose commits PostgreSQL had already acknowledged (their WAL was
/// still in its buffers), which no client can make up for; a scenario that
/// crashes the server and needs every acknowledged commit kept asks for
/// `durable`.
struct ChaosPostgres: Sendable {
    let embedded: EmbeddedPostgres
    let directory: String

    init(directory: String, durable: Bool = false) {
        self.directory = directory
        embedded = EmbeddedPostgres(directory: directory, options: .init(durable: durable, listenOnTCP: false, database: "chaos"))
    }

    /// Starts (creating on first use) and returns the URL of database `chaos`.
    @discardableResult
    func start() async throws -> String { try await embedded.start() }

    func url(_ database: String) throws -> String {
        guard case .running(_, let port) = embedded.status() else { throw PostgresError(.serverSetupFailed, message: "chaos PostgreSQL is not running") }
        return embedded.url(port: port, database: database)
    }

    /// Creates `name` (empty) and returns its URL.
    func createDatabase(_ name: String) throws -> String {
        let admin = try PostgresConnection(try url("postgres"))
        defer { admin.close() }
        // Two statements: a multi-statement script is one implicit transaction, where DROP DATABASE may not run.
        try admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.executeScript("CREATE DATABASE \(name)")
        return try url(name)
    }

    /// Stops the server like a crash (`immediate`: no shutdown checkpoint, clients cut off).
    func crash() throws {
        _ = try pgCtl(["-D", directory + "/data", "-m", "immediate", "-w", "-t", "60", "-s", "stop"])
    }

    /// Runs `pg_ctl start` by hand, bypassing `EmbeddedPostgres` (which gives up
    /// before the server runs when the directory is read-only), with the server
    /// log in `log` (outside the cluster's directory, which may be read-only).
    /// Returns pg_ctl's exit status and output, and the server log: what the
    /// server itself says.
    func startByHand(log: String) throws -> (status: Int32, output: String, serverLog: String) {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        if geteuid() == 0, let pw = getpwnam(embedded.options.osUser) { chown(log, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        let (status, output) = try pgCtl(["-D", directory + "/data", "-l", log, "-w", "-t", "30", "-s", "start"])
        return (status, output, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Runs `pg_ctl` (as the cluster's OS user when root); returns its exit status and output.
    @discardableResult
    func pgCtl(_ args: [String]) throws -> (Int32, String) {
        let bin = embedded.options.binDirectory + "/pg_ctl"
        let p = Process()
        if geteuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", embedded.options.osUser, "--", bin] + args
        } else {
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = args
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func stop() async { try? await embedded.stop() }

    /// The last lines of the server log (for failure messages).
    func logTail(_ n: Int = 20) -> String {
        let text = (try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }
}

// MARK: workers

/// Log lines a worker wrote, kept for the test to read.
final class CapturedLog: @unchecked Sendable {
    // `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []
    func append(_ level: Logger.Level, _ message: String) { lock.withLock { lines.append((level, message)) } }
    var all: [(Logger.Level, String)] { lock.withLock { lines } }
    func contains(_ level: Logger.Level, where predicate: (String) -> Bool) -> Bool { all.contains { $0.0 >= level && predicate($0.1) } }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        log.append(event.level, event.message.description)
        if event.level >= .error, Chaos.environment["QIANLIYAN_CHAOS_VERBOSE"] != nil { FileHandle.standardError.write(Data("[worker] \(event.message)\n".utf8)) }
    }
}

/// An `IngestWorker` running on a thread of its own in this process.
final class ChaosWorker: @unchecked Sendable {
    let worker: IngestWorker
    let log = CapturedLog()
    // `done`/`error` are only touched under `lock`.
    private let lock = NSLock()
    private var done = false
    private var failure: Error?

    init(cluster: KafkaMockCluster, url: String, group: String, ledger: ChaosLedger, lateness: Int, drain: Double?,
         instanceID: String? = nil, rules: CompiledRuleSet? = nil, kafkaOptions: [String: String] = Chaos.kafkaOptions) throws {
        let rs = rules ?? RuleLoader.compile(paths: [Chaos.root + "/Rules"]).ruleSet!
        var config = IngestWorker.Config(brokers: cluster.bootstrapServers)
        config.group = group
        config.lateness = Int64(lateness) * TimeUnit.second
        config.idleTimeout = TimeUnit.second
        config.checkpointInterval = 0.5
        config.drainWhenIdle = drain
        config.kafkaOptions = kafkaOptions
        config.instanceID = instanceID
        let captured = log
        let logger = Logger(label: "chaos.worker") { _ in CapturingLogHandler(log: captured) }
        worker = IngestWorker(config: config, ruleSet: rs, tables: try ReferenceLoader.load(directory: ledger.dir), databaseURL: url, logger: logger)
    }

    /// Starts the worker's loop on its own thread.
    func start() {
        let t = Thread { [self] in
            do { try worker.run() } catch {
                lock.withLock { failure = error }
            }
            lock.withLock { done = true }
        }
        t.stackSize = 8 << 20
        t.start()
    }

    var isDone: Bool { lock.withLock { done } }

    /// Waits for the loop to return (a drain, or `stop()`), at most `timeout`.
    func wait(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isDone {
            if ContinuousClock.now > deadline { worker.stop(); throw ChaosFailure("worker did not finish within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        if let f = lock.withLock({ failure }) { throw f }
    }

    func stopAndWait(timeout: Duration = .seconds(60)) async throws {
        worker.stop()
        try await wait(timeout: timeout)
    }

    var events: Int { worker.metrics.snapshot().events }
}

/// `qianliyan run` as a child process (what kill -9 needs).
final class WorkerProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(cluster: KafkaMockCluster, url: String, group: String, ledger: ChaosLedger, lateness: Int, drain: Double?,
         instanceID: String?, logPath: String, extra: [String] = []) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: Chaos.binary)
        var args = ["run", "--brokers", cluster.bootstrapServers, "--group", group, "--database", url,
                    "--rules", Chaos.root + "/Rules", "--reference", ledger.dir, "--idle-timeout", "1",
                    "--checkpoint-interval", "0.3", "--lateness", String(lateness)]
        if let instanceID { args += ["--instance-id", instanceID] }
        for (k, v) in Chaos.kafkaOptions.sorted(by: { $0.key < $1.key }) { args += ["-X", "\(k)=\(v)"] }
        if let drain { args += ["--drain-when-idle", String(drain)] }
        process.arguments = args + extra
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.standardError = log
        try process.run()
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func wait(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill9()
                throw ChaosFailure("qianliyan run did not finish within \(timeout); log: \(logPath)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return process.terminationStatus
    }
}

struct ChaosFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

// MARK: publishing

/// Publishes a ledger on a thread of its own (rate, disorder), so that faults
/// can be injected while it streams.
final class ChaosFeed: @unchecked Sendable {
    // `published`/`result`/`done`/`failure` are only touched under `lock`.
    private let lock = NSLock()
    private var publishedSoFar = 0
    private var result: LedgerPublisher.Progress?
    private var failure: Error?

    /// Starts publishing `files` (each in order; `shuffle` disorder within the lateness) at `rate` lines/s.
    init(cluster: KafkaMockCluster, files: [String], rate: Double?, shuffle: Duration, seed: UInt64) {
        let t = Thread { [self] in
            do {
                let producer = try KafkaTestSupport.producer(cluster, options: Chaos.producerOptions)
                defer { producer.close() }
                var options = LedgerPublisher.Options(rate: rate, shuffle: shuffle, seed: seed)
                options.progressInterval = .milliseconds(250)
                let final = try LedgerPublisher(producer: producer, options: options).publish(files: files, progress: { p in
                    self.lock.withLock { self.publishedSoFar = p.published }
                })
                lock.withLock { publishedSoFar = final.published; result = final }
            } catch {
                lock.withLock { failure = error }
            }
        }
        t.start()
    }

    var published: Int { lock.withLock { publishedSoFar } }
    private var state: (LedgerPublisher.Progress?, Error?) { lock.withLock { (result, failure) } }

    /// Waits until `fraction` of `total` lines are handed to the producer.
    func waitUntil(_ fraction: Double, of total: Int, timeout: Duration = .seconds(300)) async throws {
        let deadline = ContinuousClock.now + timeout
        while Double(published) < fraction * Double(total) {
            let (r, f) = state
            if r != nil || f != nil { return }
            if ContinuousClock.now > deadline { throw ChaosFailure("publishing stalled at \(published) of \(total)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until everything is published and acknowledged; returns the final counts.
    func finish(timeout: Duration = .seconds(300)) async throws -> LedgerPublisher.Progress {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (r, f) = state
            if let f { throw f }
            if let r { return r }
            if ContinuousClock.now > deadline { throw ChaosFailure("publishing did not finish within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

// MARK: comparison and the results table

/// One row of the results table.
struct ChaosOutcome: Sendable {
    var scenario: String
    var events = 0
    var faults: [String] = []
    var expected = 0
    var found = 0
    var duplicates = 0
    var lost = 0
    var extra = 0
    /// Found alerts whose stored content (version, severity, key, evidence, figures, summaries) differs from the replay's.
    var changed = 0
    var deadExpected = 0
    var deadFound = 0
    var seconds = 0.0
    var notes: [String] = []
    var lostSample: [String] = []
    var extraSample: [String] = []
    var changedSample: [String] = []
    var deadKindsMatch = true

    var clean: Bool { duplicates == 0 && lost == 0 && extra == 0 && changed == 0 && deadExpected == deadFound && deadKindsMatch }
}

enum ChaosCheck {
    static let alertColumns = """
        rule_id, anchor_event_id, rule_version::text, severity, village, alert_key, evidence_event_ids::text,
        anchor_time::text, first_evidence_at::text, last_evidence_at::text, figures::text, summary_zh, summary_en
        """

    static func rows(_ url: String, _ sql: String) throws -> [[String?]] {
        let c = try PostgresConnection(url)
        defer { c.close() }
        return try c.execute(sql).rows
    }

    /// (rule, anchor) → the rest of the row, as PostgreSQL renders it.
    static func alerts(_ url: String) throws -> (byIdentity: [AlertIdentity: [String?]], rows: Int) {
        let all = try rows(url, "SELECT \(alertColumns) FROM alerts")
        var out: [AlertIdentity: [String?]] = [:]
        for r in all { out[AlertIdentity(ruleID: r[0]!, anchorEventID: r[1]!)] = Array(r.dropFirst(2)) }
        return (out, all.count)
    }

    /// Compares the worker's alerts and dead letters at `url` with the replay's at `expectedURL`.
    /// `ignoreVersionOf`: rules whose `rule_version` may differ (a deploy).
    static func compare(_ outcome: inout ChaosOutcome, url: String, expectedURL: String, ledger: ChaosLedger,
                        only: ((AlertIdentity) -> Bool)? = nil, ignoreVersionOf: Set<String> = []) throws {
        var (expected, _) = try alerts(expectedURL)
        let (found, foundRows) = try alerts(url)
        if let only { expected = expected.filter { only($0.key) } }
        outcome.expected = expected.count
        outcome.found = found.count
        outcome.duplicates = foundRows - found.count
        let lost = Set(expected.keys).subtracting(found.keys)
        let extra = Set(found.keys).subtracting(expected.keys)
        outcome.lost = lost.count
        outcome.extra = extra.count
        outcome.lostSample = lost.sorted().prefix(5).map(\.description)
        outcome.extraSample = extra.sorted().prefix(5).map(\.description)
        var changed: [AlertIdentity] = []
        for (id, e) in expected {
            guard var f = found[id] else { continue }
            var e = e
            if ignoreVersionOf.contains(id.ruleID) { e[0] = nil; f[0] = nil }
            if e != f { changed.append(id) }
        }
        outcome.changed = changed.count
        outcome.changedSample = changed.sorted().prefix(3).map { id in
            let e = expected[id]!, f = found[id]!
            let diffs = zip(e, f).enumerated().filter { $0.element.0 != $0.element.1 }.map { "col \($0.offset): \($0.element.0 ?? "nil") ≠ \($0.element.1 ?? "nil")" }
            return "\(id): " + diffs.joined(separator: "; ")
        }

        // Dead letters: every malformed line once, nothing late but far-later re-sends, no offset gap.
        let dead = try rows(url, "SELECT kind, event_id, source_name || '@' || position FROM dead_letters")
        var contract = 0
        for r in dead {
            switch r[0] {
            case "late":
                if let id = r[1], ledger.resentIDs.contains(id) { continue } // a re-send the deduplication horizon has forgotten
                outcome.notes.append("late: \(r[1] ?? "?") at \(r[2] ?? "?")")
                contract += 1
            case "offset_gap":
                outcome.notes.append("offset gap at \(r[2] ?? "?")")
                contract += 1
            default:
                contract += 1
            }
        }
        outcome.deadExpected = ledger.malformed
        outcome.deadFound = contract
        var kinds: [String: Int] = [:]
        for r in dead where r[0] != "late" && r[0] != "offset_gap" { kinds[r[0]!, default: 0] += 1 }
        outcome.deadKindsMatch = kinds == ledger.malformedByKind
        if kinds != ledger.malformedByKind { outcome.notes.append("dead letters by kind \(kinds.sorted { $0.key < $1.key }) ≠ malformed \(ledger.malformedByKind.sorted { $0.key < $1.key })") }
    }
}

/// The results table: printed, and upserted row by row into `QIANLIYAN_CHAOS_REPORT`.
enum ChaosReport {
    static let begin = "<!-- chaos-results:begin -->"
    static let end = "<!-- chaos-results:end -->"
    static let header = """
        | scenario | events | faults injected | alerts expected | found | duplicates | lost | extra | changed | dead letters expected / found | seconds | run |
        |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
        """

    static func row(_ o: ChaosOutcome, date: String) -> String {
        let mode = Chaos.full ? "full" : "short"
        return "| \(o.scenario) | \(o.events) | \(o.faults.joined(separator: "; ")) | \(o.expected) | \(o.found) | \(o.duplicates) | \(o.lost) | \(o.extra) | \(o.changed) | \(o.deadExpected) / \(o.deadFound) | \(Int(o.seconds.rounded())) | \(date) \(mode) |"
    }

    static func record(_ o: ChaosOutcome) {
        let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let line = row(o, date: date)
        var text = "\nchaos: \(header.split(separator: "\n")[0])\nchaos: \(line)\n"
        if !o.notes.isEmpty { text += "chaos:   notes: \(o.notes.prefix(10).joined(separator: " | "))\n" }
        if !o.lostSample.isEmpty { text += "chaos:   lost e.g. \(o.lostSample)\n" }
        if !o.extraSample.isEmpty { text += "chaos:   extra e.g. \(o.extraSample)\n" }
        if !o.changedSample.isEmpty { text += "chaos:   changed e.g. \(o.changedSample)\n" }
        print(text)
        guard let path = Chaos.environment["QIANLIYAN_CHAOS_REPORT"] else { return }
        upsert(path: path.hasPrefix("/") ? path : Chaos.root + "/" + path, scenario: o.scenario, line: line)
    }

    /// Replaces the row of `scenario` between the markers (or adds it), keeping the others.
    static func upsert(path: String, scenario: String, line: String) {
        guard var text = try? String(contentsOfFile: path, encoding: .utf8),
              let b = text.range(of: begin), let e = text.range(of: end), b.upperBound <= e.lowerBound else {
            print("chaos: \(path) has no \(begin) … \(end) section; table not written")
            return
        }
        var rows = text[b.upperBound..<e.lowerBound].split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("| ") && !$0.hasPrefix("| scenario ") }
        if let i = rows.firstIndex(where: { $0.hasPrefix("| \(scenario) |") }) { rows[i] = line } else { rows.append(line) }
        let order = ChaosTests.scenarioOrder
        rows.sort { a, b in
            let ia = order.firstIndex { a.hasPrefix("| \($0) |") } ?? order.count
            let ib = order.firstIndex { b.hasPrefix("| \($0) |") } ?? order.count
            return ia < ib
        }
        text.replaceSubrange(b.upperBound..<e.lowerBound, with: "\n" + header + "\n" + rows.joined(separator: "\n") + "\n")
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

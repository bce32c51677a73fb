import AlertStore
import EventModel
import Foundation
import KafkaIngest
import LedgerFiles
import Logging
import Pipeline
import RuleCompiler
import TestSupport
import Testing

/// Issue "The rule author's loop", done-when: deploying a new version to a
/// running worker (embedded Kafka, real PostgreSQL) switches its rules
/// without losing or duplicating an event, the alerts carry the new
/// version, and a broken rule set is refused while the running one stays.
@Suite(.serialized) struct RuleDeployStreamingTests {
    static var root: String { ReplayIntegrationTests.root }
    static var conformance: String { root + "/Tests/Fixtures/conformance/sample-12v" }

    /// The conformance ledger split in two at its median event time: every
    /// event of the second part is later than every event of the first.
    static func split(into dir: URL) throws -> (first: String, second: String, cut: Instant, firstLines: Int) {
        let reader = try LedgerReader(path: conformance + "/events.jsonl.gz")
        let decoder = EventDecoder()
        var lines: [(Instant, [UInt8])] = []
        try reader.forEachLine { line, _ in
            if case .event(let e) = decoder.decode(line) { lines.append((e.time, Array(line))) }
            return true
        }
        let times = lines.map(\.0).sorted()
        let cut = times[times.count / 2]
        var a: [UInt8] = [], b: [UInt8] = []
        for (t, line) in lines {
            if t < cut { a += line; a.append(10) } else { b += line; b.append(10) }
        }
        let first = dir.appendingPathComponent("first.jsonl"), second = dir.appendingPathComponent("second.jsonl")
        try Data(a).write(to: first)
        try Data(b).write(to: second)
        return (first.path, second.path, cut, lines.filter { $0.0 < cut }.count)
    }

    /// Every rule's `version 1` raised to 2, nothing else: the same alerts, new versions.
    static func everyRuleVersion2() throws -> RuleBundle {
        var b = try RuleBundle.load(directory: root + "/Rules")
        for (path, text) in b.files where path.hasSuffix(".rule") {
            b.files[path] = text.replacingOccurrences(of: "\n  version 1\n", with: "\n  version 2\n")
        }
        return b
    }

    static func publish(_ cluster: KafkaMockCluster, _ file: String) throws {
        let producer = try KafkaTestSupport.producer(cluster)
        defer { producer.close() }
        var options = LedgerPublisher.Options()
        options.progressInterval = .seconds(3600)
        let p = try LedgerPublisher(producer: producer, options: options).publish(files: [file])
        #expect(p.failed == 0)
    }

    static func waitUntil(_ seconds: Double, _ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else { Issue.record("timed out waiting for \(what)"); throw CancellationError() }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func aDeployReachesARunningWorkerAtABatchBoundary() async throws {
        try await TestPostgres.withStore { _, url in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-deploy-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let parts = try Self.split(into: dir)

            let c = try PostgresConnection(url)
            defer { c.close() }
            let versions = RuleVersionStore(connection: c)
            let v1 = try RuleDeployTests.deployed(try RuleDeployer(store: versions).deploy(try RuleBundle.load(directory: Self.root + "/Rules"),
                                                                                      author: "t", message: "v1"))

            let cluster = try KafkaTestSupport.cluster(partitions: 4)
            try Self.publish(cluster, parts.first)

            var config = IngestWorker.Config(brokers: cluster.bootstrapServers)
            config.group = "g-deploy"
            config.idleTimeout = TimeUnit.second
            config.checkpointInterval = 0.5
            config.drainWhenIdle = 12
            config.kafkaOptions = StreamingTests.kafkaOptions
            var logger = Logger(label: "test.worker", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = .critical
            let worker = IngestWorker(config: config, ruleSet: v1.bundle.compile().ruleSet!,
                                      tables: try ReferenceLoader.load(directory: Self.conformance), databaseURL: url, logger: logger)
            let poller = RuleVersionPoller(databaseURL: url, interval: 0.2, current: v1.number, logger: logger) { rs, v in
                worker.updateRules(rs, version: v.label)
            }
            poller.start()
            async let run: Void = KafkaTestSupport.onOwnThread { try worker.run() }

            // The first half is read (its last 10 minutes wait in the shards for the watermark).
            try await Self.waitUntil(60, "the first half") { worker.metrics.snapshot().events >= parts.firstLines }
            // Deploy version 2: the poller hands it over, the worker switches at its next batch boundary.
            let v2 = try RuleDeployTests.deployed(try RuleDeployer(store: versions).deploy(try Self.everyRuleVersion2(), author: "t", message: "v2"))
            try await Self.waitUntil(10, "the switch to v2") { poller.currentVersion == v2.number }
            try await Self.waitUntil(30, "the worker's switch to v2") { worker.rulesVersion == "v\(v2.number)" }
            // A version that does not compile, stored by hand: refused, v2 stays.
            var broken = try Self.everyRuleVersion2()
            broken.files["finance/split-payments.rule"]! += "\nrule oops\n  version 1\nend\n"
            try versions.insert(broken, rules: [], author: "someone", message: "broken")
            try await Self.waitUntil(10, "the refusal") { poller.refusedVersion == 3 }
            // The second half, all later than the first.
            try Self.publish(cluster, parts.second)
            try await run
            poller.stop()
            #expect(poller.currentVersion == 2)

            let rows = try c.execute("SELECT rule_id, anchor_event_id, rule_version, \(PostgresTextMicros.anchor) FROM alerts").rows
            let got = rows.map { AlertIdentity(ruleID: $0[0]!, anchorEventID: $0[1]!) }
            #expect(got.count == Set(got).count, "an alert was written twice")
            #expect(Set(got) == (try StreamingTests.expected()), "nothing lost, nothing added")
            let late = rows.filter { Int64($0[3]!)! >= parts.cut }
            #expect(!late.isEmpty)
            #expect(late.allSatisfy { $0[2] == "2" }, "alerts anchored after the deploy carry version 2")
            #expect(rows.contains { $0[2] == "1" }, "alerts raised before the deploy keep version 1")
            #expect(try StreamingTests.deadKinds(url)["late"] == nil)
        }
    }
}

/// `anchor_time` as µs since the epoch.
enum PostgresTextMicros {
    static let anchor = "(extract(epoch FROM anchor_time) * 1000000)::bigint"
}

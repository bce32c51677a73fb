import AlertStore
import ArgumentParser
import EventModel
import Foundation
import KafkaIngest
import LedgerGenerator
import Logging
import Pipeline
import RuleCompiler

/// `qianliyan demo`: the main job on embedded defaults.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run everything on embedded defaults: Kafka, PostgreSQL, synthetic events, a worker, the queue.",
        discussion: prose("""
        1. starts (or reuses) the embedded PostgreSQL and prints how to reach it;
        2. generates a synthetic ledger of --villages villages over --days days (seasons, working hours, heavy-tailed payees, injected anomalies for all 14 rules, near misses, duplicates, malformed lines);
        3. starts librdkafka's in-process Kafka with the five village topics;
        4. runs an ingest worker and publishes the ledger at --rate events/s with realistic disorder;
        5. serves the analysts' queue (logged in as a demo analyst) and prints its address.

        Alerts appear in the queue as the events stream in. Ctrl-C stops everything cleanly.
        """)
    )

    @Option(help: "Villages to simulate.") var villages = 24
    @Option(help: "Days of village life to simulate.") var days = 120
    @Option(help: "Random seed.") var seed: UInt64 = 2024
    @Option(help: "Events per second to publish.") var rate: Double = 400
    @Option(help: "Queue address.") var listen = "127.0.0.1:8080"
    @Option(help: "Rule files or folders.") var rules: [String] = ["Rules"]
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Exit once every event has been evaluated (for scripts and CI).") var exitWhenDone = false

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .warning
            return h
        }
        let out = RuleLoader.compile(paths: rules)
        guard let rs = out.ruleSet else {
            printDiagnostics(out.diagnostics, sources: out.sources, format: .text)
            throw ExitCode(1)
        }
        say("千里眼 Qianliyan demo")
        let url = try await db.resolve()
        let store = PostgresAlertStore(url: url)
        _ = try await store.migrate()
        await store.close()

        // A synthetic ledger and its reference tables.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qianliyan-demo-\(seed)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var gen = LedgerGenerator(GeneratorConfig(villages: villages, days: days, seed: seed, malformedRate: 0.002, duplicateRate: 0.005))
        let ledger = dir.appendingPathComponent("events.jsonl")
        FileManager.default.createFile(atPath: ledger.path, contents: nil)
        let handle = try FileHandle(forWritingTo: ledger)
        try gen.generate { try handle.write(contentsOf: Data($0)) }
        try handle.close()
        for (name, text) in gen.referenceCSVs() { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        say("generated \(gen.stats.events) events of \(villages) villages over \(days) days → \(ledger.path)")
        let tables = try ReferenceLoader.load(directory: dir.path)

        // Kafka, in process.
        let cluster = try KafkaMockCluster(topics: Dictionary(uniqueKeysWithValues: EventType.topics.map { ($0, Int32(4)) }))
        say("embedded Kafka: bootstrap \(cluster.bootstrapServers) (topics \(EventType.topics.joined(separator: ", ")))")

        var config = IngestWorker.Config(brokers: cluster.bootstrapServers)
        config.group = "qianliyan-demo-\(seed)-\(Int(Date().timeIntervalSince1970))"
        // The demo replays history fast (days of event time per second): a quiet topic
        // must not be taken for idle while the others race ahead.
        config.idleTimeout = 30 * TimeUnit.second
        config.checkpointInterval = 1
        config.kafkaOptions = KafkaMockCluster.consumerOptions
        if exitWhenDone { config.drainWhenIdle = 4 }
        let worker = IngestWorker(config: config, ruleSet: rs, tables: tables, databaseURL: url, logger: Logger(label: "qianliyan.worker"))
        let signals = SignalTrap { worker.stop() }

        let queue = try await DemoQueue.start(databaseURL: url, listen: listen, rulesPaths: rules,
                                              districts: DemoQueue.districts(referenceDirectory: dir.path))
        say("analysts' queue: \(queue)")
        let publisherDone = Box2(false)
        let publisher = Thread {
            do {
                let producer = try KafkaProducer(bootstrapServers: cluster.bootstrapServers)
                var options = LedgerPublisher.Options(rate: rate, shuffle: .seconds(120), seed: seed)
                options.progressInterval = .seconds(10)
                let p = try LedgerPublisher(producer: producer, options: options).publish(files: [ledger.path], progress: { progress in
                    FileHandle.standardError.write("  published \(progress.published) events\n")
                })
                producer.close()
                FileHandle.standardError.write("  all \(p.published) events published\n")
            } catch {
                FileHandle.standardError.write("publisher: \(error)\n")
            }
            publisherDone.value = true
        }
        publisher.start()

        say("psql: \(EmbeddedPostgres.psqlCommand(url: url))")
        say("streaming \(Int(rate)) events/s; Ctrl-C to stop")
        try await runOnThread { try worker.run() }
        withExtendedLifetime((signals, cluster, publisher)) {}
        let s = worker.metrics.snapshot()
        say("done: \(s.events) events, \(s.alerts) alerts, \(s.deadLetters) dead letters")
    }

    func say(_ s: String) { FileHandle.standardError.write(s + "\n") }
}

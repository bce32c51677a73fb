import AlertStore
import ArgumentParser
import EventModel
import Foundation
import KafkaIngest
import Logging
import Pipeline
import RuleCompiler

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The streaming ingest worker: Kafka → compiled rules → PostgreSQL.",
        discussion: prose("""
        Joins the consumer group, evaluates the village-local rules for the partitions it is given
        (the five topics are co-partitioned by village), and — when it wins the election held in
        PostgreSQL — the cross-village rules (payee across villages, worker across villages) over
        every partition. Events are released to the rules in event-time order once the watermark
        (the slowest partition's newest event time minus --lateness) has passed them; later ones
        go to dead_letters as `late`. Alerts, engine state and offsets are committed to PostgreSQL
        together; a restarted worker resumes there. Run more workers with the same --group to
        scale out. SIGTERM/SIGINT: finish the batch, commit, leave the group.

        Examples:
          qianliyan run --brokers kafka:9092 --group qianliyan \\
              --reference /etc/qianliyan/ref
          qianliyan run --embedded-kafka --drain-when-idle 5   # in-process Kafka
          qianliyan run --brokers b:9093 -X security.protocol=SASL_SSL \\
              -X sasl.mechanisms=SCRAM-SHA-512 ...

        Rules: by default (--rules-from auto) the newest version deployed with `qianliyan rules deploy`
        when the database holds one, else the --rules files; either way the worker checks for a newer
        deployed version every --rules-poll-interval seconds and switches to it at a batch boundary
        without a restart (a version that does not compile is refused and the running rules stay).
        """)
    )

    @Option(help: "Kafka bootstrap servers HOST:PORT[,HOST:PORT].") var brokers: String?
    @Flag(help: "Start librdkafka's in-process mock Kafka with the five topics (prints its address).") var embeddedKafka = false
    @Option(help: "Partitions per topic for --embedded-kafka.") var partitions: Int32 = 4
    @Option(help: "Consumer group.") var group = "qianliyan"
    @Option(help: "Rule files or folders.") var rules: [String] = ["Rules"]
    @Option(help: ArgumentHelp("Where the rules come from: auto (the newest deployed version when the database holds one, else --rules), database (deployed versions only) or files (--rules only). auto and database follow new deployments.", valueName: "auto|database|files"))
    var rulesFrom: RulesOrigin = .auto
    @Option(help: "Seconds between checks for a newly deployed rule version.") var rulesPollInterval: Double = 2
    @Option(help: "Reference CSV folder; re-read when its files change.") var reference: String?
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Allowed lateness in seconds (RULES.md default 600).") var lateness: Int = 600
    @Option(help: "Seconds a caught-up partition may stay quiet before it stops holding the watermark back.") var idleTimeout: Double = 5
    @Option(help: "Seconds between checkpoints (state + offsets).") var checkpointInterval: Double = 2
    @Option(help: "Once caught up and idle this many seconds: drain (watermark to the newest event), commit, exit 0.")
    var drainWhenIdle: Double?
    @Option(name: .customShort("X"), help: ArgumentHelp("librdkafka property NAME=VALUE, passed unchanged (repeatable): security.protocol, ssl.*, sasl.* …", valueName: "name=value"))
    var kafkaProperty: [String] = []
    @Option(help: ArgumentHelp("A file of librdkafka properties, one NAME=VALUE per line (# comments); keeps secrets such as sasl.password off the command line. -X wins over the file.", valueName: "file"))
    var kafkaConfig: String?
    @Option(help: "Static membership id (group.instance.id).") var instanceID: String?
    @Flag(help: "Do not take part in the election for the cross-village rules.") var noCrossVillage = false
    @Option(help: "Serve Prometheus metrics at http://ADDRESS/metrics (e.g. 127.0.0.1:9464).") var metricsListen: String?

    func validate() throws {
        if brokers == nil && !embeddedKafka { throw ValidationError("give --brokers HOST:PORT, or --embedded-kafka") }
        for p in kafkaProperty where !p.contains("=") { throw ValidationError("-X takes NAME=VALUE, got '\(p)'") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "qianliyan.worker")
        var mock: KafkaMockCluster? = nil
        var bootstrap = brokers ?? ""
        if embeddedKafka {
            mock = try KafkaMockCluster(topics: Dictionary(uniqueKeysWithValues: EventType.topics.map { ($0, partitions) }))
            bootstrap = mock!.bootstrapServers
            print("bootstrap: \(bootstrap)")
        }
        let url = try await db.resolve()
        let store = PostgresAlertStore(url: url)
        _ = try await store.migrate()
        await store.close()
        let (rs, deployed) = try await startingRules(url: url, logger: logger)
        let tables = try ReferenceLoader.load(directory: reference)
        var config = IngestWorker.Config(brokers: bootstrap)
        config.group = group
        config.lateness = Int64(lateness) * TimeUnit.second
        config.idleTimeout = Int64(idleTimeout * 1e6)
        config.checkpointInterval = checkpointInterval
        config.drainWhenIdle = drainWhenIdle
        config.crossVillage = !noCrossVillage
        config.instanceID = instanceID
        if embeddedKafka { config.kafkaOptions = KafkaMockCluster.consumerOptions }
        if let file = kafkaConfig {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read --kafka-config \(file)") }
            for line in text.split(whereSeparator: \.isNewline) {
                let l = line.trimmingCharacters(in: .whitespaces)
                if l.isEmpty || l.hasPrefix("#") { continue }
                let parts = l.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw ValidationError("\(file): expected NAME=VALUE, got '\(l)'") }
                config.kafkaOptions[parts[0]] = parts[1]
            }
        }
        for p in kafkaProperty {
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            config.kafkaOptions[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let worker = IngestWorker(config: config, ruleSet: rs, tables: tables, databaseURL: url, logger: logger)
        let signals = SignalTrap { worker.stop() }
        let watcher = reference.map { ReferenceWatcher(directory: $0, logger: logger) { worker.updateTables($0) } }
        var poller: RuleVersionPoller? = nil
        if rulesFrom != .files {
            poller = RuleVersionPoller(databaseURL: url, interval: rulesPollInterval, current: deployed?.number, logger: logger) { rs, v in
                worker.updateRules(rs, version: v.label)
            }
            poller?.start()
        }
        var metricsServer: MetricsServer? = nil
        if let address = metricsListen {
            metricsServer = try MetricsServer(address: address) { worker.metrics.prometheusText() }
            logger.info("metrics at http://\(address)/metrics")
        }
        try await runOnThread { try worker.run() }
        poller?.stop()
        withExtendedLifetime((signals, watcher, mock, metricsServer, poller)) {}
        let s = worker.metrics.snapshot()
        FileHandle.standardError.write("worker stopped: \(s.events) records, \(s.alerts) alerts, \(s.deadLetters) dead letters, \(s.checkpoints) checkpoints\n")
    }
}

/// Where `run` takes its rules from.
enum RulesOrigin: String, ExpressibleByArgument, CaseIterable {
    case auto, database, files
}

extension RunCommand {
    /// The rules to start with: the newest deployed version (auto, database) or the rule files.
    func startingRules(url: String, logger: Logger) async throws -> (CompiledRuleSet, RuleVersion?) {
        if rulesFrom != .files {
            let store = PostgresAlertStore(url: url)
            let latest = try await store.withConnection { c in try RuleVersionStore(connection: c).latest() }
            await store.close()
            if let latest {
                let compiled = latest.bundle.compile()
                if let rs = compiled.ruleSet {
                    logger.notice("rules: deployed version \(latest.label)", metadata: ["rules.version": "\(latest.label)", "rules.hash": "\(latest.hash.prefix(12))"])
                    return (rs, latest)
                }
                printDiagnostics(compiled.diagnostics, sources: compiled.sources, format: .text)
                if rulesFrom == .database {
                    FileHandle.standardError.write("the deployed rule version \(latest.label) does not compile with this build; deploy a version that does, or start with --rules-from files\n")
                    throw ExitCode(1)
                }
                logger.error("the deployed rule version \(latest.label) does not compile with this build: starting with the rule files")
            } else if rulesFrom == .database {
                FileHandle.standardError.write("no rule version is deployed yet: run `qianliyan rules deploy Rules -m MESSAGE`, or start with --rules-from files\n")
                throw ExitCode(1)
            }
        }
        let compiled = RuleLoader.compile(paths: rules)
        guard let rs = compiled.ruleSet else {
            printDiagnostics(compiled.diagnostics, sources: compiled.sources, format: .text)
            throw ExitCode(1)
        }
        logger.notice("rules: files \(rules.joined(separator: ", "))")
        return (rs, nil)
    }
}

/// Runs blocking work on a thread of its own (off Swift's cooperative pool).
func runOnThread(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
        let t = Thread {
            do { try body(); c.resume() } catch { c.resume(throwing: error) }
        }
        t.stackSize = 8 << 20
        t.start()
    }
}

/// Calls `handler` once on SIGINT or SIGTERM.
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    init(_ handler: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                FileHandle.standardError.write("signal \(sig): finishing the batch, committing, leaving the group…\n")
                handler()
            }
            s.resume()
            sources.append(s)
        }
    }
}

/// Re-reads the reference folder when a file in it changes (polling every 2 s).
final class ReferenceWatcher: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    init(directory: String, logger: Logger, onChange: @escaping @Sendable (ReferenceTables) -> Void) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        let stamp = Box2(ReferenceWatcher.stamp(directory))
        timer.schedule(deadline: .now() + 2, repeating: 2)
        timer.setEventHandler {
            let now = ReferenceWatcher.stamp(directory)
            guard now != stamp.value else { return }
            stamp.value = now
            do {
                onChange(try ReferenceLoader.load(directory: directory))
            } catch {
                logger.error("reference tables not reloaded, the previous ones stay: \(error)")
            }
        }
        timer.resume()
    }
    deinit { timer.cancel() }

    static func stamp(_ dir: String) -> String {
        ["people", "vendors", "reference_prices", "village_limits"].map { name -> String in
            let a = try? FileManager.default.attributesOfItem(atPath: (dir as NSString).appendingPathComponent(name + ".csv"))
            return "\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\((a?[.size] as? NSNumber)?.intValue ?? -1)"
        }.joined(separator: ",")
    }
}

final class Box2<T>: @unchecked Sendable {
    // Only touched from the watcher's timer queue.
    var value: T
    init(_ v: T) { value = v }
}

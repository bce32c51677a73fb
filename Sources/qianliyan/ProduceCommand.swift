import ArgumentParser
import KafkaIngest
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `qianliyan produce`: publishes ledgers into the village topics.
struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Publish JSON Lines ledgers (plain or .gz) into the village topics, keyed by village.",
        discussion: prose("""
        Each line is sent unchanged to the topic of its type family (finance.* →
        village.finance, procurement.* → village.procurement, labor.*, lease.*,
        seal.*), keyed by its `village` value, with the murmur2 partitioner (as
        Java producers use), so a village lands on the same partition number of
        every topic. Lines whose type cannot be read go to village.finance
        (unkeyed if they have no village) so that workers see the poison
        messages and dead-letter them. Progress goes to standard error, the
        final count to standard output.

        Example: qianliyan produce --brokers 127.0.0.1:9092 --rate 500 --shuffle-minutes 5 --seed 7 ledger.jsonl.gz
        """)
    )

    @Option(help: "Kafka bootstrap servers, HOST:PORT[,HOST:PORT…] (see `qianliyan kafka start`).")
    var brokers: String

    @Option(help: "Events per second (default: as fast as possible).")
    var rate: Double?

    @Option(help: "Reorder events locally within this many minutes of event time (realistic disorder).")
    var shuffleMinutes: Double = 0

    @Option(help: "Seed for --shuffle-minutes; the same seed gives the same order.")
    var seed: UInt64 = 1

    @Option(name: [.customShort("X"), .customLong("option")],
            help: "A librdkafka producer property NAME=VALUE, passed unchanged (repeatable), e.g. -X security.protocol=SASL_SSL.")
    var options: [String] = []

    @Flag(help: "Log librdkafka's informational messages too.")
    var verbose = false

    @Argument(help: "Ledger files (JSON Lines, plain or gzip).")
    var ledgers: [String]

    func validate() throws {
        if ledgers.isEmpty { throw ValidationError("Give at least one ledger file.") }
        for ledger in ledgers where access(ledger, R_OK) != 0 {
            throw ValidationError("Cannot read ledger file '\(ledger)'.")
        }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a positive number of events per second.") }
        if !(shuffleMinutes >= 0) || shuffleMinutes > 24 * 60 { throw ValidationError("--shuffle-minutes must be between 0 and 1440.") }
        _ = try parsedOptions()
    }

    func parsedOptions() throws -> [String: String] {
        var result: [String: String] = [:]
        for option in options {
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw ValidationError("-X '\(option.prefix(40))' is not NAME=VALUE.")
            }
            result[String(option[..<equals])] = String(option[option.index(after: equals)...])
        }
        return result
    }

    func run() throws {
        let signals = try TerminationSignals()
        let producer: KafkaProducer
        do {
            // Give up on an unreachable cluster after 30 s, not librdkafka's 5 minutes (-X overrides).
            let options = ["message.timeout.ms": "30000"].merging(try parsedOptions()) { $1 }
            producer = try KafkaProducer(bootstrapServers: brokers, options: options, logger: .kafkaCommand(verbose: verbose))
        } catch let error as KafkaError {
            writeStandardError("qianliyan produce: \(error)\nCheck the -X options against librdkafka's CONFIGURATION.md.\n")
            throw ExitCode(64)
        }
        let publisher = LedgerPublisher(producer: producer, options: LedgerPublisher.Options(
            rate: rate, shuffle: .milliseconds(Int64(shuffleMinutes * 60_000)), seed: seed))
        let result: LedgerPublisher.Progress
        do {
            result = try publisher.publish(files: ledgers, shouldContinue: { !signals.received }) { progress in
                let seconds = Double(progress.elapsed.components.seconds) + Double(progress.elapsed.components.attoseconds) / 1e18
                writeStandardError("produced \(progress.published) events (\(Int(Double(progress.published) / max(seconds, 0.001)))/s), delivered \(progress.delivered)\n")
            }
        } catch {
            writeStandardError("qianliyan produce: \(error)\n")
            throw ExitCode.failure
        }
        let seconds = Double(result.elapsed.components.seconds) + Double(result.elapsed.components.attoseconds) / 1e18
        let rounded = (seconds * 100).rounded() / 100
        let topics = result.perTopic.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        print("produced \(result.published) events in \(rounded) s: \(topics); "
            + "delivered \(result.delivered), failed \(result.failed), unrouted \(result.unrouted), unkeyed \(result.unkeyed), blank lines \(result.blank)")
        fflush(stdout)
        if result.failed > 0 || result.delivered != result.published {
            let last = producer.deliveryStatistics.lastError.map { " Last error: \($0)." } ?? ""
            writeStandardError("qianliyan produce: \(result.published - result.delivered) events were not delivered.\(last) Is the cluster at \(brokers) up?\n")
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import KafkaIngest
import Logging
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `qianliyan kafka …`: embedded Kafka for the demo, tests and local runs.
struct KafkaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Embedded Kafka (librdkafka's in-memory mock cluster) for demos and tests.",
        subcommands: [Start.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Run a mock Kafka cluster in the foreground with the five village topics.",
            discussion: prose("""
            Prints `bootstrap: HOST:PORT` as the first line of standard output, then
            runs until SIGINT or SIGTERM. Any Kafka client can connect, e.g.
              qianliyan produce --brokers HOST:PORT ledger.jsonl.gz
              kcat -b HOST:PORT -L
            The mock keeps data in memory only, and only the newest 5 MiB of
            each partition (about 17,000 events of 300 bytes): consumers must
            keep up, or they see a gap. It answers a fetch that finds nothing only
            when the fetch's wait runs out, even when records arrive meanwhile: run
            workers against it with -X fetch.wait.max.ms=10 (librdkafka's default
            500 ms adds 250 ms on average to every alert).
            """)
        )

        @Option(help: "Partitions per topic (keep it equal across topics for co-partitioning).")
        var partitions: Int32 = 4

        @Option(help: "Number of brokers.")
        var brokers: Int = 1

        @Option(name: .customLong("topic"), help: "An extra topic to create (repeatable).")
        var extraTopics: [String] = []

        @Flag(help: "Log librdkafka's informational messages too.")
        var verbose = false

        func validate() throws {
            guard (1...1_000).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 1000.") }
            guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16.") }
            for topic in extraTopics where topic.isEmpty || topic.contains(where: { $0 == "," || $0 == " " }) {
                throw ValidationError("--topic '\(topic)' is not a valid topic name.")
            }
        }

        func run() throws {
            let signals = try TerminationSignals()
            let logger = Logger.kafkaCommand(verbose: verbose)
            var topics: [String: Int32] = [:]
            for topic in LedgerPublisher.defaultTopics.values { topics[topic] = partitions }
            for topic in extraTopics { topics[topic] = partitions }
            let cluster: KafkaMockCluster
            do {
                cluster = try KafkaMockCluster(brokers: brokers, topics: topics, logger: logger)
            } catch {
                writeStandardError("qianliyan kafka start: could not start the mock cluster: \(error)\n")
                throw ExitCode.failure
            }
            print("bootstrap: \(cluster.bootstrapServers)")
            fflush(stdout)
            writeStandardError("""
                embedded Kafka: \(brokers) broker(s), \(topics.count) topics × \(partitions) partitions: \
                \(topics.keys.sorted().joined(separator: ", "))
                (in memory, newest 5 MiB per partition kept; Ctrl-C to stop)

                """)
            let signal = signals.wait()
            writeStandardError("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), stopping the mock cluster\n")
            cluster.close()
        }
    }
}

extension Logger {
    /// librdkafka's logs for the Kafka commands, on standard error (stdout carries results).
    static func kafkaCommand(verbose: Bool) -> Logger {
        var logger = Logger(label: "qianliyan.kafka", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .info : .warning
        return logger
    }
}

func writeStandardError(_ text: String) {
    fputs(text, stderr)
    fflush(stderr)
}

/// SIGINT/SIGTERM through a self-pipe: the handler only writes a byte; the
/// command reads it on its own thread (``wait()``) or checks it (``received``).
final class TerminationSignals: Sendable {
    nonisolated(unsafe) private static var pipeWriteEnd: Int32 = -1
    private let readEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ExitCode.failure }
        readEnd = fds[0]
        Self.pipeWriteEnd = fds[1]
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(TerminationSignals.pipeWriteEnd, &byte, 1)
            }
            #else
            action.__sigaction_u.__sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(TerminationSignals.pipeWriteEnd, &byte, 1)
            }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Blocks until SIGINT or SIGTERM arrives; returns which.
    func wait() -> Int32 {
        var byte: UInt8 = 0
        while true {
            let count = read(readEnd, &byte, 1)
            if count == 1 { return Int32(byte) }
            if count < 0, errno == EINTR { continue }
            return SIGTERM
        }
    }

    /// True once a signal has arrived (does not block).
    var received: Bool {
        var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0
    }
}

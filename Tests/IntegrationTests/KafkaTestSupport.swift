import Foundation
import KafkaIngest
import Logging

/// Shared helpers for the Kafka tests: every test starts its own mock cluster.
enum KafkaTestSupport {
    static let villageTopics = ["village.finance", "village.procurement", "village.labor", "village.lease", "village.seal"]

    static let logger: Logger = {
        var logger = Logger(label: "test.kafka", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        return logger
    }()

    /// Client options that make tests fast on the mock: quick reconnects and short
    /// metadata refreshes.
    static let fastOptions: [String: String] = [
        "reconnect.backoff.ms": "50",
        "reconnect.backoff.max.ms": "500",
        "topic.metadata.refresh.interval.ms": "1000",
    ]

    static func cluster(topics: [String] = villageTopics, partitions: Int32 = 4, brokers: Int = 1) throws -> KafkaMockCluster {
        try KafkaMockCluster(brokers: brokers, topics: Dictionary(uniqueKeysWithValues: topics.map { ($0, partitions) }), logger: logger)
    }

    static func producer(_ cluster: KafkaMockCluster, options: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(bootstrapServers: cluster.bootstrapServers, options: fastOptions.merging(options) { $1 }, logger: logger)
    }

    static func consumer(
        _ cluster: KafkaMockCluster, group: String, topics: [String] = villageTopics,
        options: [String: String] = [:], rebalance: KafkaRebalanceHandler = KafkaRebalanceHandler()
    ) throws -> KafkaConsumer {
        try KafkaConsumer(
            bootstrapServers: cluster.bootstrapServers, groupID: group, topics: topics,
            options: fastOptions.merging(["session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "50"]) { $1 }.merging(options) { $1 },
            rebalance: rebalance, logger: logger)
    }

    /// Runs a blocking test body on its own thread, so that tests waiting on
    /// group joins (~3 s each on the mock) overlap instead of holding one of
    /// the few cooperative-pool threads.
    static func onOwnThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try body()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    static func villageKey(_ index: Int) -> [UInt8] {
        let digits = String(110_101_001_000 + index)
        return Array(digits.utf8)
    }

    /// Produces `perTopic` keyed messages to each topic (`villages` distinct keys) and flushes.
    static func produceKeyed(_ producer: KafkaProducer, topics: [String] = villageTopics, perTopic: Int, villages: Int = 37) throws {
        for topic in topics {
            for index in 0..<perTopic {
                let value = Array("{\"type\":\"x\",\"n\":\(index),\"topic\":\"\(topic)\"}".utf8)
                try producer.send(topic: topic, key: villageKey(index % villages), value: value)
            }
        }
        try producer.flush(timeout: .seconds(10))
    }

    /// What one drain saw.
    struct Drained {
        var records: [KafkaRecord] = []
        var eof: [TopicPartition: Int64] = [:]
        var errors: [KafkaError] = []
        var offsetResets: [(TopicPartition, Int64?)] = []
    }

    /// Polls until every partition in the consumer's (non-empty) assignment has
    /// reached EOF at or beyond `expectedEnd` (when given), or `timeout` passes.
    @discardableResult
    static func drain(
        _ consumer: KafkaConsumer, into drained: inout Drained, expectedEnd: [TopicPartition: Int64] = [:],
        timeout: Duration = .seconds(20), stopOnOffsetReset: Bool = false
    ) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for event in consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100)) {
                switch event {
                case .record(let record): drained.records.append(record)
                case .partitionEOF(let tp, let offset): drained.eof[tp] = offset
                case .error(let error, let tp, let offset):
                    if error.code == .autoOffsetReset, let tp {
                        drained.offsetResets.append((tp, offset))
                        if stopOnOffsetReset { return true }
                    } else {
                        drained.errors.append(error)
                    }
                }
            }
            if caughtUp(consumer, drained, expectedEnd: expectedEnd) { return true }
        }
        return false
    }

    static func caughtUp(_ consumer: KafkaConsumer, _ drained: Drained, expectedEnd: [TopicPartition: Int64]) -> Bool {
        guard let assignment = try? consumer.assignment(), !assignment.isEmpty else { return false }
        return assignment.allSatisfy { tp in
            guard let eof = drained.eof[tp] else { return false }
            return eof >= (expectedEnd[tp] ?? 0)
        }
    }

    /// High watermarks of every partition, queried through `consumer`.
    static func highWatermarks(_ consumer: KafkaConsumer, topics: [String] = villageTopics, partitions: Int32 = 4) throws -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for topic in topics {
            for partition in 0..<partitions {
                result[TopicPartition(topic: topic, partition: partition)] = try consumer.watermarkOffsets(topic: topic, partition: partition).high
            }
        }
        return result
    }
}

/// A reference the rebalance closures can reach without a retain cycle.
final class ConsumerRef: @unchecked Sendable {
    weak var consumer: KafkaConsumer?
}

/// An append-only transcript the callbacks of several consumers write to (one polling thread).
final class Transcript: @unchecked Sendable {
    enum Entry: Equatable {
        case assigned(String, [TopicPartition])
        case revoked(String, [TopicPartition], stillAssigned: [TopicPartition])
    }
    var entries: [Entry] = []
}

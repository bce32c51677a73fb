import CRdKafka
import Logging

/// Reads a fixed set of partitions from given offsets, outside any consumer
/// group (`rd_kafka_assign`, never `subscribe`): no rebalances, no group
/// join delay, nothing committed. For a worker that must see *every*
/// partition of some topics — e.g. the one evaluating cross-village rules
/// while the group spreads the village partitions over all workers.
///
/// Same defaults, events and threading as ``KafkaConsumer`` (one thread at a
/// time; `poll` blocks up to its timeout), including `auto.offset.reset=error`:
/// an offset below the log start surfaces as ``KafkaError/Code/autoOffsetReset``.
public final class KafkaPartitionReader: @unchecked Sendable {
    private let consumer: KafkaConsumer

    /// Starts reading.
    /// - Parameters:
    ///   - assignment: each partition and the next offset to read there (or a ``KafkaOffset`` value).
    ///   - groupID: only names the client to the brokers (librdkafka wants one); no group is joined.
    ///   - options: any librdkafka properties, passed unchanged (TLS/SASL included).
    public init(
        bootstrapServers: String, assignment: [TopicPartition: Int64], groupID: String = "qianliyan-partition-reader",
        options: [String: String] = [:], logger: Logger = Logger(label: "qianliyan.kafka.reader")
    ) throws(KafkaError) {
        var options = options
        options["group.instance.id"] = nil  // static membership belongs to the group consumer
        consumer = try KafkaConsumer(
            bootstrapServers: bootstrapServers, groupID: groupID, topics: Array(Set(assignment.keys.map(\.topic))).sorted(),
            manualAssignment: assignment, groupInstanceID: nil, options: options,
            rebalance: KafkaRebalanceHandler(), logger: logger)
    }

    /// See ``KafkaConsumer/poll(maxRecords:timeout:)``.
    public func poll(maxRecords: Int = 1_000, timeout: Duration = .milliseconds(100)) -> [KafkaConsumerEvent] {
        consumer.poll(maxRecords: maxRecords, timeout: timeout)
    }

    /// See ``KafkaConsumer/poll(maxRecords:timeout:record:other:)``.
    @discardableResult
    public func poll(maxRecords: Int, timeout: Duration,
                     record: (_ topic: String, _ partition: Int32, _ offset: Int64, _ value: consuming [UInt8]) -> Void,
                     other: (KafkaConsumerEvent) -> Void) -> Int {
        consumer.poll(maxRecords: maxRecords, timeout: timeout, record: record, other: other)
    }

    /// The partitions being read.
    public func assignment() throws(KafkaError) -> [TopicPartition] { try consumer.assignment() }

    /// See ``KafkaConsumer/pause(_:)``.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) { try consumer.pause(partitions) }

    /// See ``KafkaConsumer/resume(_:)``.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) { try consumer.resume(partitions) }

    /// See ``KafkaConsumer/seek(_:timeout:)``.
    public func seek(_ offsets: [TopicPartition: Int64], timeout: Duration = .seconds(5)) throws(KafkaError) {
        try consumer.seek(offsets, timeout: timeout)
    }

    /// See ``KafkaConsumer/position(_:)``.
    public func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartition: Int64] {
        try consumer.position(partitions)
    }

    /// See ``KafkaConsumer/watermarkOffsets(topic:partition:timeout:)``.
    public func watermarkOffsets(topic: String, partition: Int32, timeout: Duration = .seconds(5)) throws(KafkaError) -> (low: Int64, high: Int64) {
        try consumer.watermarkOffsets(topic: topic, partition: partition, timeout: timeout)
    }

    /// See ``KafkaConsumer/lag()``.
    public func lag() -> [TopicPartition: Int64] { consumer.lag() }

    /// Stops reading and destroys the client. Idempotent.
    public func close() { consumer.close() }

    /// True once ``close()`` has run.
    public var isClosed: Bool { consumer.isClosed }

    /// The number of partitions of `topic`, from the cluster's metadata.
    /// - Throws: ``KafkaError`` when the cluster cannot be reached within
    ///   `timeout` or does not know the topic (``KafkaError/Code/unknownTopicOrPartition``).
    public static func partitionCount(
        bootstrapServers: String, topic: String, options: [String: String] = [:],
        timeout: Duration = .seconds(10), logger: Logger = Logger(label: "qianliyan.kafka.metadata")
    ) throws(KafkaError) -> Int32 {
        var properties = options
        properties["bootstrap.servers"] = bootstrapServers
        // Consumer-only properties would only make a producer handle warn.
        for key in properties.keys where key.hasPrefix("group.") || key.hasPrefix("enable.") || key.hasPrefix("fetch.")
            || key == "auto.offset.reset" || key == "partition.assignment.strategy" || key.hasPrefix("session.")
            || key.hasPrefix("heartbeat.") {
            properties[key] = nil
        }
        let rk = try RdKafka.makeHandle(type: RD_KAFKA_PRODUCER, properties: properties, context: KafkaClientContext(logger: logger),
                                        operation: "rd_kafka_new(metadata)")
        defer { RdKafka.destroy(rk) }
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
            throw KafkaError(.invalidArgument, message: "invalid topic name", operation: "rd_kafka_topic_new")
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(rd_kafka_metadata(rk, 0, rkt, &metadata, timeout.milliseconds), operation: "rd_kafka_metadata(\(topic))")
        guard let metadata else { throw KafkaError(.fail, message: "no metadata returned", operation: "rd_kafka_metadata(\(topic))") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let entry = metadata.pointee.topics?.pointee else {
            throw KafkaError(.unknownTopicOrPartition, message: "no such topic", operation: "rd_kafka_metadata(\(topic))")
        }
        try KafkaError.check(entry.err, operation: "rd_kafka_metadata(\(topic))")
        return entry.partition_cnt
    }
}

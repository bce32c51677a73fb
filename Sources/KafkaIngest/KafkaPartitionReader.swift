import CRdKafka
import Logging

/// Reads a fixed set of partitions from given offsets, outside any consumer
/// group (librdkafka `rd_kafka_assign` without `subscribe`). The worker that
/// holds the cross-village election uses it to read every partition of the
/// topics those rules need; a group would split them between members.
///
/// Threading as ``KafkaConsumer``: one thread at a time.
public final class KafkaPartitionReader: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let context: KafkaClientContext
    private var topicNames: [OpaquePointer: String] = [:]

    public init(bootstrapServers: String, assignment: [TopicPartition: Int64], options: [String: String] = [:],
                logger: Logger = Logger(label: "qianliyan.kafka.reader")) throws(KafkaError) {
        var properties: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            // librdkafka wants a group id for a consumer handle; this one never joins or commits.
            "group.id": "qianliyan.reader",
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "true",
            "auto.offset.reset": "error",
        ]
        properties.merge(options) { _, new in new }
        context = KafkaClientContext(logger: logger)
        let rk = try RdKafka.makeHandle(type: RD_KAFKA_CONSUMER, properties: properties, context: context, operation: "rd_kafka_new(reader)")
        handle = rk
        rd_kafka_poll_set_consumer(rk)
        let list = TopicPartitionList(offsets: assignment.mapValues { $0 < 0 ? KafkaOffset.beginning : $0 })
        let err = rd_kafka_assign(rk, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            RdKafka.destroy(rk)
            handle = nil
            throw KafkaError(err, operation: "rd_kafka_assign")
        }
    }

    deinit { close() }

    public func close() {
        guard let rk = handle else { return }
        handle = nil
        rd_kafka_assign(rk, nil)
        rd_kafka_consumer_close(rk)
        RdKafka.destroy(rk)
    }

    /// Like ``KafkaConsumer/poll(maxRecords:timeout:)``.
    public func poll(maxRecords: Int = 1_000, timeout: Duration = .milliseconds(100)) -> [KafkaConsumerEvent] {
        guard let handle else { return [] }
        var events: [KafkaConsumerEvent] = []
        var wait = timeout.milliseconds
        while events.count < maxRecords, let message = rd_kafka_consumer_poll(handle, wait) {
            wait = 0
            let m = message.pointee
            let topic = name(m.rkt)
            switch m.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                events.append(.record(KafkaRecord(
                    topic: topic, partition: m.partition, offset: m.offset,
                    key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                    value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [])))
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                events.append(.partitionEOF(TopicPartition(topic: topic, partition: m.partition), offset: m.offset))
            default:
                let error = KafkaError(KafkaError.Code(m.err), message: String(cString: rd_kafka_message_errstr(message)),
                                       operation: "rd_kafka_consumer_poll", isFatal: m.err == RD_KAFKA_RESP_ERR__FATAL)
                events.append(.error(error, partition: m.rkt == nil ? nil : TopicPartition(topic: topic, partition: m.partition),
                                     offset: m.offset >= 0 ? m.offset : nil))
            }
            rd_kafka_message_destroy(message)
        }
        return events
    }

    private func name(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if let n = topicNames[rkt] { return n }
        let n = String(cString: rd_kafka_topic_name(rkt))
        topicNames[rkt] = n
        return n
    }

    /// How many partitions a topic has (from the brokers' metadata).
    public static func partitionCount(bootstrapServers: String, topic: String, options: [String: String] = [:],
                                      timeout: Duration = .seconds(10)) throws(KafkaError) -> Int32 {
        var properties = ["bootstrap.servers": bootstrapServers]
        properties.merge(options.filter { !$0.key.hasPrefix("group.") && !$0.key.hasPrefix("enable.") && $0.key != "auto.offset.reset" }) { _, new in new }
        let context = KafkaClientContext(logger: Logger(label: "qianliyan.kafka.metadata"))
        let rk = try RdKafka.makeHandle(type: RD_KAFKA_PRODUCER, properties: properties, context: context, operation: "rd_kafka_new(metadata)")
        defer { RdKafka.destroy(rk) }
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
            throw KafkaError(.invalidArgument, message: "cannot open topic \(topic)", operation: "rd_kafka_topic_new", isRetriable: false)
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var meta: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 0, rkt, &meta, Int32(timeout.milliseconds))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let meta else { throw KafkaError(err, operation: "rd_kafka_metadata") }
        defer { rd_kafka_metadata_destroy(meta) }
        guard meta.pointee.topic_cnt > 0, let t = meta.pointee.topics else {
            throw KafkaError(.unknownTopicOrPartition, message: "no metadata for \(topic)", operation: "rd_kafka_metadata")
        }
        if t[0].err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(t[0].err, operation: "rd_kafka_metadata(\(topic))") }
        return t[0].partition_cnt
    }
}

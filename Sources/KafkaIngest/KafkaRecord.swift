/// One message read from Kafka, copied out of librdkafka's buffers (it stays
/// valid after the next poll).
public struct KafkaRecord: Sendable, Hashable {
    /// The topic the message was read from.
    public var topic: String
    /// The partition the message was read from.
    public var partition: Int32
    /// The message's offset in its partition.
    public var offset: Int64
    /// The message key (the village code for the five village topics), or nil.
    public var key: [UInt8]?
    /// The message value, unchanged (empty for a tombstone).
    public var value: [UInt8]
    /// The message timestamp in milliseconds since the Unix epoch (producer
    /// create time or broker log-append time), or nil when the message has none.
    public var timestamp: Int64?

    /// A record; tests and in-memory sources build these directly.
    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    /// The record's topic and partition.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// What ``KafkaConsumer/poll(maxEvents:timeout:)`` returns, in the order librdkafka delivered it.
public enum KafkaConsumerEvent: Sendable {
    /// A message.
    case record(KafkaRecord)
    /// The consumer has read everything currently in a partition; `offset` is
    /// the next offset that will be written there (the high watermark). Sent
    /// again each time the consumer catches up after new messages.
    case partitionEOF(TopicPartition, offset: Int64)
    /// An error as a value. `partition` is set when it concerns one partition
    /// (e.g. ``KafkaError/Code/autoOffsetReset`` with `offset` the offset that
    /// could not be fetched). Most errors are transient and librdkafka keeps
    /// retrying; ``KafkaError/isFatal`` means the consumer must be recreated.
    case error(KafkaError, partition: TopicPartition?, offset: Int64?)
}

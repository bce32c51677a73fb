/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The topic name, e.g. `village.finance`.
    public var topic: String
    /// The partition number (0-based).
    public var partition: Int32

    /// A partition of a topic.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Orders by topic name, then partition number.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// `topic[partition]`, as librdkafka prints it.
    public var description: String { "\(topic)[\(partition)]" }
}

/// Special offsets librdkafka understands wherever an offset is expected
/// (``KafkaConsumer/seek(_:timeout:)``, the offsets returned by
/// ``KafkaRebalanceHandler/onAssign``).
public enum KafkaOffset {
    /// The first offset still in the log (`RD_KAFKA_OFFSET_BEGINNING`).
    public static let beginning: Int64 = -2
    /// The next offset to be written (`RD_KAFKA_OFFSET_END`).
    public static let end: Int64 = -1
    /// The committed offset, or `auto.offset.reset` if none (`RD_KAFKA_OFFSET_STORED`).
    public static let stored: Int64 = -1000
    /// No offset (`RD_KAFKA_OFFSET_INVALID`).
    public static let invalid: Int64 = -1001
}

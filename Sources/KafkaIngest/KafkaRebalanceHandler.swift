/// What a ``KafkaConsumer`` does when the group hands it partitions or takes them away.
///
/// The closures run synchronously on the thread that calls
/// ``KafkaConsumer/poll(maxRecords:timeout:)`` or ``KafkaConsumer/close()``,
/// in the middle of that call. Inside them the worker may call the consumer's
/// query methods (``KafkaConsumer/watermarkOffsets(topic:partition:timeout:)``,
/// ``KafkaConsumer/committed(_:timeout:)``, ``KafkaConsumer/commit(_:)``) but
/// never `poll` or `close`. Do not capture the consumer strongly (a cycle).
public struct KafkaRebalanceHandler {
    /// Called with the partitions just assigned, before consumption starts.
    /// Return the next offset to read for each partition — the offsets the
    /// worker's own store (PostgreSQL) holds. A partition missing from the
    /// result starts at the beginning of its log (``KafkaOffset/beginning``);
    /// any special ``KafkaOffset`` value is allowed.
    public var onAssign: ([TopicPartition]) -> [TopicPartition: Int64]

    /// Called with the partitions about to be taken away (a rebalance, or
    /// ``KafkaConsumer/close()``), BEFORE they are unassigned: flush and
    /// commit their state now. With the default eager (range) protocol every
    /// rebalance revokes the whole assignment, then assigns anew; the list may
    /// be empty.
    public var onRevoke: ([TopicPartition]) -> Void

    /// Called instead of `onRevoke` when the partitions were lost (the session
    /// timed out, another member may already own them): committing state for
    /// them may now race the new owner. Nil means call `onRevoke`.
    public var onLost: (([TopicPartition]) -> Void)?

    /// A handler; the defaults start every partition at its beginning and ignore revocations.
    public init(
        onAssign: @escaping ([TopicPartition]) -> [TopicPartition: Int64] = { _ in [:] },
        onRevoke: @escaping ([TopicPartition]) -> Void = { _ in },
        onLost: (([TopicPartition]) -> Void)? = nil
    ) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
        self.onLost = onLost
    }
}

import CRdKafka

/// An owned `rd_kafka_topic_partition_list_t`, converted to and from Swift values.
struct TopicPartitionList: ~Copyable {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    /// Takes ownership of a list librdkafka returned.
    init(owning pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    init<S: Sequence>(_ partitions: S, offset: Int64 = KafkaOffset.invalid) where S.Element == TopicPartition {
        let array = Array(partitions)
        self.init(capacity: array.count)
        for tp in array { add(tp, offset: offset) }
    }

    init(offsets: [TopicPartition: Int64]) {
        self.init(capacity: offsets.count)
        for (tp, offset) in offsets.sorted(by: { $0.key < $1.key }) { add(tp, offset: offset) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    func add(_ tp: TopicPartition, offset: Int64) {
        let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
        element.pointee.offset = offset
    }

    /// The elements of a borrowed list.
    static func elements(of list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        guard let list, let elems = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elems[index]
            return (TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                    element.offset, element.err)
        }
    }

    var elements: [(TopicPartition, Int64, rd_kafka_resp_err_t)] { Self.elements(of: pointer) }

    var partitions: [TopicPartition] { elements.map(\.0) }

    /// The first per-partition error, if any.
    func firstError(operation: String) -> KafkaError? {
        for (tp, _, err) in elements where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError(KafkaError.Code(rawValue: err.rawValue),
                              message: "\(tp): \(KafkaError.Code(rawValue: err.rawValue).text)",
                              operation: operation)
        }
        return nil
    }
}

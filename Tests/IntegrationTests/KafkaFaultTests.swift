import KafkaIngest
import Testing

/// Faults the worker must survive or report: broker outages and the mock's retention gap.
@Suite("Kafka adapter under faults")
struct KafkaFaultTests {
    typealias Support = KafkaTestSupport

    @Test("a broker goes down and comes back: consumption resumes where it stopped")
    func brokerDownAndUp() async throws {
        try await Support.onOwnThread {
            let topics = ["village.finance", "village.labor"]
            let cluster = try Support.cluster(topics: topics, partitions: 2)
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, topics: topics, perTopic: 50)

            let consumer = try Support.consumer(cluster, group: "outage", topics: topics)
            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: try Support.highWatermarks(consumer, topics: topics, partitions: 2)))
            #expect(drained.records.count == 100)

            try cluster.setBrokerDown(1)
            // Messages sent during the outage wait in the producer's queue.
            for topic in topics {
                for index in 50..<80 { try producer.send(topic: topic, key: Support.villageKey(index % 37), value: Array("late \(index)".utf8)) }
            }
            var during = Support.Drained()
            Support.drain(consumer, into: &during, timeout: .milliseconds(800))
            #expect(during.records.isEmpty)

            try cluster.setBrokerUp(1)
            try producer.flush(timeout: .seconds(15))
            #expect(producer.deliveryStatistics.delivered == 160)
            let ends = try Support.highWatermarks(consumer, topics: topics, partitions: 2)
            #expect(ends.values.reduce(0, +) == 160)
            #expect(Support.drain(consumer, into: &drained, expectedEnd: ends, timeout: .seconds(20)))
            drained.records.append(contentsOf: during.records)
            consumer.close()

            #expect(drained.records.count == 160)
            for (tp, records) in Dictionary(grouping: drained.records, by: \.topicPartition) {
                #expect(records.map(\.offset) == Array(0..<(ends[tp] ?? -1)), "\(tp): no gap, no repeat across the outage")
            }
        }
    }

    @Test("a stored offset below the log start (mock retention) is detected, reported and skipped only on request")
    func retentionGapIsDetected() async throws {
        try await Support.onOwnThread {
            // The mock keeps at most 5 MiB (or 100,000 record batches) per
            // partition: write 8 MiB to one partition so its log start moves up.
            let cluster = try Support.cluster(topics: ["village.seal"], partitions: 1)
            let producer = try Support.producer(cluster)
            var value = [UInt8](repeating: UInt8(ascii: "x"), count: 8 * 1024)
            for index in 0..<1_000 {
                value[0] = UInt8(truncatingIfNeeded: index)
                try producer.send(topic: "village.seal", key: nil, value: value, partition: 0)
            }
            try producer.flush(timeout: .seconds(30))
            let tp = TopicPartition(topic: "village.seal", partition: 0)

            // The worker's store says it has read up to offset 10 (it was behind).
            let ref = ConsumerRef()
            var logStartSeenOnAssign: Int64?
            let consumer = try Support.consumer(cluster, group: "gap", topics: ["village.seal"], rebalance: KafkaRebalanceHandler(onAssign: { partitions in
                // The check a worker makes: is my stored offset still in the log?
                logStartSeenOnAssign = try? ref.consumer?.watermarkOffsets(topic: tp.topic, partition: tp.partition).low
                return [tp: 10]
            }))
            ref.consumer = consumer
            let watermarks = try consumer.watermarkOffsets(topic: tp.topic, partition: tp.partition)
            #expect(watermarks.high == 1_000)
            #expect(watermarks.low > 10, "retention moved the log start beyond the stored offset")

            // Not checking on assign still cannot skip silently: auto.offset.reset=error.
            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, timeout: .seconds(15), stopOnOffsetReset: true))
            #expect(logStartSeenOnAssign == watermarks.low)
            #expect(drained.records.count == 0)
            #expect(drained.offsetResets.count == 1)
            #expect(drained.offsetResets.first?.0 == tp)

            // The worker reports the gap and seeks to the log start.
            try consumer.seek([tp: watermarks.low])
            #expect(Support.drain(consumer, into: &drained, expectedEnd: [tp: 1_000], timeout: .seconds(20)))
            consumer.close()
            #expect(drained.records.first?.offset == watermarks.low)
            #expect(drained.records.last?.offset == 999)
            #expect(drained.records.count == Int(1_000 - watermarks.low))
        }
    }

    @Test("mock cluster: brokers, topics, injected request errors, closing")
    func mockCluster() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster(topics: ["a"], partitions: 3, brokers: 3)
            #expect(cluster.bootstrapServers.split(separator: ",").count == 3)
            #expect(cluster.bootstrapServers.hasPrefix("127.0.0.1:"))
            try cluster.createTopic("b", partitions: 2)
            try cluster.setRoundTripTime(.milliseconds(5), broker: 2)
            #expect(throws: KafkaError.self) { try cluster.setBrokerDown(9) }

            // Two retriable produce errors: the producer retries and delivers.
            try cluster.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.produce,
                                          errors: [.init(rawValue: 7 /* REQUEST_TIMED_OUT */), .init(rawValue: 6 /* NOT_LEADER */)])
            let producer = try Support.producer(cluster)
            for index in 0..<10 { try producer.send(topic: "b", key: Support.villageKey(index), value: [UInt8(index)]) }
            try producer.flush(timeout: .seconds(10))
            #expect(producer.deliveryStatistics.delivered == 10)
            #expect(producer.deliveryStatistics.failed == 0)
            producer.close()
            #expect(throws: KafkaError.self) { try producer.send(topic: "b", key: nil, value: [1]) }

            cluster.close()
            cluster.close()
            #expect(throws: KafkaError.self) { try cluster.createTopic("c", partitions: 1) }
        }
    }

    @Test("invalid configuration is a typed error naming the property")
    func invalidConfiguration() throws {
        let error = #expect(throws: KafkaError.self) {
            try KafkaProducer(bootstrapServers: "127.0.0.1:1", options: ["no.such.property": "1"])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("no.such.property") == true)
        let consumerError = #expect(throws: KafkaError.self) {
            try KafkaConsumer(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"], options: ["partition.assignment.strategy": "nonsense"])
        }
        #expect(consumerError?.code == .invalidArgument)
    }
}

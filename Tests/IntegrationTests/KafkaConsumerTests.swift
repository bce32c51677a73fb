import KafkaIngest
import Testing

/// The librdkafka adapter against the in-process mock cluster (no Docker).
/// Each test starts its own cluster; group joins take ~3 s on the mock.
@Suite("Kafka adapter on the mock cluster")
struct KafkaConsumerTests {
    typealias Support = KafkaTestSupport

    @Test("keyed messages to 5 topics × 4 partitions arrive exactly once, in offset order")
    func exactlyOncePerPartitionInOrder() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster()
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, perTopic: 400)
            #expect(producer.deliveryStatistics.delivered == 2_000)
            #expect(producer.deliveryStatistics.failed == 0)

            let consumer = try Support.consumer(cluster, group: "exactly-once")
            let ends = try Support.highWatermarks(consumer)
            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: ends))
            consumer.close()

            #expect(drained.records.count == 2_000)
            #expect(drained.errors.isEmpty, "\(drained.errors)")
            let byPartition = Dictionary(grouping: drained.records, by: \.topicPartition)
            #expect(byPartition.count == 20, "every partition of every topic holds some villages")
            for (tp, records) in byPartition {
                #expect(records.map(\.offset) == Array(0..<(ends[tp] ?? -1)), "\(tp): each offset once, in order")
            }
            // The producer's murmur2 partitioner puts one village on the same
            // partition number in every topic.
            var partitionOfKey: [[UInt8]: Set<Int32>] = [:]
            for record in drained.records { partitionOfKey[record.key!, default: []].insert(record.partition) }
            #expect(partitionOfKey.count == 37)
            #expect(partitionOfKey.values.allSatisfy { $0.count == 1 })
            #expect(drained.records.allSatisfy { $0.timestamp != nil })
        }
    }

    @Test("the value-only poll gives every record's topic, partition, offset and value, and each EOF after its partition's records")
    func valueOnlyPoll() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster()
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, perTopic: 200)
            let consumer = try Support.consumer(cluster, group: "value-only")
            let ends = try Support.highWatermarks(consumer)
            var values: [TopicPartition: [(Int64, [UInt8])]] = [:]
            var eof: [TopicPartition: Int64] = [:]
            var eofBeforeRecords = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline && !(eof.count == ends.count && ends.allSatisfy { eof[$0.key] == $0.value }) {
                consumer.poll(maxRecords: 300, timeout: .milliseconds(100), record: { topic, partition, offset, value in
                    let tp = TopicPartition(topic: topic, partition: partition)
                    if let at = eof[tp], at <= offset { eofBeforeRecords += 1 }
                    values[tp, default: []].append((offset, value))
                }, other: { event in
                    if case .partitionEOF(let tp, let offset) = event { eof[tp] = offset }
                })
            }
            consumer.close()
            #expect(eof.count == 20)
            #expect(eofBeforeRecords == 0, "an EOF comes after the records before it")
            #expect(values.values.map(\.count).reduce(0, +) == 1_000)
            for (tp, records) in values {
                #expect(records.map(\.0) == Array(0..<(ends[tp] ?? -1)), "\(tp): each offset once, in order")
                for (_, value) in records {
                    let text = String(decoding: value, as: UTF8.self)
                    #expect(text.hasPrefix("{\"type\":\"x\"") && text.hasSuffix("\"topic\":\"\(tp.topic)\"}"), "\(text)")
                }
            }
        }
    }

    @Test("two members of one group get the same partition numbers of all five topics; revoke comes before the move")
    func coPartitioningAndRevokeOrder() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster()
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, perTopic: 40)

            let transcript = Transcript()
            func handler(_ name: String, _ ref: ConsumerRef) -> KafkaRebalanceHandler {
                KafkaRebalanceHandler(
                    onAssign: { partitions in
                        transcript.entries.append(.assigned(name, partitions.sorted()))
                        return [:]
                    },
                    onRevoke: { partitions in
                        // Called before unassigning: the consumer still holds them.
                        let still = (try? ref.consumer?.assignment()) ?? []
                        transcript.entries.append(.revoked(name, partitions.sorted(), stillAssigned: still))
                    })
            }
            let refA = ConsumerRef(), refB = ConsumerRef()
            let a = try Support.consumer(cluster, group: "co-partitioned", rebalance: handler("a", refA))
            refA.consumer = a
            var drainedA = Support.Drained()
            #expect(Support.drain(a, into: &drainedA))
            #expect(try a.assignment().count == 20)

            let b = try Support.consumer(cluster, group: "co-partitioned", rebalance: handler("b", refB))
            refB.consumer = b
            // Poll both on this one thread until each holds half of the partitions.
            let deadline = ContinuousClock.now + .seconds(25)
            var drainedB = Support.Drained()
            while ContinuousClock.now < deadline {
                Support.drain(a, into: &drainedA, timeout: .milliseconds(100))
                Support.drain(b, into: &drainedB, timeout: .milliseconds(100))
                if try a.assignment().count == 10, try b.assignment().count == 10 { break }
            }
            let assignedA = try a.assignment(), assignedB = try b.assignment()
            #expect(assignedA.count == 10 && assignedB.count == 10)
            #expect(Set(assignedA).isDisjoint(with: assignedB))
            for assigned in [assignedA, assignedB] {
                let numbersPerTopic = Dictionary(grouping: assigned, by: \.topic).mapValues { Set($0.map(\.partition)) }
                #expect(numbersPerTopic.count == 5)
                #expect(Set(numbersPerTopic.values).count == 1, "same partition numbers in every topic: \(numbersPerTopic)")
            }

            // a's revocation of all 20 partitions (while it still held them)
            // precedes b's first non-empty assignment.
            let entries = transcript.entries
            let revokeA = entries.firstIndex {
                if case .revoked("a", let partitions, let still) = $0 { return partitions.count == 20 && still.count == 20 }
                return false
            }
            let assignB = entries.firstIndex {
                if case .assigned("b", let partitions) = $0 { return !partitions.isEmpty }
                return false
            }
            #expect(revokeA != nil && assignB != nil)
            if let revokeA, let assignB { #expect(revokeA < assignB) }

            b.close()
            a.close()
            // close() revokes too, on the closing thread.
            #expect(transcript.entries.last.map { if case .revoked("a", _, _) = $0 { true } else { false } } == true)
        }
    }

    @Test("offsets returned by onAssign are where consumption starts")
    func onAssignOffsetsAreHonoured() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster()
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, perTopic: 200)

            let ref = ConsumerRef()
            var startOffsets: [TopicPartition: Int64] = [:]
            let consumer = try Support.consumer(cluster, group: "mid-log", rebalance: KafkaRebalanceHandler(onAssign: { partitions in
                // Start every partition of village.finance halfway; the others are
                // left out, so they start at the beginning.
                var offsets: [TopicPartition: Int64] = [:]
                for tp in partitions where tp.topic == "village.finance" {
                    if let high = try? ref.consumer?.watermarkOffsets(topic: tp.topic, partition: tp.partition).high {
                        offsets[tp] = high / 2
                    }
                }
                startOffsets = offsets
                return offsets
            }))
            ref.consumer = consumer
            let ends = try Support.highWatermarks(consumer)
            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: ends))
            consumer.close()

            #expect(startOffsets.count == 4)
            let byPartition = Dictionary(grouping: drained.records, by: \.topicPartition)
            for (tp, end) in ends {
                let start = startOffsets[tp] ?? 0
                #expect(byPartition[tp, default: []].map(\.offset) == Array(start..<end), "\(tp)")
            }
        }
    }

    @Test("watermark offsets report the log's start and end")
    func watermarks() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster(topics: ["wm"], partitions: 2)
            let producer = try Support.producer(cluster)
            for index in 0..<30 { try producer.send(topic: "wm", key: nil, value: [UInt8(index)], partition: Int32(index % 2 == 0 ? 0 : 1) ) }
            for index in 0..<5 { try producer.send(topic: "wm", key: nil, value: [UInt8(index)], partition: 0) }
            try producer.flush(timeout: .seconds(5))

            let consumer = try Support.consumer(cluster, group: "wm", topics: ["wm"])
            let w0 = try consumer.watermarkOffsets(topic: "wm", partition: 0)
            let w1 = try consumer.watermarkOffsets(topic: "wm", partition: 1)
            #expect(w0.low == 0 && w0.high == 20)
            #expect(w1.low == 0 && w1.high == 15)
            #expect(throws: KafkaError.self) { try consumer.watermarkOffsets(topic: "wm", partition: 7, timeout: .seconds(1)) }

            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: [TopicPartition(topic: "wm", partition: 0): 20,
                                                                         TopicPartition(topic: "wm", partition: 1): 15]))
            #expect(drained.eof == [TopicPartition(topic: "wm", partition: 0): 20, TopicPartition(topic: "wm", partition: 1): 15])
            #expect(consumer.cachedWatermarkOffsets(topic: "wm", partition: 0)?.high == 20)
            #expect(consumer.lag() == [TopicPartition(topic: "wm", partition: 0): 0, TopicPartition(topic: "wm", partition: 1): 0])
            try consumer.commit([TopicPartition(topic: "wm", partition: 0): 20])
            #expect(try consumer.committed([TopicPartition(topic: "wm", partition: 0)]) == [TopicPartition(topic: "wm", partition: 0): 20])
            consumer.close()
            #expect(consumer.isClosed)
            #expect(throws: KafkaError.self) { try consumer.assignment() }
        }
    }

    @Test("pause holds a partition back until resume; seek rewinds")
    func pauseResumeSeek() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster(topics: ["p"], partitions: 2)
            let producer = try Support.producer(cluster)
            for index in 0..<20 { try producer.send(topic: "p", key: nil, value: [UInt8(index)], partition: Int32(index % 2)) }
            try producer.flush(timeout: .seconds(5))
            let held = TopicPartition(topic: "p", partition: 1), free = TopicPartition(topic: "p", partition: 0)

            let consumer = try Support.consumer(cluster, group: "pause", topics: ["p"])
            // Join (returning at most one record), then pause partition 1: what
            // was already fetched for it is held back too.
            let deadline = ContinuousClock.now + .seconds(15)
            while try consumer.assignment().isEmpty, ContinuousClock.now < deadline {
                _ = consumer.poll(maxRecords: 1, timeout: .milliseconds(50))
            }
            try consumer.pause([held])
            var drained = Support.Drained()
            Support.drain(consumer, into: &drained, timeout: .seconds(2))
            #expect(drained.eof[free] == 10)
            #expect(drained.eof[held] == nil)
            #expect(drained.records.filter { $0.partition == held.partition }.isEmpty)

            try consumer.resume([held])
            try consumer.seek([held: 0, free: 5])
            drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: [free: 10, held: 10], timeout: .seconds(10)))
            #expect(drained.records.filter { $0.partition == held.partition }.map(\.offset) == Array(0..<10))
            #expect(drained.records.filter { $0.partition == free.partition }.map(\.offset) == Array(5..<10))
            #expect(try consumer.position([free, held]) == [free: 10, held: 10])
            consumer.close()
        }
    }

    @Test("static membership: a member that comes back with its group.instance.id gets its partitions back")
    func staticMembership() async throws {
        try await Support.onOwnThread {
            let cluster = try Support.cluster(topics: ["s"], partitions: 2)
            var assignments: [[TopicPartition]] = []
            func member() throws -> KafkaConsumer {
                try KafkaConsumer(
                    bootstrapServers: cluster.bootstrapServers, groupID: "static", topics: ["s"], groupInstanceID: "worker-1",
                    options: Support.fastOptions.merging(["session.timeout.ms": "6000"]) { $1 },
                    rebalance: KafkaRebalanceHandler(onAssign: { assignments.append($0.sorted()); return [:] }),
                    logger: Support.logger)
            }
            let first = try member()
            var drained = Support.Drained()
            #expect(Support.drain(first, into: &drained, timeout: .seconds(15)))
            first.close()
            let second = try member()
            // The rejoin takes ≈ 10 s with the mock broker on a quiet machine
            // (it failed once at 15 s with the whole suite running): room for load.
            #expect(Support.drain(second, into: &drained, timeout: .seconds(45)))
            second.close()
            #expect(assignments.count == 2)
            #expect(assignments.allSatisfy { $0 == [TopicPartition(topic: "s", partition: 0), TopicPartition(topic: "s", partition: 1)] })
        }
    }

    @Test("a partition reader reads every partition from given offsets, without joining a group")
    func partitionReader() async throws {
        try await Support.onOwnThread {
            let topics = ["village.finance", "village.labor"]
            let cluster = try Support.cluster(topics: topics, partitions: 4)
            let producer = try Support.producer(cluster)
            try Support.produceKeyed(producer, topics: topics, perTopic: 100)
            #expect(try KafkaPartitionReader.partitionCount(bootstrapServers: cluster.bootstrapServers, topic: "village.labor",
                                                            options: Support.fastOptions, logger: Support.logger) == 4)

            var assignment: [TopicPartition: Int64] = [:]
            for topic in topics { for partition in Int32(0)..<4 { assignment[TopicPartition(topic: topic, partition: partition)] = topic == "village.labor" ? 2 : 0 } }
            let start = ContinuousClock.now
            let reader = try KafkaPartitionReader(bootstrapServers: cluster.bootstrapServers, assignment: assignment,
                                                  options: Support.fastOptions, logger: Support.logger)
            #expect(try reader.assignment().count == 8)
            var records: [KafkaRecord] = []
            var eof: [TopicPartition: Int64] = [:]
            while eof.count < 8, ContinuousClock.now - start < .seconds(10) {
                for event in reader.poll(timeout: .milliseconds(100)) {
                    switch event {
                    case .record(let record): records.append(record)
                    case .partitionEOF(let tp, let offset): eof[tp] = offset
                    case .error(let error, _, _): Issue.record("\(error)")
                    }
                }
            }
            #expect(ContinuousClock.now - start < .seconds(3), "no group join")
            #expect(eof.count == 8)
            #expect(records.count == 200 - 4 * 2)
            for (tp, end) in eof {
                #expect(records.filter { $0.topicPartition == tp }.map(\.offset) == Array((assignment[tp] ?? 0)..<end))
            }
            reader.close()
            #expect(reader.isClosed)
        }
    }
}

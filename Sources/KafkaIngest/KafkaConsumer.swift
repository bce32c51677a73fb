import CRdKafka
import Logging

/// A librdkafka group consumer with manual offsets: the worker decides where
/// each assigned partition starts (``KafkaRebalanceHandler/onAssign``) and
/// keeps its own offsets (in PostgreSQL); committing to Kafka is optional.
///
/// Defaults (each can be overridden through `options`, which pass to
/// librdkafka unchanged — `security.protocol`, `ssl.*`, `sasl.*` included):
/// - `partition.assignment.strategy=range`: with the same partition count on
///   every subscribed topic, the range assignor gives each member the same
///   partition numbers of every topic. Since all five village topics are keyed
///   by village with the same partitioner, partition *n* of every topic holds
///   the same villages, so one worker sees all of a village's events
///   (co-partitioning). `roundrobin` and `cooperative-sticky` do not
///   guarantee this.
/// - `enable.auto.commit=false`, `enable.auto.offset.store=false`: offsets
///   live with the worker's state; ``commit(_:)`` is a courtesy for tools.
/// - `enable.partition.eof=true`: ``KafkaConsumerEvent/partitionEOF(_:offset:)``
///   tells the worker when it has caught up with a partition.
/// - `auto.offset.reset=error`: if a partition's offset is outside the log
///   (below the log start after retention deleted data — the mock keeps only
///   the newest 5 MiB per partition — or past its end), `poll` returns
///   ``KafkaConsumerEvent/error(_:partition:offset:)`` with
///   ``KafkaError/Code/autoOffsetReset`` and that partition stops until the
///   worker ``seek(_:timeout:)``s it, instead of librdkafka silently jumping.
///   Report the gap (``watermarkOffsets(topic:partition:timeout:)`` tells
///   where the log starts now), then seek to the log start.
///
/// Threading: `final class … : @unchecked Sendable` over `rd_kafka_t`, used
/// from one thread at a time — the worker's polling thread. All callbacks
/// (rebalance, errors) run on that thread inside ``poll(maxRecords:timeout:)``
/// or ``close()``; librdkafka's log lines go to the logger from its own threads.
/// `poll` blocks up to its timeout: call it off Swift's cooperative pool.
public final class KafkaConsumer: @unchecked Sendable {
    final class Context: KafkaClientContext, @unchecked Sendable {
        // Touched only by callbacks on the polling thread (see KafkaClientContext).
        var rebalance: KafkaRebalanceHandler
        var pendingErrors: [KafkaError] = []
        /// Where each assigned partition started (the offsets passed to assign).
        var startOffsets: [TopicPartition: Int64] = [:]
        /// Partitions the worker paused (cleared when revoked).
        var paused: Set<TopicPartition> = []

        init(logger: Logger, rebalance: KafkaRebalanceHandler) {
            self.rebalance = rebalance
            super.init(logger: logger)
        }
    }

    private var handle: OpaquePointer?
    private let context: Context
    private var topicNames: [OpaquePointer: String] = [:]
    private var lastTopic: (OpaquePointer, String)?
    /// The topics this consumer subscribed to.
    public let topics: [String]
    /// The consumer group.
    public let groupID: String

    /// The default properties; `options` passed to `init` override them.
    public static let defaultOptions: [String: String] = [
        "partition.assignment.strategy": "range",
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "enable.partition.eof": "true",
        "auto.offset.reset": "error",
    ]

    /// Creates a consumer and subscribes it to `topics`; it joins the group on the first ``poll(maxRecords:timeout:)``.
    /// - Parameters:
    ///   - bootstrapServers: `HOST:PORT[,HOST:PORT…]`.
    ///   - groupID: the consumer group (`group.id`).
    ///   - topics: the topics to subscribe to (give them equal partition counts for co-partitioning).
    ///   - groupInstanceID: static membership (`group.instance.id`): a restarted
    ///     worker with the same id gets its partitions back without a rebalance,
    ///     and a dead one keeps them until `session.timeout.ms` expires. Nil: dynamic membership.
    ///   - options: any librdkafka properties, passed unchanged; they override ``defaultOptions``.
    ///   - rebalance: where assigned partitions start and what to do before they are revoked.
    ///   - logger: librdkafka's own log lines and rebalance notes go here.
    public convenience init(
        bootstrapServers: String, groupID: String, topics: [String], groupInstanceID: String? = nil,
        options: [String: String] = [:], rebalance: KafkaRebalanceHandler = KafkaRebalanceHandler(),
        logger: Logger = Logger(label: "qianliyan.kafka.consumer")
    ) throws(KafkaError) {
        try self.init(bootstrapServers: bootstrapServers, groupID: groupID, topics: topics, manualAssignment: nil,
                      groupInstanceID: groupInstanceID, options: options, rebalance: rebalance, logger: logger)
    }

    /// Subscribes to `topics` (group mode), or assigns `manualAssignment` (no group membership: ``KafkaPartitionReader``).
    init(
        bootstrapServers: String, groupID: String, topics: [String], manualAssignment: [TopicPartition: Int64]?,
        groupInstanceID: String?, options: [String: String], rebalance: KafkaRebalanceHandler, logger: Logger
    ) throws(KafkaError) {
        var properties = Self.defaultOptions
        properties["bootstrap.servers"] = bootstrapServers
        properties["group.id"] = groupID
        if let groupInstanceID { properties["group.instance.id"] = groupInstanceID }
        properties.merge(options) { _, new in new }
        self.topics = topics
        self.groupID = groupID
        context = Context(logger: logger, rebalance: rebalance)
        let rk = try RdKafka.makeHandle(type: RD_KAFKA_CONSUMER, properties: properties, context: context, operation: "rd_kafka_new(consumer)") { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let context = KafkaClientContext.of(opaque: opaque) as? KafkaConsumer.Context else { return }
                KafkaConsumer.rebalance(rk, err: err, partitions: partitions, context: context)
            }
            rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
                guard let context = KafkaClientContext.of(opaque: opaque) as? KafkaConsumer.Context else { return }
                let error = KafkaProducer.clientError(rk, err: err, reason: reason)
                context.pendingErrors.append(error)
                // Surfaced by poll; librdkafka's log line already said it. Only fatal errors are news.
                context.logger.log(level: error.isFatal ? .critical : .debug, "\(error)", metadata: ["kafka.error": "\(error.code.name)"])
            }
        }
        handle = rk
        // Serve the main queue (errors, logs if queued) from consumer_poll.
        rd_kafka_poll_set_consumer(rk)
        let err: rd_kafka_resp_err_t
        if let manualAssignment {
            let list = TopicPartitionList(offsets: manualAssignment)
            err = rd_kafka_assign(rk, list.pointer)
            context.startOffsets = manualAssignment
        } else {
            let list = TopicPartitionList(topics.map { TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
            err = rd_kafka_subscribe(rk, list.pointer)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            RdKafka.destroy(rk)
            handle = nil
            throw KafkaError(err, operation: manualAssignment == nil ? "rd_kafka_subscribe" : "rd_kafka_assign")
        }
    }

    deinit { close() }

    private func requireHandle(_ operation: String) throws(KafkaError) -> OpaquePointer {
        guard let handle else { throw KafkaError(.destroyed, message: "consumer is closed", operation: operation) }
        return handle
    }

    // MARK: Rebalance

    private static func rebalance(
        _ rk: OpaquePointer, err: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, context: Context
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let assigned = TopicPartitionList.elements(of: partitions).map(\.0)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let offsets = context.rebalance.onAssign(assigned)
            if let partitions, let elems = partitions.pointee.elems {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let offset = offsets[assigned[index]] ?? KafkaOffset.beginning
                    elems[index].offset = offset
                    context.startOffsets[assigned[index]] = offset
                }
            }
            context.logger.info("partitions assigned", metadata: [
                "kafka.partitions": "\(assigned.sorted().map(\.description).joined(separator: ","))",
            ])
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    context.pendingErrors.append(KafkaError(consuming: error, operation: "rd_kafka_incremental_assign"))
                }
            } else {
                let err = rd_kafka_assign(rk, partitions)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    context.pendingErrors.append(KafkaError(err, operation: "rd_kafka_assign"))
                }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            context.logger.info(lost ? "partitions lost" : "partitions revoked", metadata: [
                "kafka.partitions": "\(assigned.sorted().map(\.description).joined(separator: ","))",
            ])
            for tp in assigned {
                context.startOffsets[tp] = nil
                context.paused.remove(tp)
            }
            if lost, let onLost = context.rebalance.onLost {
                onLost(assigned)
            } else {
                context.rebalance.onRevoke(assigned)
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) {
                    context.pendingErrors.append(KafkaError(consuming: error, operation: "rd_kafka_incremental_unassign"))
                }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            let error = KafkaError(err, operation: "rebalance")
            context.logger.error("rebalance failed: \(error)")
            context.pendingErrors.append(error)
            rd_kafka_assign(rk, nil)
        }
    }

    // MARK: Polling

    /// Waits up to `timeout` for the first event, then takes every event that
    /// is ready without waiting more, up to `maxRecords` events (records,
    /// partition EOFs and errors all count). Rebalance callbacks run in here.
    /// An empty result means nothing arrived within `timeout`.
    public func poll(maxRecords: Int = 1_000, timeout: Duration = .milliseconds(100)) -> [KafkaConsumerEvent] {
        var events: [KafkaConsumerEvent] = []
        events.reserveCapacity(min(maxRecords, 1_024))
        takeMessages(maxRecords: maxRecords, timeout: timeout, message: { events.append(event(from: $0)) }, error: { events.append($0) })
        return events
    }

    /// ``poll(maxRecords:timeout:)`` for a reader that wants record values only: each
    /// record's topic, partition, offset and value go to `record` (the value copied once out
    /// of librdkafka, the key and timestamp not read, nothing boxed); partition EOFs and
    /// errors go to `other`, in the order librdkafka gives them. Returns how many events
    /// (records, EOFs and errors) were taken.
    @discardableResult
    public func poll(maxRecords: Int, timeout: Duration,
                     record: (_ topic: String, _ partition: Int32, _ offset: Int64, _ value: consuming [UInt8]) -> Void,
                     other: (KafkaConsumerEvent) -> Void) -> Int {
        takeMessages(maxRecords: maxRecords, timeout: timeout, message: { message in
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                record(topicName(m.rkt), m.partition, m.offset, m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [])
            } else {
                other(event(from: message))
            }
        }, error: other)
    }

    /// The polling loop of both `poll`s: waits up to `timeout` for the first message, then
    /// takes what is ready, up to `maxRecords` events; each message goes to `message` (and is
    /// destroyed after), each error a rebalance callback recorded to `error`, in order.
    /// Returns how many events were taken.
    @discardableResult
    private func takeMessages(maxRecords: Int, timeout: Duration,
                              message: (UnsafeMutablePointer<rd_kafka_message_t>) -> Void,
                              error: (KafkaConsumerEvent) -> Void) -> Int {
        guard let handle else { return 0 }
        var taken = 0
        var wait = timeout.milliseconds
        func drainErrors() {
            for e in context.pendingErrors { error(.error(e, partition: nil, offset: nil)); taken += 1 }
            context.pendingErrors.removeAll()
        }
        while taken < maxRecords, let m = rd_kafka_consumer_poll(handle, wait) {
            wait = 0
            taken += 1
            message(m)
            rd_kafka_message_destroy(m)
            if !context.pendingErrors.isEmpty { drainErrors() }
        }
        if !context.pendingErrors.isEmpty { drainErrors() }
        return taken
    }

    private func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if let last = lastTopic, last.0 == rkt { return last.1 }
        let name = topicNames[rkt] ?? String(cString: rd_kafka_topic_name(rkt))
        topicNames[rkt] = name
        lastTopic = (rkt, name)
        return name
    }

    private func event(from message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerEvent {
        let m = message.pointee
        switch m.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(message, &timestampType)
            let record = KafkaRecord(
                topic: topicName(m.rkt), partition: m.partition, offset: m.offset,
                key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [],
                timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
            return .record(consume record)
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return .partitionEOF(TopicPartition(topic: topicName(m.rkt), partition: m.partition), offset: m.offset)
        default:
            let error = KafkaError(
                KafkaError.Code(m.err), message: String(cString: rd_kafka_message_errstr(message)),
                operation: "rd_kafka_consumer_poll",
                isFatal: m.err == RD_KAFKA_RESP_ERR__FATAL)
            if m.rkt != nil {
                return .error(error, partition: TopicPartition(topic: topicName(m.rkt), partition: m.partition),
                              offset: m.offset >= 0 ? m.offset : nil)
            }
            return .error(error, partition: nil, offset: nil)
        }
    }

    // MARK: Assignment and positions

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        let rk = try requireHandle("rd_kafka_assignment")
        var raw: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(rk, &raw), operation: "rd_kafka_assignment")
        guard let raw else { return [] }
        return TopicPartitionList(owning: raw).partitions.sorted()
    }

    /// True while the group coordinator considers this consumer's assignment lost.
    public var isAssignmentLost: Bool {
        guard let handle else { return false }
        return rd_kafka_assignment_lost(handle) != 0
    }

    /// This consumer's member id in the group (empty before the first join).
    public var memberID: String {
        guard let handle, let id = rd_kafka_memberid(handle) else { return "" }
        defer { rd_kafka_mem_free(handle, id) }
        return String(cString: id)
    }

    /// Stops fetching `partitions` (their records already fetched are not returned until resumed).
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        let rk = try requireHandle("rd_kafka_pause_partitions")
        let list = TopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_pause_partitions(rk, list.pointer), operation: "rd_kafka_pause_partitions")
        if let error = list.firstError(operation: "rd_kafka_pause_partitions") { throw error }
        context.paused.formUnion(partitions)
    }

    /// Resumes fetching paused `partitions`.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        let rk = try requireHandle("rd_kafka_resume_partitions")
        let list = TopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_resume_partitions(rk, list.pointer), operation: "rd_kafka_resume_partitions")
        if let error = list.firstError(operation: "rd_kafka_resume_partitions") { throw error }
        context.paused.subtract(partitions)
    }

    /// Moves assigned partitions to new offsets (a ``KafkaOffset`` value or
    /// an absolute offset); the next records returned start there. Records
    /// already fetched from before the seek are discarded.
    ///
    /// A partition that stopped on ``KafkaError/Code/autoOffsetReset`` is no
    /// longer being fetched, and librdkafka refuses to seek it (`_STATE`);
    /// such partitions are re-assigned at the requested offsets instead
    /// (the others keep their positions and pause state).
    public func seek(_ offsets: [TopicPartition: Int64], timeout: Duration = .seconds(5)) throws(KafkaError) {
        let rk = try requireHandle("rd_kafka_seek_partitions")
        guard !offsets.isEmpty else { return }
        var list = TopicPartitionList(offsets: offsets)
        // A seek that times out leaves its partitions' state unknown (librdkafka); seeking again is
        // harmless, and on a loaded machine the first wait can be too short (seen in CI). Three tries.
        var attempt = 1
        while true {
            let error = rd_kafka_seek_partitions(rk, list.pointer, timeout.milliseconds)
            if let error, rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT, attempt < 3 {
                rd_kafka_error_destroy(error)
                attempt += 1
                list = TopicPartitionList(offsets: offsets)
                continue
            }
            try KafkaError.check(error, operation: "rd_kafka_seek_partitions")
            break
        }
        var stopped: [TopicPartition: Int64] = [:]
        for (tp, _, err) in list.elements where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            guard err == RD_KAFKA_RESP_ERR__STATE, let offset = offsets[tp] else {
                throw KafkaError(KafkaError.Code(err), message: "\(tp): \(KafkaError.Code(err).text)", operation: "rd_kafka_seek_partitions")
            }
            stopped[tp] = offset
        }
        if !stopped.isEmpty { try reassign(stopped) }
    }

    /// Re-assigns `offsets`' partitions at those offsets, keeping the rest of
    /// the assignment at its current positions.
    private func reassign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        let rk = try requireHandle("rd_kafka_assign")
        let current = try assignment()
        if String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE" {
            let targets = TopicPartitionList(offsets: offsets)
            try KafkaError.check(rd_kafka_incremental_unassign(rk, targets.pointer), operation: "rd_kafka_incremental_unassign")
            try KafkaError.check(rd_kafka_incremental_assign(rk, targets.pointer), operation: "rd_kafka_incremental_assign")
        } else {
            let positions = try position(current)
            var all: [TopicPartition: Int64] = [:]
            for tp in current {
                all[tp] = offsets[tp] ?? positions[tp] ?? context.startOffsets[tp] ?? KafkaOffset.beginning
            }
            let list = TopicPartitionList(offsets: all)
            try KafkaError.check(rd_kafka_assign(rk, list.pointer), operation: "rd_kafka_assign")
            for (tp, offset) in all { context.startOffsets[tp] = offset }
        }
        let stillPaused = context.paused.intersection(current)
        if !stillPaused.isEmpty {
            let list = TopicPartitionList(stillPaused)
            rd_kafka_pause_partitions(rk, list.pointer)
        }
        context.logger.notice("partitions restarted", metadata: [
            "kafka.partitions": "\(offsets.map { "\($0.key)@\($0.value)" }.sorted().joined(separator: ","))",
        ])
    }

    /// The next offset this consumer will return for each partition (last
    /// returned record + 1); partitions with no position yet are omitted.
    public func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartition: Int64] {
        let rk = try requireHandle("rd_kafka_position")
        let list = TopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_position(rk, list.pointer), operation: "rd_kafka_position")
        var result: [TopicPartition: Int64] = [:]
        for (tp, offset, _) in list.elements where offset >= 0 { result[tp] = offset }
        return result
    }

    /// Asks the partition leader for the log's first offset (`low`, moved up
    /// by retention) and the next offset to be written (`high`). A stored
    /// offset below `low` means records were lost before this worker read them.
    /// Blocks up to `timeout`.
    public func watermarkOffsets(topic: String, partition: Int32, timeout: Duration = .seconds(5)) throws(KafkaError) -> (low: Int64, high: Int64) {
        let rk = try requireHandle("rd_kafka_query_watermark_offsets")
        var low: Int64 = 0
        var high: Int64 = 0
        try KafkaError.check(
            rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeout.milliseconds),
            operation: "rd_kafka_query_watermark_offsets(\(topic)[\(partition)])")
        return (low, high)
    }

    /// The last watermarks seen in fetch responses, without a request: `high`
    /// is fresh for partitions being fetched; `low` is only refreshed when
    /// `statistics.interval.ms` is set (otherwise ``KafkaOffset/invalid``).
    /// Nil when nothing is cached.
    public func cachedWatermarkOffsets(topic: String, partition: Int32) -> (low: Int64, high: Int64)? {
        guard let handle else { return nil }
        var low: Int64 = KafkaOffset.invalid
        var high: Int64 = KafkaOffset.invalid
        let err = rd_kafka_get_watermark_offsets(handle, topic, partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, low != KafkaOffset.invalid || high != KafkaOffset.invalid else { return nil }
        return (low, high)
    }

    /// Messages not yet consumed per assigned partition: cached high
    /// watermark minus position (no broker request; for metrics). Partitions
    /// without both values yet are omitted.
    public func lag() -> [TopicPartition: Int64] {
        guard let partitions = try? assignment(), let positions = try? position(partitions) else { return [:] }
        var result: [TopicPartition: Int64] = [:]
        for tp in partitions {
            guard let high = cachedWatermarkOffsets(topic: tp.topic, partition: tp.partition)?.high, high >= 0 else { continue }
            if let position = positions[tp] { result[tp] = max(0, high - position) }
        }
        return result
    }

    // MARK: Offsets in Kafka (optional)

    /// Commits offsets to the group in Kafka, synchronously. Each offset is the
    /// NEXT offset to read (last processed + 1). A courtesy for tools such as
    /// lag monitors: the worker's own store is the source of truth. Fails with
    /// ``KafkaError/Code/rebalanceInProgress`` (retriable) during a rebalance.
    public func commit(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        let rk = try requireHandle("rd_kafka_commit")
        guard !offsets.isEmpty else { return }
        let list = TopicPartitionList(offsets: offsets)
        try KafkaError.check(rd_kafka_commit(rk, list.pointer, 0), operation: "rd_kafka_commit")
        if let error = list.firstError(operation: "rd_kafka_commit") { throw error }
    }

    /// The offsets committed to Kafka for `partitions` (omitted when none).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(5)) throws(KafkaError) -> [TopicPartition: Int64] {
        let rk = try requireHandle("rd_kafka_committed")
        let list = TopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_committed(rk, list.pointer, timeout.milliseconds), operation: "rd_kafka_committed")
        var result: [TopicPartition: Int64] = [:]
        for (tp, offset, _) in list.elements where offset >= 0 { result[tp] = offset }
        return result
    }

    // MARK: Closing

    /// Leaves the group cleanly: ``KafkaRebalanceHandler/onRevoke`` runs for
    /// the current assignment (on this thread, now), then the consumer
    /// leaves and is destroyed. Idempotent. With `group.instance.id` the
    /// member does not leave: its partitions wait for it until `session.timeout.ms`.
    public func close() {
        guard let handle else { return }
        let err = rd_kafka_consumer_close(handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            context.logger.warning("consumer close: \(KafkaError(err, operation: "rd_kafka_consumer_close"))")
        }
        RdKafka.destroy(handle)
        self.handle = nil
    }

    /// True once ``close()`` has run.
    public var isClosed: Bool { handle == nil }
}

import CRdKafka
import Logging

/// A librdkafka producer: non-blocking `send`, delivery reports counted on the
/// thread that calls ``send(topic:key:value:partition:)``, ``poll(timeout:)`` or
/// ``flush(timeout:)``.
///
/// Threading: a `final class … : @unchecked Sendable` over `rd_kafka_t`. It is
/// used from one thread at a time (the caller serialises access; librdkafka's
/// produce call is itself thread-safe, but the delivery counters are not).
/// Delivery callbacks run inside `send`/`poll`/`flush` on the calling thread.
///
/// Defaults (each can be overridden through `options`):
/// - `partitioner=murmur2_random`: the Java client's partitioner. librdkafka
///   defaults to `consistent_random` (CRC32), which maps a key to a different
///   partition than Java producers do. Co-partitioning — the same village key
///   on the same partition number of every village topic, so one worker sees
///   all of a village's events — needs every producer of the five topics to
///   use one partitioner and the topics to have the same partition count;
///   murmur2 is what upstream Java systems use. Null keys go to a random partition.
/// - `linger.ms=5`, `enable.idempotence` left at librdkafka's default (false).
///
/// Security settings (`security.protocol`, `ssl.*`, `sasl.*`) and any other
/// librdkafka property pass through `options` unchanged.
public final class KafkaProducer: @unchecked Sendable {
    /// Delivery outcomes so far (updated by delivery reports).
    public struct DeliveryStatistics: Sendable, Equatable {
        /// Messages the broker acknowledged.
        public var delivered: Int = 0
        /// Messages that failed permanently (after librdkafka's retries).
        public var failed: Int = 0
        /// The most recent delivery failure.
        public var lastError: KafkaError?
    }

    final class Context: KafkaClientContext, @unchecked Sendable {
        // Touched only by the delivery/error callbacks on the thread that owns the producer.
        var statistics = DeliveryStatistics()
        var lastClientError: KafkaError?
    }

    private var handle: OpaquePointer?
    private let context: Context
    private var sendsSincePoll = 0

    /// The default properties; `options` passed to `init` override them.
    public static let defaultOptions: [String: String] = [
        "partitioner": "murmur2_random",
        "linger.ms": "5",
    ]

    /// Creates a producer.
    /// - Parameters:
    ///   - bootstrapServers: `HOST:PORT[,HOST:PORT…]`.
    ///   - options: any librdkafka properties, passed unchanged; they override ``defaultOptions``.
    ///   - logger: librdkafka's own log lines go here (not to stderr).
    public init(bootstrapServers: String, options: [String: String] = [:], logger: Logger = Logger(label: "qianliyan.kafka.producer")) throws(KafkaError) {
        var properties = Self.defaultOptions
        properties["bootstrap.servers"] = bootstrapServers
        properties.merge(options) { _, new in new }
        context = Context(logger: logger)
        handle = try RdKafka.makeHandle(type: RD_KAFKA_PRODUCER, properties: properties, context: context, operation: "rd_kafka_new(producer)") { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let context = KafkaClientContext.of(opaque: opaque) as? KafkaProducer.Context else { return }
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    context.statistics.delivered += 1
                } else {
                    context.statistics.failed += 1
                    context.statistics.lastError = KafkaError(message.pointee.err, operation: "delivery")
                }
            }
            rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
                guard let context = KafkaClientContext.of(opaque: opaque) as? KafkaProducer.Context else { return }
                let error = KafkaProducer.clientError(rk, err: err, reason: reason)
                context.lastClientError = error
                // librdkafka's log line already said it; only fatal errors are news.
                context.logger.log(level: error.isFatal ? .critical : .debug, "\(error)", metadata: ["kafka.error": "\(error.code.name)"])
            }
        }
    }

    deinit {
        if let handle {
            rd_kafka_flush(handle, 5_000)
            RdKafka.destroy(handle)
        }
    }

    /// Looks up the topics' partition leaders now, so that the first message to
    /// each does not wait for a metadata request (a producer that stays up has
    /// them already; a benchmark's would otherwise measure its own start).
    public func warmUp(topics: [String], timeout: Duration = .seconds(10)) throws(KafkaError) {
        guard let handle else { throw KafkaError(.destroyed, message: "producer is closed", operation: "warmUp") }
        for topic in topics {
            guard let rkt = rd_kafka_topic_new(handle, topic, nil) else {
                throw KafkaError(.fail, message: "cannot create a handle for \(topic)", operation: "rd_kafka_topic_new")
            }
            defer { rd_kafka_topic_destroy(rkt) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            try KafkaError.check(rd_kafka_metadata(handle, 0, rkt, &metadata, timeout.milliseconds), operation: "rd_kafka_metadata(\(topic))")
            if let metadata { rd_kafka_metadata_destroy(metadata) }
        }
    }

    /// Delivery reports received so far.
    public var deliveryStatistics: DeliveryStatistics { context.statistics }

    /// The last client-level error (all brokers down, fatal …) librdkafka reported, if any.
    public var lastClientError: KafkaError? { context.lastClientError }

    /// Messages handed to `send` that are not yet delivered or failed.
    public var inFlight: Int {
        guard let handle else { return 0 }
        return Int(rd_kafka_outq_len(handle))
    }

    /// Queues one message and returns without waiting for the broker. When
    /// librdkafka's local queue is full it serves delivery reports (polling)
    /// until there is room, so this blocks only under back-pressure.
    /// - Parameters:
    ///   - key: the message key (the village code); nil for none.
    ///   - partition: a fixed partition, or nil to let the partitioner choose.
    /// - Throws: ``KafkaError`` for non-retriable failures (unknown topic with
    ///   auto-creation off, message too large, fatal producer error, closed).
    public func send(topic: String, key: [UInt8]?, value: [UInt8], partition: Int32? = nil) throws(KafkaError) {
        guard let handle else { throw KafkaError(.destroyed, message: "producer is closed", operation: "send") }
        let err = value.withUnsafeBytes { valueBytes in
            if let key {
                return key.withUnsafeBytes { keyBytes in
                    Self.produce(handle, topic: topic, partition: partition, key: keyBytes, value: valueBytes)
                }
            }
            return Self.produce(handle, topic: topic, partition: partition, key: nil, value: valueBytes)
        }
        try afterProduce(handle, err)
    }

    /// ``send(topic:key:value:partition:)`` over borrowed bytes: librdkafka
    /// copies them before returning.
    public func send(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, partition: Int32? = nil) throws(KafkaError) {
        guard let handle else { throw KafkaError(.destroyed, message: "producer is closed", operation: "send") }
        try afterProduce(handle, Self.produce(handle, topic: topic, partition: partition, key: key, value: value))
    }

    /// Produces one message, serving delivery reports while the local queue is full.
    private static func produce(
        _ handle: OpaquePointer, topic: String, partition: Int32?,
        key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer
    ) -> rd_kafka_resp_err_t {
        while true {
            let err = qly_rd_kafka_produce_copy(
                handle, topic, partition ?? RD_KAFKA_PARTITION_UA,
                key?.baseAddress, key?.count ?? 0, value.baseAddress, value.count)
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else { return err }
            rd_kafka_poll(handle, 10)
        }
    }

    private func afterProduce(_ handle: OpaquePointer, _ err: rd_kafka_resp_err_t) throws(KafkaError) {
        if err == RD_KAFKA_RESP_ERR__FATAL {
            throw Self.clientError(handle, err: Int32(err.rawValue), reason: nil)
        }
        try KafkaError.check(err, operation: "rd_kafka_producev")
        sendsSincePoll += 1
        if sendsSincePoll >= 1_000 {
            sendsSincePoll = 0
            rd_kafka_poll(handle, 0)
        }
    }

    /// Serves delivery reports and client errors, waiting up to `timeout` for one.
    /// - Returns: the number of events served.
    @discardableResult
    public func poll(timeout: Duration = .zero) -> Int {
        guard let handle else { return 0 }
        return Int(rd_kafka_poll(handle, timeout.milliseconds))
    }

    /// Waits until every queued message is delivered or failed, serving delivery reports.
    /// - Throws: ``KafkaError/Code/timedOut`` (retriable) if messages are still in flight after `timeout`.
    public func flush(timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard let handle else { return }
        try KafkaError.check(rd_kafka_flush(handle, timeout.milliseconds), operation: "rd_kafka_flush")
    }

    /// Flushes (up to `timeout`) and destroys the producer. Idempotent; later sends throw.
    public func close(timeout: Duration = .seconds(10)) {
        guard let handle else { return }
        rd_kafka_flush(handle, timeout.milliseconds)
        RdKafka.destroy(handle)
        self.handle = nil
    }

    static func clientError(_ rk: OpaquePointer?, err: Int32, reason: UnsafePointer<CChar>?) -> KafkaError {
        let code = rd_kafka_resp_err_t(rawValue: err)
        if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(rk, &buffer, buffer.count)
            return KafkaError(KafkaError.Code(underlying), message: RdKafka.decode(buffer),
                              operation: "fatal error", isRetriable: false, isFatal: true)
        }
        return KafkaError(KafkaError.Code(code), message: reason.map { String(cString: $0) }, operation: "client error")
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` (librdkafka's timeout type).
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}


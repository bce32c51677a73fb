import CRdKafka
import Logging

/// State that librdkafka's C callbacks reach through the handle's opaque
/// pointer (`rd_kafka_conf_set_opaque` + `Unmanaged`).
///
/// Threading: `logger` is immutable and is read by the log callback on
/// librdkafka's internal threads. Everything a subclass adds is touched only
/// by callbacks that librdkafka runs on the thread calling
/// `rd_kafka_poll` / `rd_kafka_consumer_poll` / `rd_kafka_flush`, i.e. the one
/// thread that owns the client at that moment — hence `@unchecked Sendable`.
class KafkaClientContext: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// The context of a handle created by ``RdKafka/makeHandle(type:properties:context:operation:configure:)``.
    static func of(_ rk: OpaquePointer?) -> KafkaClientContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    static func of(opaque: UnsafeMutableRawPointer?) -> KafkaClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Helpers shared by the producer, the consumer and the mock cluster.
enum RdKafka {
    /// Builds an `rd_kafka_conf_t`, wires logging and the opaque, lets
    /// `configure` add callbacks, and creates the handle. The returned handle
    /// holds one retain on `context`; ``destroy(_:)`` releases it.
    static func makeHandle(
        type: rd_kafka_type_t, properties: [String: String], context: KafkaClientContext,
        operation: String, configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    .invalidArgument,
                    message: "configuration property '\(name)' rejected: "
                        + (isSecret(name) ? "invalid value" : decode(errstr)),
                    operation: operation, isRetriable: false)
            }
        }
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let context = KafkaClientContext.of(rk) else { return }
            RdKafka.log(context.logger, level: level, facility: facility, message: message, rk: rk)
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passRetained(context).toOpaque())
        configure(conf)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // rd_kafka_new frees the conf only on success.
            rd_kafka_conf_destroy(conf)
            Unmanaged.passUnretained(context).release()
            throw KafkaError(.invalidArgument, message: decode(errstr), operation: operation, isRetriable: false)
        }
        return rk
    }

    /// Destroys a handle made by ``makeHandle(type:properties:context:operation:configure:)``
    /// and releases its context (after librdkafka's threads are gone).
    static func destroy(_ rk: OpaquePointer) {
        let opaque = rd_kafka_opaque(rk)
        rd_kafka_destroy(rk)
        if let opaque { Unmanaged<KafkaClientContext>.fromOpaque(opaque).release() }
    }

    static func isSecret(_ name: String) -> Bool {
        name.contains("password") || name.contains("secret") || name.contains(".key") || name.contains("token")
    }

    static func decode(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func log(_ logger: Logger, level: Int32, facility: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?, rk: OpaquePointer?) {
        let swiftLevel: Logger.Level
        switch level {
        case ...2: swiftLevel = .critical
        case 3: swiftLevel = .error
        case 4: swiftLevel = .warning
        case 5: swiftLevel = .notice
        case 6: swiftLevel = .info
        default: swiftLevel = .debug
        }
        guard logger.logLevel <= swiftLevel else { return }
        logger.log(
            level: swiftLevel,
            "\(message.map { String(cString: $0) } ?? "")",
            metadata: [
                "kafka.facility": "\(facility.map { String(cString: $0) } ?? "")",
                "kafka.client": "\(rk.flatMap { rd_kafka_name($0) }.map { String(cString: $0) } ?? "")",
            ])
    }
}

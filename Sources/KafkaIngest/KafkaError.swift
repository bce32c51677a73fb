import CRdKafka

/// The one error type of ``KafkaIngest``: a librdkafka `rd_kafka_resp_err_t`
/// wrapped with its name, a message, and whether retrying can help.
///
/// Every librdkafka call that can fail goes through ``KafkaError/check(_:context:file:line:)``
/// or one of the `init`s below, so every failure carries the same information.
/// Failures that are not librdkafka's own (a rejected configuration property, a
/// closed client) reuse librdkafka's local error codes (`__INVALID_ARG`,
/// `__DESTROY`), so ``Code`` has one code space.
///
/// `description` never includes payloads, keys or configuration values.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A librdkafka error code (`rd_kafka_resp_err_t`). Negative codes are
    /// local to the client (`__TRANSPORT`, `__PARTITION_EOF` …), positive ones
    /// come from the broker.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw `rd_kafka_resp_err_t` value.
        public let rawValue: Int32

        /// Wraps a raw `rd_kafka_resp_err_t` value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        var rdKafka: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

        /// librdkafka's symbolic name, e.g. `_QUEUE_FULL` or `OFFSET_OUT_OF_RANGE`.
        public var name: String { String(cString: rd_kafka_err2name(rdKafka)) }

        /// librdkafka's human-readable text for the code.
        public var text: String { String(cString: rd_kafka_err2str(rdKafka)) }

        public var description: String { name }

        /// No error.
        public static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        /// The producer's local queue is full (`queue.buffering.max.messages`).
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        /// A message is larger than `message.max.bytes`.
        public static let messageTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        /// The consumer reached the end of a partition (not a failure).
        public static let partitionEOF = Code(RD_KAFKA_RESP_ERR__PARTITION_EOF)
        /// The fetch offset is outside the log (below its start or past its end),
        /// and `auto.offset.reset=error` asked for an error instead of a jump.
        public static let autoOffsetReset = Code(RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
        /// The broker said the requested offset is outside the log.
        public static let offsetOutOfRange = Code(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
        /// A local operation timed out.
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        /// A broker connection failed.
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        /// No broker is reachable.
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        /// The topic is unknown to the cluster.
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        /// The partition is unknown locally (not in the metadata).
        public static let unknownPartition = Code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        /// A fatal error: the client instance is unusable and must be recreated.
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        /// The client was closed or is being destroyed.
        public static let destroyed = Code(RD_KAFKA_RESP_ERR__DESTROY)
        /// An invalid argument, e.g. a configuration property librdkafka rejects.
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        /// A group rebalance is in progress (commits fail with this meanwhile).
        public static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        /// No offset to commit.
        public static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        /// The partition is not (or no longer) assigned to this consumer.
        public static let state = Code(RD_KAFKA_RESP_ERR__STATE)
    }

    /// The librdkafka code.
    public let code: Code
    /// What failed, in librdkafka's words or ours (never a payload).
    public let message: String
    /// True when the same operation may succeed if retried later
    /// (broker down, leader moving, queue full, timeout …).
    public let isRetriable: Bool
    /// True when the client instance is unusable and must be recreated
    /// (e.g. an idempotent producer's fatal error).
    public let isFatal: Bool
    /// The operation that failed, e.g. `rd_kafka_commit` or `rd_kafka_new`.
    public let operation: String
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: Int

    /// An error with an explicit message.
    public init(
        _ code: Code, message: String? = nil, operation: String,
        isRetriable: Bool? = nil, isFatal: Bool? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message ?? code.text
        self.operation = operation
        self.isRetriable = isRetriable ?? Self.defaultRetriable(code)
        self.isFatal = isFatal ?? (code == .fatal)
        self.file = file
        self.line = line
    }

    init(_ err: rd_kafka_resp_err_t, operation: String, file: String = #fileID, line: Int = #line) {
        self.init(Code(err), operation: operation, file: file, line: line)
    }

    /// Consumes (destroys) an `rd_kafka_error_t`.
    init(consuming error: OpaquePointer, operation: String, file: String = #fileID, line: Int = #line) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            Code(rd_kafka_error_code(error)),
            message: rd_kafka_error_string(error).map { String(cString: $0) },
            operation: operation,
            isRetriable: rd_kafka_error_is_retriable(error) != 0 || Self.defaultRetriable(Code(rd_kafka_error_code(error))),
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file, line: line)
    }

    /// Throws when `err` is not `NO_ERROR`: the choke point for `rd_kafka_resp_err_t` results.
    static func check(
        _ err: rd_kafka_resp_err_t, operation: @autoclosure () -> String,
        file: String = #fileID, line: Int = #line
    ) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, operation: operation(), file: file, line: line)
        }
    }

    /// Throws when `error` (an `rd_kafka_error_t *`) is non-nil, destroying it.
    static func check(
        _ error: OpaquePointer?, operation: @autoclosure () -> String,
        file: String = #fileID, line: Int = #line
    ) throws(KafkaError) {
        if let error {
            throw KafkaError(consuming: error, operation: operation(), file: file, line: line)
        }
    }

    /// Codes for which a later retry of the same request may succeed.
    static func defaultRetriable(_ code: Code) -> Bool {
        switch code.rdKafka {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
             RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__WAIT_COORD,
             RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__RETRY, RD_KAFKA_RESP_ERR__IN_PROGRESS,
             RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
             RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
             RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
             RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
             RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
             RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND,
             RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
             RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
            return true
        default:
            return false
        }
    }

    public var description: String {
        "KafkaError.\(code.name) in \(operation): \(message)\(isFatal ? " [fatal]" : "")\(isRetriable ? " [retriable]" : "")"
    }

    public var debugDescription: String {
        "\(description) (\(file):\(line), code \(code.rawValue))"
    }
}

import CRdKafka
import Logging

/// An in-process Kafka cluster (librdkafka's `rdkafka_mock`), for tests, the
/// demo and `qianliyan kafka start`. Any Kafka client can connect to
/// ``bootstrapServers`` (plaintext, no auth).
///
/// Known limits of the mock (librdkafka 2.0.2), design around them:
/// - Retention is hard-coded: each partition keeps only its newest 5 MiB of
///   record batches, or 100,000 batches (not messages). With batching
///   producers the 5 MiB bound is the one that bites: about 17,000 events of
///   300 bytes per partition. Older batches vanish silently and the log start
///   moves up; a consumer behind it sees a gap (detect it with
///   ``KafkaConsumer/watermarkOffsets(topic:partition:timeout:)``; the
///   consumer's default `auto.offset.reset=error` reports it as an error event).
/// - A consumer-group join takes ~3 s; a second member joining up to ~8 s.
/// - Data lives in memory only and is lost on ``close()``.
/// - The listen ports are random; there is no way to choose them.
/// - A fetch that finds no new records is answered only when its max wait
///   runs out, even when records arrive meanwhile (a real broker answers as
///   soon as they do): give consumers ``consumerOptions``.
///
/// Threading: the mock runs on its own thread and its control functions are
/// thread-safe (they post to that thread), so this class is safe to share;
/// ``close()`` is guarded by a mutex.
public final class KafkaMockCluster: @unchecked Sendable {
    /// Consumer properties for clients of the mock. librdkafka's default
    /// `fetch.wait.max.ms` of 500 ms added 250 ms on average (p99 over
    /// 500 ms) to each record's way to an alert at a steady 2,000 events/s;
    /// with 10 ms it took 30 ms (p99 80 ms). An idle consumer then sends a
    /// fetch every 10 ms over loopback.
    public static let consumerOptions = ["fetch.wait.max.ms": "10"]

    private struct Handles {
        var cluster: OpaquePointer?
        var host: OpaquePointer?
    }
    private let handles: Locked<Handles>

    /// `127.0.0.1:PORT[,127.0.0.1:PORT…]` — what clients use as `bootstrap.servers`.
    public let bootstrapServers: String
    /// The number of brokers (ids 1…brokers).
    public let brokerCount: Int

    /// Starts a mock cluster.
    /// - Parameters:
    ///   - brokers: how many brokers (ids `1…brokers`); partition leaders are spread over them.
    ///   - topics: topic name → partition count, created up front (replication factor 1).
    ///     Unknown topics are auto-created on first use with the mock's default partition count.
    ///   - logger: librdkafka's log lines (the mock's and its host handle's).
    public init(brokers: Int = 1, topics: [String: Int32] = [:], logger: Logger = Logger(label: "qianliyan.kafka.mock")) throws(KafkaError) {
        precondition(brokers >= 1, "a cluster needs at least one broker")
        // The mock needs a host rd_kafka_t; a producer handle with no brokers
        // of its own is the cheapest. It logs through swift-log like any client.
        let host = try RdKafka.makeHandle(
            type: RD_KAFKA_PRODUCER, properties: ["client.id": "qianliyan-mock-host"],
            context: KafkaClientContext(logger: logger), operation: "rd_kafka_new(mock host)")
        guard let cluster = rd_kafka_mock_cluster_new(host, Int32(brokers)) else {
            RdKafka.destroy(host)
            throw KafkaError(.fail, message: "rd_kafka_mock_cluster_new failed", operation: "rd_kafka_mock_cluster_new")
        }
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerCount = brokers
        handles = Locked(Handles(cluster: cluster, host: host))
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            do {
                try createTopic(name, partitions: partitions)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    private func withCluster<R>(_ operation: String, _ body: (OpaquePointer) -> R) throws(KafkaError) -> R {
        let result: R? = handles.withLock { handles in handles.cluster.map(body) }
        guard let result else { throw KafkaError(.destroyed, message: "mock cluster is closed", operation: operation) }
        return result
    }

    /// Creates a topic (replication factor 1).
    public func createTopic(_ name: String, partitions: Int32) throws(KafkaError) {
        let err = try withCluster("rd_kafka_mock_topic_create") { rd_kafka_mock_topic_create($0, name, partitions, 1) }
        try KafkaError.check(err, operation: "rd_kafka_mock_topic_create(\(name))")
    }

    /// Takes broker `id` (1-based) down: its connections close and it refuses new ones.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        let err = try withCluster("rd_kafka_mock_broker_set_down") { rd_kafka_mock_broker_set_down($0, id) }
        try KafkaError.check(err, operation: "rd_kafka_mock_broker_set_down(\(id))")
    }

    /// Brings broker `id` back up.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        let err = try withCluster("rd_kafka_mock_broker_set_up") { rd_kafka_mock_broker_set_up($0, id) }
        try KafkaError.check(err, operation: "rd_kafka_mock_broker_set_up(\(id))")
    }

    /// Adds a round-trip delay to every response of broker `id`.
    public func setRoundTripTime(_ rtt: Duration, broker id: Int32) throws(KafkaError) {
        let err = try withCluster("rd_kafka_mock_broker_set_rtt") { rd_kafka_mock_broker_set_rtt($0, id, rtt.milliseconds) }
        try KafkaError.check(err, operation: "rd_kafka_mock_broker_set_rtt(\(id))")
    }

    /// Makes the next `errors.count` requests with Kafka API key `apiKey`
    /// (e.g. ``ApiKey/produce`` = 0, ``ApiKey/fetch`` = 1) fail with those errors, in order, on any broker.
    public func pushRequestErrors(apiKey: Int16, errors: [KafkaError.Code]) throws(KafkaError) {
        var raw = errors.map(\.rdKafka)
        try withCluster("rd_kafka_mock_push_request_errors_array") { cluster in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, raw.count, &raw)
        }
    }

    /// Makes every request touching `topic` fail with `error` (``KafkaError/Code/noError`` clears it).
    public func setTopicError(_ topic: String, error: KafkaError.Code) throws(KafkaError) {
        try withCluster("rd_kafka_mock_topic_set_error") { rd_kafka_mock_topic_set_error($0, topic, error.rdKafka) }
    }

    /// Kafka protocol API keys commonly used with ``pushRequestErrors(apiKey:errors:)``.
    public enum ApiKey {
        public static let produce: Int16 = 0
        public static let fetch: Int16 = 1
        public static let listOffsets: Int16 = 2
        public static let metadata: Int16 = 3
        public static let offsetCommit: Int16 = 8
        public static let offsetFetch: Int16 = 9
        public static let findCoordinator: Int16 = 10
        public static let joinGroup: Int16 = 11
        public static let heartbeat: Int16 = 12
        public static let syncGroup: Int16 = 14
    }

    /// Stops the cluster and frees it. Idempotent; clients still connected see their brokers go away.
    public func close() {
        let taken = handles.withLock { handles -> Handles in
            defer { handles = Handles() }
            return handles
        }
        if let cluster = taken.cluster { rd_kafka_mock_cluster_destroy(cluster) }
        if let host = taken.host { RdKafka.destroy(host) }
    }
}

extension KafkaError.Code {
    /// A generic local failure (`__FAIL`).
    public static let fail = KafkaError.Code(RD_KAFKA_RESP_ERR__FAIL)
}

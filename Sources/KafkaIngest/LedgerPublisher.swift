import LedgerFiles

/// Publishes JSON Lines ledgers (plain or gzip) into the village topics:
/// what `qianliyan produce` and the demo use to feed a cluster.
///
/// Each non-blank line becomes one message, its bytes unchanged. The topic
/// comes from the family of the line's `type` (`finance.payment` →
/// `village.finance`, as in EVENTS.md); the key is the line's `village` value.
/// Parsing is deliberately light (the three string fields `type`, `village`,
/// `occurred_at` of the top-level object, nothing validated): a line whose type
/// cannot be read or whose family is unknown goes to ``Options/fallbackTopic``
/// (`village.finance`), unkeyed if it has no `village`, so poison messages
/// reach the workers and their dead-letter path instead of being dropped here.
public struct LedgerPublisher {
    /// How to publish.
    public struct Options: Sendable {
        /// Events per second; nil publishes as fast as the producer takes them.
        public var rate: Double?
        /// Maximum local disorder in event time (`--shuffle-minutes`): each
        /// event is delayed by a random amount up to this, so events less than
        /// this far apart may swap. Zero keeps the file order.
        public var shuffle: Duration = .zero
        /// Seed for the shuffle; the same seed gives the same order.
        public var seed: UInt64 = 1
        /// Type family (the part of `type` before the first `.`) → topic.
        public var topics: [String: String] = LedgerPublisher.defaultTopics
        /// Where lines with an unreadable type or an unknown family go.
        public var fallbackTopic: String = "village.finance"
        /// How often `progress` is called.
        public var progressInterval: Duration = .seconds(2)

        /// Default options: full speed, file order, EVENTS.md's topics.
        public init(rate: Double? = nil, shuffle: Duration = .zero, seed: UInt64 = 1) {
            self.rate = rate
            self.shuffle = shuffle
            self.seed = seed
        }
    }

    /// Counts so far.
    public struct Progress: Sendable, Equatable {
        /// Messages handed to the producer.
        public var published = 0
        /// Per topic.
        public var perTopic: [String: Int] = [:]
        /// Lines sent to the fallback topic because their type was unreadable or unknown.
        public var unrouted = 0
        /// Lines sent without a key (no readable `village`).
        public var unkeyed = 0
        /// Blank lines skipped.
        public var blank = 0
        /// Time since publishing started.
        public var elapsed: Duration = .zero
        /// Messages the broker acknowledged (final after ``LedgerPublisher/publish(files:shouldContinue:progress:)`` returns).
        public var delivered = 0
        /// Messages that failed delivery.
        public var failed = 0
    }

    /// The topics of EVENTS.md by type family.
    public static let defaultTopics: [String: String] = [
        "finance": "village.finance",
        "procurement": "village.procurement",
        "labor": "village.labor",
        "lease": "village.lease",
        "seal": "village.seal",
    ]

    private struct Pending {
        var topic: Int
        var key: [UInt8]?
        var value: [UInt8]
    }

    let producer: KafkaProducer
    let options: Options
    private let families: [([UInt8], Int)]
    private let topicNames: [String]
    private let fallback: Int

    /// A publisher sending through `producer` (which keeps its own configuration, e.g. the murmur2 partitioner).
    public init(producer: KafkaProducer, options: Options = Options()) {
        self.producer = producer
        self.options = options
        var names = Array(Set(options.topics.values).union([options.fallbackTopic])).sorted()
        if names.isEmpty { names = [options.fallbackTopic] }
        topicNames = names
        families = options.topics.sorted(by: { $0.key < $1.key }).map { (Array($0.key.utf8), names.firstIndex(of: $0.value)!) }
        fallback = names.firstIndex(of: options.fallbackTopic)!
    }

    /// Publishes every line of `files`, in order (up to the shuffle), then
    /// flushes the producer.
    /// - Parameters:
    ///   - shouldContinue: checked every 256 lines; returning false stops early (then flushes).
    ///   - progress: called every ``Options/progressInterval`` on this thread.
    /// - Returns: the final counts, delivery included.
    public func publish(
        files: [String], shouldContinue: () -> Bool = { true }, progress: (Progress) -> Void = { _ in }
    ) throws(KafkaError) -> Progress {
        let clock = ContinuousClock()
        let start = clock.now
        var counts = Progress()
        var perTopic = [Int](repeating: 0, count: topicNames.count)
        var nextProgress = start + options.progressInterval
        let shuffleMilliseconds = Int64(options.shuffle.components.seconds * 1000 + options.shuffle.components.attoseconds / 1_000_000_000_000_000)
        var disorder = shuffleMilliseconds > 0 ? DisorderBuffer<Pending>(maxDelayMilliseconds: shuffleMilliseconds, seed: options.seed) : nil
        var released: [Pending] = []

        func report() {
            counts.elapsed = clock.now - start
            counts.perTopic = Dictionary(uniqueKeysWithValues: zip(topicNames, perTopic).filter { $0.1 > 0 })
            let statistics = producer.deliveryStatistics
            counts.delivered = statistics.delivered
            counts.failed = statistics.failed
        }

        func pace() {
            counts.published += 1
            if let rate = options.rate, rate > 0 {
                let due = start + .seconds(Double(counts.published) / rate)
                while true {
                    let now = clock.now
                    if now >= due { break }
                    producer.poll(timeout: min(due - now, .milliseconds(100)))
                }
            }
            if counts.published & 1023 == 0 || options.rate != nil, clock.now >= nextProgress {
                report()
                progress(counts)
                nextProgress = clock.now + options.progressInterval
            }
        }

        func send(_ pending: Pending) throws(KafkaError) {
            try producer.send(topic: topicNames[pending.topic], key: pending.key, value: pending.value)
            perTopic[pending.topic] += 1
            pace()
        }

        func publishLine(_ line: UnsafeRawBufferPointer) throws(KafkaError) {
            guard line.contains(where: { !Self.isWhitespace($0) }) else {
                counts.blank += 1
                return
            }
            let fields = LedgerEventFields.scan(line)
            let routed = route(line, fields.type)
            if routed == nil { counts.unrouted += 1 }
            let topic = routed ?? fallback
            if fields.village == nil { counts.unkeyed += 1 }
            if disorder != nil {
                // Mutate in place (disorder!.…): a copy would duplicate the whole heap per line.
                let eventTime = fields.occurredAt.flatMap { LedgerEventFields.epochMilliseconds(UnsafeRawBufferPointer(rebasing: line[$0])) }
                let pending = Pending(topic: topic, key: fields.village.map { Array(line[$0]) }, value: Array(line))
                released.removeAll(keepingCapacity: true)
                disorder!.insert(pending, eventTime: eventTime, releasing: &released)
                for item in released { try send(item) }
            } else {
                try producer.send(topic: topicNames[topic], key: fields.village.map { UnsafeRawBufferPointer(rebasing: line[$0]) }, value: line)
                perTopic[topic] += 1
                pace()
            }
        }

        // The ledgers are read as replays read them (`LedgerReader`: plain or
        // gzip, every member of a multi-member file, a file cut short an error).
        var lines = 0
        var stopped = false
        for path in files where !stopped {
            var failure: KafkaError?
            do {
                let reader = try LedgerReader(path: path)
                try reader.forEachLine { line, _ in
                    guard lines & 255 != 0 || shouldContinue() else { stopped = true; return false }
                    lines += 1
                    do throws(KafkaError) {
                        try publishLine(UnsafeRawBufferPointer(line))
                    } catch {
                        failure = error
                        return false
                    }
                    return true
                }
            } catch {
                throw KafkaError(.fileSystem, message: "\(error)", operation: "read ledger", isRetriable: false)
            }
            if let failure { throw failure }
        }
        if disorder != nil {
            released.removeAll()
            disorder!.drain(into: &released)
            for item in released { try send(item) }
        }
        try producer.flush(timeout: .seconds(60))
        report()
        return counts
    }

    /// The topic index for the line's type family, nil when unreadable or unknown.
    private func route(_ line: UnsafeRawBufferPointer, _ type: Range<Int>?) -> Int? {
        guard let type else { return nil }
        let familyEnd = line[type].firstIndex(of: UInt8(ascii: ".")) ?? type.upperBound
        let family = type.lowerBound..<familyEnd
        for (name, topic) in families where name.count == family.count {
            if zip(name, line[family]).allSatisfy({ $0 == $1 }) { return topic }
        }
        return nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}

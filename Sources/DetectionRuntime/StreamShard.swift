import EventModel
import RuleCompiler
import Synchronization

/// One streaming evaluator: the events of a set of Kafka partitions (the
/// same partition number of the five co-partitioned topics, or every
/// partition of the topics a cross-village rule reads), put into the total
/// order with a watermark and run through the rules.
///
/// Pure: records and the wall clock come in as arguments; alerts, dead
/// letters and the offsets to commit come out. The worker commits them with
/// `snapshot()` in one PostgreSQL transaction and resumes with `restore`.
public final class StreamShard {
    public struct Partition: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32
        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
        public static func < (a: Partition, b: Partition) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
        public var description: String { "\(topic)/\(partition)" }
    }

    public struct Config: Sendable {
        /// Allowed lateness: how far behind the newest event time of a partition the watermark trails.
        public var lateness: Int64 = 10 * TimeUnit.minute
        /// A caught-up partition with no new record for this long (wall clock) stops holding the watermark back.
        public var idleTimeout: Int64 = 5 * TimeUnit.second
        /// Evaluate condition rules when an event arrives instead of in order.
        public var eagerConditions = true
        /// Send malformed records to the dead letters (off for a shard that reads
        /// partitions another shard also reads, so each fault is reported once).
        public var reportInvalid = true
        public init() {}
    }

    struct PartitionState {
        var maxTime: Instant = .min
        var nextOffset: Int64 = 0
        var lastActivity: Instant = .min
        var caughtUp = false

        /// A record at `offset` was read at `now`; `eventTime`: its event's, if it was a new event.
        mutating func took(offset: Int64, now: Instant, eventTime: Instant?) {
            nextOffset = max(nextOffset, offset + 1)
            lastActivity = now
            caughtUp = false
            if let t = eventTime, t > maxTime { maxTime = t }
        }
    }

    /// The partitions a shard reads and their state, in slots. A `Partition`
    /// hashes its topic's name: looking up each record's partition in a
    /// dictionary was ≈ 2.5 % of a shard's time; records come in runs of one
    /// partition, so the slot found last is tried first. A partition named
    /// for the first time gets a fresh state; none is ever removed.
    struct PartitionTable {
        private(set) var keys: [Partition] = []
        private(set) var states: [PartitionState] = []
        private var slots: [Partition: Int] = [:]
        private var last = -1

        mutating func slot(_ p: Partition) -> Int {
            if last >= 0 && keys[last] == p { return last }
            if let s = slots[p] { last = s; return s }
            keys.append(p)
            states.append(PartitionState())
            last = keys.count - 1
            slots[p] = last
            return last
        }

        /// The partition's state (a fresh one when it is new).
        subscript(_ p: Partition) -> PartitionState {
            mutating get { states[slot(p)] }
            _modify {
                let s = slot(p)
                yield &states[s]
            }
        }
    }

    public let name: String
    public let config: Config
    public let engine: Engine
    let decoder = EventDecoder()
    var partitions = PartitionTable()
    var buffer = ReorderBuffer()
    var dedupe: Deduplicator
    /// Events older than this are late (they may precede events already evaluated).
    public private(set) var watermark: Instant = .min
    public var deadLetters: [DeadLetter] = []
    /// Alerts produced so far and not yet drained.
    public var alerts: [Alert] { engine.alerts }
    public private(set) var counters = Counters()

    public struct Counters: Sendable {
        public var records = 0
        public var events = 0
        public var duplicates = 0
        public var late = 0
        public var invalid = 0
        public var released = 0
    }

    public init(name: String, ruleSet: CompiledRuleSet, tables: ReferenceTables, partitions: [Partition], config: Config = Config()) {
        self.name = name
        self.config = config
        self.engine = Engine(ruleSet: ruleSet, tables: tables)
        engine.eagerConditions = config.eagerConditions
        dedupe = Deduplicator(horizon: max(config.lateness * 2, TimeUnit.day))
        for p in partitions { _ = self.partitions.slot(p) }
    }

    /// Events taken in since the last call (what a checkpoint adds to its shard's count).
    public func takeEventsSinceCheckpoint() -> Int {
        defer { eventsAtCheckpoint = counters.events }
        return counters.events - eventsAtCheckpoint
    }
    private var eventsAtCheckpoint = 0

    /// The partitions this shard reads and the next offset of each.
    public var offsets: [Partition: Int64] {
        Dictionary(uniqueKeysWithValues: zip(partitions.keys, partitions.states.lazy.map(\.nextOffset)))
    }

    public func setOffset(_ p: Partition, _ next: Int64) { partitions[p].nextOffset = next }

    /// Takes one Kafka record.
    public func ingest(_ p: Partition, offset: Int64, value: [UInt8], now: Instant) {
        counters.records += 1
        let time = take(p, offset: offset, value: value)
        partitions[p].took(offset: offset, now: now, eventTime: time)
    }

    /// Decodes, deduplicates and buffers a record; the event's time when it was a new event.
    private func take(_ p: Partition, offset: Int64, value: [UInt8]) -> Instant? {
        // Decoded straight into a free slot of the reorder buffer, where a kept event stays.
        let decoded = buffer.stagingSlot()
        switch decoder.decode(sharing: value, into: &decoded.pointee) {
        case .blank:
            counters.invalid += 1
            guard config.reportInvalid else { return nil }
            deadLetters.append(DeadLetter(source: .kafka(topic: p.topic, partition: p.partition, offset: offset), raw: value,
                                          error: DecodeError(.badJSON, "empty message")))
            return nil
        case .invalid(let err):
            counters.invalid += 1
            guard config.reportInvalid else { return nil }
            deadLetters.append(DeadLetter(source: .kafka(topic: p.topic, partition: p.partition, offset: offset), raw: value, error: err))
            return nil
        case .event:
            guard dedupe.firstSighting(id: decoded.pointee.idKey, time: decoded.pointee.time) else { counters.duplicates += 1; return nil }
            let time = decoded.pointee.time
            if time < watermark {
                counters.late += 1
                deadLetters.append(DeadLetter(source: .kafka(topic: p.topic, partition: p.partition, offset: offset), raw: value,
                                              error: DecodeError(.late, field: "occurred_at",
                                                                 "older than the watermark \(ShanghaiTime.formatUTC(watermark)); the nightly replay covers it"),
                                              eventID: decoded.pointee.id))
                return time
            }
            counters.events += 1
            if config.eagerConditions { engine.evaluateConditions(inPlace: &decoded.pointee) }
            buffer.commitStaged()
            return time
        }
    }

    /// The consumer has read everything currently in a partition.
    public func caughtUp(_ p: Partition, now: Instant) {
        partitions[p].caughtUp = true
        if partitions[p].lastActivity == .min { partitions[p].lastActivity = now }
    }

    /// Moves the watermark and evaluates every event it has passed.
    public func advance(now: Instant) {
        var w: Instant = .max
        var globalMax: Instant = .min
        var anyActive = false
        for s in partitions.states {
            globalMax = max(globalMax, s.maxTime)
            let idle = s.caughtUp && s.lastActivity != .min && now - s.lastActivity >= config.idleTimeout
            if idle { continue }
            anyActive = true
            w = min(w, s.maxTime == .min ? .min : s.maxTime - config.lateness)
        }
        if !anyActive { w = globalMax == .min ? .min : globalMax - config.lateness }
        release(to: w)
    }

    /// Drain: every partition is caught up and quiet; the watermark goes to the newest event
    /// time seen (as a replay's does at the end of input) and its deadlines fire.
    public func drain() {
        let maxSeen = partitions.states.map(\.maxTime).max() ?? .min
        guard maxSeen != .min else { return }
        buffer.drain { e in releaseToEngine(e) }
        flushReleased()
        if maxSeen + 1 > watermark { watermark = maxSeen + 1 }
        engine.advance(through: maxSeen)
    }

    func release(to w: Instant) {
        guard w != .min, w > watermark else { return }
        watermark = w
        buffer.release(before: w) { e in releaseToEngine(e) }
        flushReleased()
        engine.advance(through: w - 1)
    }

    /// Released events wait here to be evaluated a batch at a time, in
    /// place (`Engine.process(inPlace:)` keeps only the batch's last id:
    /// `process(_:)` retained and released every event's id, 3 % of a
    /// streaming worker's time).
    private var releasedBatch: [Event] = []

    private func releaseToEngine(_ e: consuming Event) {
        releasedBatch.append(e)
        if releasedBatch.count == 256 { flushReleased() }
    }

    private func flushReleased() {
        guard !releasedBatch.isEmpty else { return }
        releasedBatch.withUnsafeMutableBufferPointer { engine.process(inPlace: $0) }
        counters.released += releasedBatch.count
        releasedBatch.removeAll(keepingCapacity: true)
    }

    /// Hands out and forgets the alerts and dead letters produced so far.
    public func takeOutput() -> (alerts: [Alert], deadLetters: [DeadLetter]) {
        defer {
            engine.alerts.removeAll(keepingCapacity: true)
            deadLetters.removeAll(keepingCapacity: true)
        }
        return (engine.alerts, deadLetters)
    }

    /// Every partition has been read to its end since its last record.
    public var allCaughtUp: Bool { partitions.states.allSatisfy(\.caughtUp) }

    /// Events waiting for the watermark.
    public var buffered: Int { buffer.count }

    /// How far the watermark trails the newest event seen (for metrics), µs.
    public var watermarkDelay: Int64 {
        let maxSeen = partitions.states.map(\.maxTime).max() ?? .min
        guard maxSeen != .min, watermark != .min else { return 0 }
        return max(0, maxSeen - watermark)
    }

    // MARK: checkpoint

    static let magic: UInt64 = 0x514C_5953_4844_3031 // "QLYSHD01"

    /// Everything needed to resume: engine state, buffered events, the
    /// deduplication window, the watermark and each partition's next offset.
    public func snapshot() -> [UInt8] { image(copying: false).bytes() }

    /// The shard as it is now, to be written as `snapshot()` writes it; with
    /// `copying`, on any thread while the shard goes on (`Engine.image(copying:)`).
    public func image(copying: Bool) -> Image {
        Image(watermark: watermark, partitions: zip(partitions.keys, partitions.states).map { ($0, $1.maxTime, $1.nextOffset) }.sorted { $0.0 < $1.0 },
              buffer: buffer, seen: dedupe.remembered(), engine: engine.image(copying: copying), sizeHint: sizeHint)
    }

    /// A shard's state at one instant (`image(copying:)`).
    public struct Image: Sendable {
        let watermark: Instant
        let partitions: [(Partition, maxTime: Instant, nextOffset: Int64)]
        let buffer: ReorderBuffer
        let seen: ArraySlice<(Instant, Fingerprint)>
        let engine: EngineImage
        let sizeHint: SizeHint

        /// The snapshot's bytes.
        public func bytes() -> [UInt8] {
            // The last snapshot's size (and a tenth more): a state of hundreds of
            // MB is then not copied again and again while its buffer doubles.
            let last = sizeHint.bytes
            var w = BinaryWriter(capacity: max(1 << 20, last + last / 10))
            w.u64(StreamShard.magic)
            w.i64(watermark)
            w.int(partitions.count)
            for (p, maxTime, nextOffset) in partitions {
                w.string(p.topic)
                w.i64(Int64(p.partition))
                w.i64(maxTime)
                w.i64(nextOffset)
            }
            var pending: [Event] = []
            var copy = buffer
            copy.drain { pending.append($0) }
            w.int(pending.count)
            for e in pending { w.blob(e.raw) }
            w.int(seen.count)
            for (t, f) in seen { w.i64(t); w.fingerprint(f) }
            w.blob { engine.write(into: &$0) }
            sizeHint.bytes = w.bytes.count
            return w.bytes
        }
    }

    /// The size of the last snapshot written, shared with the images that write them.
    public final class SizeHint: Sendable {
        private let value = Atomic<Int>(0)
        var bytes: Int {
            get { value.load(ordering: .relaxed) }
            set { value.store(newValue, ordering: .relaxed) }
        }
    }

    private let sizeHint = SizeHint()

    /// Restores a checkpoint; returns the rules whose state was dropped because they changed.
    @discardableResult
    public func restore(_ bytes: [UInt8]) throws -> [String] {
        var r = BinaryReader(bytes)
        guard try r.u64() == StreamShard.magic else { throw BinaryReader.Truncated() }
        watermark = try r.i64()
        for _ in 0..<(try r.int()) {
            let topic = try r.string()
            let part = Int32(truncatingIfNeeded: try r.i64())
            let p = Partition(topic: topic, partition: part)
            partitions[p].maxTime = try r.i64()
            partitions[p].nextOffset = try r.i64()
        }
        buffer = ReorderBuffer()
        for _ in 0..<(try r.int()) {
            if case .event(let e) = decoder.decode(try r.blob()) { buffer.insert(e) }
        }
        var seen: [(Instant, Fingerprint)] = []
        for _ in 0..<(try r.int()) { seen.append((try r.i64(), try r.fingerprint())) }
        dedupe.reload(seen)
        return try engine.restore(try r.blob())
    }
}

import AlertStore
import DetectionRuntime
import EventModel
import Foundation
import KafkaIngest
import Logging
import RuleCompiler

/// The streaming ingest worker: Kafka → compiled rules → PostgreSQL.
///
/// - Village-local rules: the worker joins the consumer group and evaluates
///   one `StreamShard` per assigned partition number (the five topics are
///   co-partitioned by village, so partition N of every topic goes to the
///   same worker).
/// - Cross-village rules (a key without `village`: R12 by payee, R13 and R14
///   by worker): exactly one worker at a time — the holder of a PostgreSQL
///   advisory lock — reads every partition of the topics those rules need
///   into one `global` shard. When it dies its session ends, the lock is
///   free, and another worker takes over from the last checkpoint.
/// - Exactly-once effect: each checkpoint writes, in one transaction, the
///   alerts and dead letters produced so far, the shards' state and their
///   next offsets. Alerts of condition rules are also written at once (an
///   idempotent insert) so that they reach analysts without waiting.
///   On start or assignment a shard resumes from what PostgreSQL holds.
public final class IngestWorker: @unchecked Sendable {
    public struct Config: Sendable {
        public var brokers: String
        public var group = "qianliyan"
        public var topics = EventType.topics
        public var lateness: Int64 = 10 * TimeUnit.minute
        public var idleTimeout: Int64 = 5 * TimeUnit.second
        /// How often state and offsets are committed.
        public var checkpointInterval: Double = 2.0
        /// How often finished alerts are written between checkpoints while the
        /// worker is caught up (behind a backlog: every 0.1 s at least).
        public var flushInterval: Double = 0.02
        /// librdkafka properties passed unchanged (security.protocol, ssl.*, sasl.* …).
        public var kafkaOptions: [String: String] = [:]
        /// Stop once caught up and quiet for this long (seconds), after draining.
        public var drainWhenIdle: Double? = nil
        /// Take part in the election for the cross-village rules.
        public var crossVillage = true
        /// Static group membership (`group.instance.id`).
        public var instanceID: String? = nil
        public init(brokers: String) { self.brokers = brokers }
    }

    public let config: Config
    var localRules: CompiledRuleSet
    var globalRules: CompiledRuleSet
    var tables: ReferenceTables
    let databaseURL: String
    let logger: Logger
    public let metrics = WorkerMetrics()
    private let stopFlag = StopFlag()
    var shardConfig: StreamShard.Config

    // Touched only by the worker thread inside `run()`.
    var shards: [Int32: StreamShard] = [:]
    var globalShard: StreamShard?
    var globalConsumer: KafkaPartitionReader?
    var localConsumer: KafkaConsumer?
    var lockConnection: PostgresConnection?
    var pendingAlerts: [Alert] = []
    var pendingDead: [DeadLetter] = []
    lazy var conn = ReconnectingConnection(url: databaseURL, purpose: "worker", logger: logger, metrics: metrics,
                                           stopping: { [stopFlag] in stopFlag.isSet })
    /// Seconds spent polling since the last record: the worker's quiet time.
    /// Only time spent listening while no checkpoint is being written counts,
    /// so a checkpoint retrying through a PostgreSQL outage (here or on the
    /// checkpoint writer's thread) does not make the worker look idle (and
    /// drain) while records wait in Kafka.
    var quietSeconds = 0.0
    /// The time spent polling, µs: the clock by which shards judge a caught-up partition
    /// idle (`StreamShard.Config.idleTimeout`). Wall time would make every partition look
    /// idle after a long block, and the watermark would move on without the partitions
    /// whose records are still waiting in Kafka (they would arrive late).
    var listened: Instant = 0
    /// A new reference-table version to switch to at the next batch boundary.
    private let nextTables = Box<ReferenceTables?>(nil)
    /// A new rule set to switch to at the next batch boundary.
    private let nextRules = RuleBox()
    /// The version label of the rules in force (for logs and metrics); read from any thread.
    public var rulesVersion: String { inForce.get() }
    private let inForce = Box("files")

    public init(config: Config, ruleSet: CompiledRuleSet, tables: ReferenceTables, databaseURL: String,
                logger: Logger = Logger(label: "qianliyan.worker")) {
        self.config = config
        localRules = ruleSet.subset { $0.villageLocal }
        globalRules = ruleSet.subset { !$0.villageLocal }
        self.tables = tables
        self.databaseURL = databaseURL
        self.logger = logger
        shardConfig = StreamShard.Config()
        shardConfig.lateness = config.lateness
        shardConfig.idleTimeout = config.idleTimeout
    }

    /// Asks the worker to finish its batch, commit and leave the group.
    public func stop() { stopFlag.set() }

    /// Asks the worker to drain as soon as it is caught up (as `drainWhenIdle` does after its quiet time), then stop.
    public func requestDrain() { drainFlag.set() }
    private let drainFlag = StopFlag()

    /// Switches to new reference tables at the next batch boundary.
    public func updateTables(_ t: ReferenceTables) { nextTables.set(t) }

    /// Switches to a new rule set at the next batch boundary, atomically for
    /// all shards. Rules whose state signature is unchanged keep their state;
    /// changed and new rules start fresh. `version` labels the switch in logs.
    public func updateRules(_ rs: CompiledRuleSet, version: String) { nextRules.set((rs, version)) }

    var checkpoints: CheckpointStore { CheckpointStore(group: config.group) }
    /// Writes the periodic checkpoints while the loop goes on.
    lazy var writer = CheckpointWriter(store: checkpoints, connection: ReconnectingConnection(
        url: databaseURL, purpose: "checkpoint writer", logger: logger, metrics: metrics, stopping: { [stopFlag] in stopFlag.isSet }))

    /// Writes finished alerts and dead letters between checkpoints while the loop goes on
    /// (idempotent; their offsets follow at the next checkpoint, which waits for it), at the
    /// worker's priority: analysts wait for these.
    lazy var flusher = CheckpointWriter(store: checkpoints, connection: ReconnectingConnection(
        url: databaseURL, purpose: "alert writer", logger: logger, metrics: metrics, stopping: { [stopFlag] in stopFlag.isSet }),
        threadName: "alert-writer", niceness: 0)

    /// The topics the cross-village rules read.
    var globalTopics: [String] {
        Array(Set(globalRules.rules.flatMap { r -> [String] in
            var t = [r.triggerType.topic]
            if case .precedence(let p) = r.kind { t.append(p.requiredType.topic) }
            if case .absence(let a) = r.kind { t.append(a.expectedType.topic) }
            return t
        })).sorted()
    }

    // MARK: the loop

    /// Runs until `stop()` (or until drained when `drainWhenIdle` is set). Blocks: call it on its own thread.
    public func run() throws {
        _ = try withDatabase { c in try Migrator().migrate(c) }
        let consumer = try KafkaConsumer(
            bootstrapServers: config.brokers, groupID: config.group, topics: config.topics, groupInstanceID: config.instanceID,
            options: config.kafkaOptions,
            rebalance: KafkaRebalanceHandler(
                onAssign: { [unowned self] parts in self.assigned(parts) },
                onRevoke: { [unowned self] parts in self.revoked(parts) },
                onLost: { [unowned self] parts in self.lost(parts) }),
            logger: logger)
        localConsumer = consumer
        defer { consumer.close(); localConsumer = nil }
        var lastCheckpoint = Date()
        var checkpointEvery = config.checkpointInterval
        var takenSeconds = 0.0
        var lastFlush = Date()
        var lastElection = Date.distantPast
        logger.info("worker started", metadata: ["kafka.group": "\(config.group)", "kafka.brokers": "\(config.brokers)"])
        while !stopFlag.isSet {
            if let t = nextTables.take() { joinShards(); switchTables(t) }
            if let (rs, v) = nextRules.take() { joinShards(); switchRules(rs, version: v) }
            if config.crossVillage && !globalRules.rules.isEmpty && Date().timeIntervalSince(lastElection) > 2 {
                lastElection = Date()
                joinShards()
                electGlobal()
            }
            var routing = PollRouting()
            let polled = listening { poll(consumer.poll, local: true, timeout: running == nil ? .milliseconds(50) : .zero, into: &routing) }
            // Caught up (a poll returns what a few milliseconds bring), alerts go out
            // every `flushInterval`; behind a backlog (full polls), every 0.1 s at
            // least: each flush is a transaction, and there latency is the backlog's.
            let flushEvery = polled >= 2_000 ? max(config.flushInterval, 0.1) : config.flushInterval
            if let gc = globalConsumer {
                listening { poll(gc.poll, local: false, timeout: .milliseconds(1), into: &routing) }
            }
            for (topic, records, bytes) in routing.topics { metrics.record(topic: topic, count: records, bytes: bytes) }
            if routing.records > 0 { quietSeconds = 0 }
            joinShards()
            for s in allShards { collect(s) }
            // Every shard moves its watermark, also one that this poll brought nothing (idle partitions).
            var batch = shards.map { n, s in routing.take(n, for: s) ?? ShardWork(shard: s, now: listened) }
            if let g = globalShard { batch.append(routing.take(-1, for: g) ?? ShardWork(shard: g, now: listened)) }
            // A large poll's shards evaluate while the next poll runs; their alerts are collected after it.
            running = ShardWork.evaluate(&batch, advanceTo: listened)
            if running == nil { for s in allShards { collect(s) } }
            if let done = flusher.take(wait: false) { settleFlush(done) }
            if let done = writer.take(wait: false) {
                settle(done)
                lastCheckpoint = Date()
                // A checkpoint writes the whole state, so its cost grows with the state: keep
                // checkpoints to at most a fifth of the time (the interval is a minimum).
                checkpointEvery = max(config.checkpointInterval, (takenSeconds + done.seconds) * Self.checkpointStretch)
            }
            // Not while a flush is in flight: a flush that fails gives its alerts back, and they
            // must be in the checkpoint that commits the offsets past their events.
            if !writer.busy && !flusher.busy && Date().timeIntervalSince(lastCheckpoint) >= checkpointEvery {
                // Taken here, between two polls; compressed and written while the worker goes on.
                let start = Date()
                joinShards()
                if let job = takeCheckpoint(allShards) { writer.start(job) }
                takenSeconds = Date().timeIntervalSince(start)
                // Consumer lag from the brokers' last reported high watermarks.
                for (tp, lag) in consumer.lag() { metrics.setLag("\(tp.topic)/\(tp.partition)", lag, highWatermark: 0) }
            }
            // After the checkpoint's turn, so that flushes back to back cannot keep it waiting.
            if !pendingAlerts.isEmpty || !pendingDead.isEmpty, !flusher.busy, Date().timeIntervalSince(lastFlush) >= flushEvery {
                flusher.start(.init(alerts: pendingAlerts, deadLetters: pendingDead, shards: []))
                pendingAlerts.removeAll()
                pendingDead.removeAll()
                lastFlush = Date()
            }
            // While PostgreSQL is slow or away, the worker waits for the flush in flight rather
            // than read on and hold ever more alerts in memory.
            if pendingAlerts.count + pendingDead.count > Self.maxPending, let done = flusher.take(wait: true) { settleFlush(done) }
            if running == nil, let idle = config.drainWhenIdle ?? (drainFlag.isSet ? 0 : nil), isDrained(idle) {
                logger.info("caught up and idle: draining")
                for s in allShards { s.drain() }
                // End of input as a replay sees it: each shard's deadlines fire through the newest
                // event time of all of them, not only of its own partitions (a deadline between the
                // two would fire in the replay and never here).
                let newest = allShards.map(\.engine.lastEventTime).max() ?? .min
                if newest != .min { for s in allShards { s.engine.finish(lastEventTime: newest) } }
                for s in allShards { collect(s) }
                // Drained means written: while PostgreSQL refuses the last checkpoint, keep
                // the drained state and try again instead of ending without its alerts.
                while !checkpoint(allShards) && !stopFlag.isSet {
                    logger.warning("drained, but the last checkpoint failed; retrying in 1 s")
                    Thread.sleep(forTimeInterval: 1)
                }
                break
            }
        }
        joinShards()
        checkpoint(allShards)
        globalConsumer?.close()
        lockConnection?.close()
        conn.close()
        logger.info("worker stopped", metadata: ["events": "\(metrics.snapshot().events)"])
    }

    /// Alerts and dead letters held while a flush is in flight before the worker waits for it.
    static let maxPending = 100_000

    /// The interval between checkpoints is at least this many times the last one's duration.
    static let checkpointStretch = 4.0

    /// Runs a poll, counting its time as quiet time (a record heard resets it)
    /// unless a checkpoint or flush write is in flight.
    @discardableResult
    func listening<T>(_ poll: () -> T) -> T {
        let start = Date()
        let events = poll()
        let spent = Date().timeIntervalSince(start)
        if !writer.busy && !flusher.busy { quietSeconds += spent }
        listened += Int64(spent * 1_000_000)
        return events
    }

    /// The previous poll's shards, evaluating while this thread polls (`RunningShards`).
    var running: RunningShards?

    /// Waits for the shards evaluating; everything that reads or changes a shard, or the
    /// set of shards, comes after this (rebalance callbacks run inside the poll).
    func joinShards() {
        running?.wait()
        running = nil
    }

    var allShards: [StreamShard] { Array(shards.values) + (globalShard.map { [$0] } ?? []) }

    /// A poll function of a consumer (`KafkaConsumer.poll(maxRecords:timeout:record:other:)`).
    typealias Poll = (Int, Duration, (String, Int32, Int64, consuming [UInt8]) -> Void, (KafkaConsumerEvent) -> Void) -> Int

    /// Polls and sorts what comes by the shard that takes it (evaluated after, by
    /// `ShardWork.evaluate`); reports offset gaps at once. Returns how many events came.
    func poll(_ poll: Poll, local: Bool, timeout: Duration, into routing: inout PollRouting) -> Int {
        let now = listened
        // The shard that takes a partition's records now: by partition number, or the cross-village one (-1).
        func add(_ item: consuming ShardWork.Item, partition: Int32) {
            routing.add(item, key: local ? partition : -1, shard: local ? shards[partition] : globalShard, now: now)
        }
        return poll(20_000, timeout, { topic, partition, offset, value in
            if local { routing.count(topic: topic, bytes: value.count) }
            add(.record(StreamShard.Partition(topic: topic, partition: partition), offset: offset, value: value), partition: partition)
        }, { event in
            switch event {
            case .record:
                break // records come to the closure above
            case .partitionEOF(let tp, let offset):
                add(.caughtUp(StreamShard.Partition(topic: tp.topic, partition: tp.partition)), partition: tp.partition)
                if local { self.metrics.setLag("\(tp.topic)/\(tp.partition)", 0, highWatermark: offset) }
            case .error(let err, let tp, let offset):
                if err.code == .autoOffsetReset, let tp {
                    // The shard's offsets are read below: not while it evaluates the previous poll.
                    self.joinShards()
                    let p = StreamShard.Partition(topic: tp.topic, partition: tp.partition)
                    let shard = local ? self.shards[tp.partition] : self.globalShard
                    // From where this worker stopped reading: records of this poll not yet evaluated included.
                    let routed = shard.flatMap { routing.offset(after: p, in: $0) } ?? 0
                    let reached = max(shard?.offsets[p] ?? offset ?? 0, routed)
                    self.reportGap(p, from: reached)
                    // Go on from the oldest message still there; the gap is on record.
                    if local { try? self.localConsumer?.seek([tp: KafkaOffset.beginning]) } else { try? self.globalConsumer?.seek([tp: KafkaOffset.beginning]) }
                } else {
                    self.logger.warning("kafka: \(err)")
                }
            }
        })
    }

    func collect(_ s: StreamShard) {
        let o = s.takeOutput()
        if !o.alerts.isEmpty { pendingAlerts += o.alerts; metrics.alerts(o.alerts) }
        if !o.deadLetters.isEmpty { pendingDead += o.deadLetters; metrics.deadLetters(o.deadLetters) }
        metrics.setWatermarkDelay(s.name, s.watermarkDelay)
    }

    func isDrained(_ idle: Double) -> Bool {
        guard !shards.isEmpty, quietSeconds >= idle else { return false }
        if !globalRules.rules.isEmpty && config.crossVillage && globalShard == nil { return false }
        return allShards.allSatisfy { $0.allCaughtUp }
    }

    // MARK: rebalance

    func assigned(_ parts: [TopicPartition]) -> [TopicPartition: Int64] {
        joinShards()
        var out: [TopicPartition: Int64] = [:]
        let numbers = Set(parts.map(\.partition))
        for n in numbers where shards[n] == nil {
            let mine = config.topics.map { StreamShard.Partition(topic: $0, partition: n) }
            shards[n] = loadShard("p\(n)", rules: localRules, partitions: mine)
        }
        for tp in parts {
            let p = StreamShard.Partition(topic: tp.topic, partition: tp.partition)
            out[tp] = shards[tp.partition]?.offsets[p] ?? 0
        }
        logger.info("partitions assigned", metadata: ["kafka.partitions": "\(numbers.sorted())"])
        // Idleness counts from when the worker holds its partitions.
        quietSeconds = 0
        return out
    }

    func revoked(_ parts: [TopicPartition]) {
        joinShards()
        let numbers = Set(parts.map(\.partition))
        let leaving = numbers.compactMap { shards[$0] }
        checkpoint(leaving)
        for n in numbers { shards[n] = nil }
        logger.info("partitions revoked", metadata: ["kafka.partitions": "\(numbers.sorted())"])
    }

    func lost(_ parts: [TopicPartition]) {
        // Another member owns them now: drop their state without committing it. The pending
        // alerts and dead letters stay: they are what the events read so far give (the new owner
        // gives the same ones again, and both writes are idempotent), and some of them come from
        // shards this worker keeps — the cross-village shard's would otherwise be lost for good.
        joinShards()
        for n in Set(parts.map(\.partition)) {
            if let s = shards[n] { collect(s) }
            shards[n] = nil
        }
        logger.warning("partitions lost", metadata: ["kafka.partitions": "\(Set(parts.map(\.partition)).sorted())"])
    }

    func loadShard(_ name: String, rules: CompiledRuleSet, partitions: [StreamShard.Partition]) -> StreamShard {
        var c = shardConfig
        // The village shards report malformed records; the cross-village shard reads the same ones.
        c.reportInvalid = name != "global"
        let shard = StreamShard(name: name, ruleSet: rules, tables: tables, partitions: partitions, config: c)
        do {
            if let saved = try withDatabase({ c in try checkpoints.load(c, shard: name) }) {
                let dropped = try shard.restore(saved.state)
                for (p, n) in saved.offsets { shard.setOffset(p, n) }
                if !dropped.isEmpty { logger.notice("rules changed since the checkpoint start fresh", metadata: ["rule.ids": "\(dropped)"]) }
                logger.info("shard resumed", metadata: ["shard": "\(name)"])
            }
        } catch {
            logger.error("could not load the checkpoint of \(name): \(error); starting it from the stored offsets")
        }
        return shard
    }

    // MARK: the cross-village shard

    func electGlobal() {
        if globalShard != nil {
            // Still the holder? A lost lock connection means someone else may hold it now.
            if lockConnection?.isConnected != true { dropGlobal() }
            return
        }
        do {
            if lockConnection == nil || lockConnection?.isConnected == false { lockConnection = try PostgresConnection(databaseURL) }
            let key = Self.lockKey(config.group + "#global")
            let got = try lockConnection!.execute("SELECT pg_try_advisory_lock($1::bigint)", params: [String(key)]).rows.first?[0] == "t"
            guard got else { return }
            var parts: [StreamShard.Partition] = []
            for t in globalTopics {
                let n = try KafkaPartitionReader.partitionCount(bootstrapServers: config.brokers, topic: t, options: config.kafkaOptions)
                for i in 0..<n { parts.append(.init(topic: t, partition: i)) }
            }
            let shard = loadShard("global", rules: globalRules, partitions: parts)
            var assignment: [TopicPartition: Int64] = [:]
            for p in parts { assignment[TopicPartition(topic: p.topic, partition: p.partition)] = shard.offsets[p] ?? 0 }
            globalConsumer = try KafkaPartitionReader(bootstrapServers: config.brokers, assignment: assignment, options: config.kafkaOptions, logger: logger)
            globalShard = shard
            logger.info("this worker evaluates the cross-village rules", metadata: ["rule.ids": "\(globalRules.rules.map(\.name))"])
        } catch {
            logger.warning("cross-village election: \(error)")
            dropGlobal()
        }
    }

    func dropGlobal() {
        globalConsumer?.close()
        globalConsumer = nil
        globalShard = nil
        lockConnection?.close()
        lockConnection = nil
    }

    static func lockKey(_ s: String) -> Int64 {
        Int64(bitPattern: Fingerprint(s).hi)
    }

    // MARK: writing

    /// Runs `body` with a live connection, reconnecting with backoff while PostgreSQL is away.
    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T { try conn.run(body) }

    /// Books a finished flush; a failed one's alerts and dead letters are pending again.
    func settleFlush(_ done: CheckpointWriter.Outcome) {
        guard let error = done.error else {
            metrics.commit(seconds: done.seconds)
            return
        }
        pendingAlerts = done.job.alerts + pendingAlerts
        pendingDead = done.job.deadLetters + pendingDead
        logger.error("writing alerts failed: \(error); they stay pending")
    }

    /// Takes a checkpoint of `list` now: each shard's snapshot and offsets, and the alerts and
    /// dead letters not yet written (handed over: a failed write gives them back, `settle`).
    func takeCheckpoint(_ list: [StreamShard]) -> CheckpointWriter.Job? {
        guard !list.isEmpty || !pendingAlerts.isEmpty || !pendingDead.isEmpty else { return nil }
        for s in list { collect(s) }
        let job = CheckpointWriter.Job(alerts: pendingAlerts, deadLetters: pendingDead, shards: list.map(ShardCheckpoint.init))
        pendingAlerts.removeAll()
        pendingDead.removeAll()
        return job
    }

    /// Books a finished checkpoint write; a failed one's alerts and dead letters are pending again.
    @discardableResult
    func settle(_ done: CheckpointWriter.Outcome) -> Bool {
        guard let error = done.error else {
            metrics.commit(seconds: done.seconds)
            metrics.checkpointed()
            return true
        }
        pendingAlerts = done.job.alerts + pendingAlerts
        pendingDead = done.job.deadLetters + pendingDead
        logger.error("checkpoint failed: \(error); the shards resume from the previous one if the worker stops now")
        return false
    }

    /// A checkpoint of `list`, written before this returns (after the one in flight, if any):
    /// one transaction of pending alerts and dead letters, then each shard's state and offsets.
    /// False when the write failed (the shards resume from the previous checkpoint if the worker stops now).
    @discardableResult
    func checkpoint(_ list: [StreamShard]) -> Bool {
        if let done = flusher.take(wait: true) { settleFlush(done) }
        if let done = writer.take(wait: true) { settle(done) }
        guard let job = takeCheckpoint(list) else { return true }
        writer.start(job)
        return settle(writer.take(wait: true)!)
    }

    func reportGap(_ p: StreamShard.Partition, from offset: Int64) {
        logger.error("offset gap: messages of \(p) from offset \(offset) were deleted (retention) before this worker read them; they are NOT evaluated",
                     metadata: ["kafka.partition": "\(p)"])
        metrics.gap()
        pendingDead.append(DeadLetter(source: .kafka(topic: p.topic, partition: p.partition, offset: offset), raw: [],
                                      error: DecodeError(.offsetGap, "messages from offset \(offset) were deleted by retention before they were read; replay the ledger to cover them")))
    }

    func switchRules(_ rs: CompiledRuleSet, version: String) {
        // Commit what the old rules produced, then carry state over shard by shard.
        checkpoint(allShards)
        localRules = rs.subset { $0.villageLocal }
        globalRules = rs.subset { !$0.villageLocal }
        var dropped: Set<String> = []
        for (n, old) in shards {
            let fresh = StreamShard(name: old.name, ruleSet: localRules, tables: tables, partitions: Array(old.offsets.keys), config: old.config)
            do { dropped.formUnion(try fresh.restore(old.snapshot())) } catch { logger.error("state of \(old.name) not carried over: \(error)") }
            shards[n] = fresh
        }
        if let g = globalShard {
            let fresh = StreamShard(name: g.name, ruleSet: globalRules, tables: tables, partitions: Array(g.offsets.keys), config: g.config)
            do { dropped.formUnion(try fresh.restore(g.snapshot())) } catch { logger.error("state of global not carried over: \(error)") }
            globalShard = fresh
        }
        checkpoint(allShards)
        inForce.set(version)
        logger.notice("rules switched", metadata: ["rules.version": "\(version)", "rule.ids.fresh": "\(dropped.sorted())"])
    }

    func switchTables(_ t: ReferenceTables) {
        tables = t
        for s in allShards { s.engine.updateTables(t) }
        logger.info("reference tables refreshed")
    }
}

/// A flag set from any thread.
final class StopFlag: @unchecked Sendable {
    // `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// A value handed between threads.
final class Box<T>: @unchecked Sendable {
    // `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func take() -> T where T == ReferenceTables? {
        lock.lock(); defer { lock.unlock() }
        let v = value
        value = nil
        return v
    }
}

/// The next rule set, handed from any thread to the worker thread.
final class RuleBox: @unchecked Sendable {
    // `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: (CompiledRuleSet, String)?
    func set(_ v: (CompiledRuleSet, String)) { lock.lock(); value = v; lock.unlock() }
    func take() -> (CompiledRuleSet, String)? {
        lock.lock(); defer { lock.unlock() }
        let v = value
        value = nil
        return v
    }
}

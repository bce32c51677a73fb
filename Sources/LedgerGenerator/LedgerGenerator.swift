import EventModel

/// A deterministic, streaming generator of realistic village ledgers with
/// injected anomalies and near-misses for every rule of the reference pack.
///
/// Use it as a stream: every `nextChunk()` returns the JSON Lines of about one
/// local day (events mostly, but not strictly, in time order; duplicates and
/// malformed lines mixed in as configured), so that a ledger of millions of
/// events never has to be held in memory. `groundTruth` and the reference
/// tables are known from the start; `malformedLines` grows as chunks are made.
///
/// The same configuration always gives the same bytes. The valid events do not
/// depend on `malformedRate` or `duplicateRate`: those only add lines.
///
/// A generator is a stream with buffers of its own: use it from one task.
public struct LedgerGenerator {
    public let config: GeneratorConfig
    /// Every injected case, known before the first chunk.
    public internal(set) var groundTruth: [GroundTruthCase] = []
    /// Malformed lines written so far (all of them once `isFinished`).
    public internal(set) var malformedLines: [MalformedLine] = []
    public internal(set) var stats = GeneratorStats()
    /// True once the last chunk has been returned.
    public internal(set) var isFinished = false

    /// The world after case planning (people and vendors of the cases included).
    let world: World
    /// The injected events, by day.
    let plannedCases: [PlannedEvent]
    let sentinel: PlannedEvent?
    /// The case injector, then the background shards.
    var producers: [Producer]
    var today: Int64

    // Emission.
    /// Malformed lines (independent of the content).
    var dirt: SplitMix64
    /// Duplicates (independent of the content).
    var dupRng: SplitMix64
    var lineNo = 0
    var dupHeap = DuplicateHeap()
    var dupOrder = 0
    var corruptor = Corruptor()
    var chunk = ByteBuffer(capacity: 1 << 16)

    /// A generator for `config`. `shards` splits the villages between
    /// producers that a `ShardRunner` may run in parallel; the bytes do not
    /// depend on it.
    public init(_ config: GeneratorConfig, shards: Int = 1) {
        precondition(config.problems.isEmpty, "invalid GeneratorConfig: \(config.problems.joined(separator: "; "))")
        self.config = config
        let seasons = Seasons.tables(startDay: config.startDay, days: config.days)
        // Injected cases first: they add people and vendors to the reference tables.
        let planner = Producer(config: config, world: World(config: config), seasons: seasons, kind: .planner, villages: [])
        world = planner.world
        groundTruth = planner.groundTruth
        plannedCases = planner.plannedCases
        sentinel = planner.sentinel
        var injector = Producer(config: config, world: world, seasons: seasons, kind: .cases, villages: [])
        injector.plannedCases = planner.plannedCases
        producers = [injector]
        let n = max(1, min(shards, config.villages))
        for k in 0..<n {
            let mine = Array(stride(from: k, to: config.villages, by: n))
            producers.append(Producer(config: config, world: world, seasons: seasons, kind: .background, villages: mine))
        }
        dirt = SplitMix64(seed: config.seed, stream: 3)
        dupRng = SplitMix64(seed: config.seed, stream: 4)
        today = config.startDay
    }

    /// The reference tables of EVENTS.md as CSV text, by file name
    /// (`people.csv`, `vendors.csv`, `reference_prices.csv`, `village_limits.csv`).
    public func referenceCSVs() -> [String: String] {
        world.referenceCSVs()
    }

    /// `ground_truth.csv`: `rule_id,anchor_event_id,expect,case`.
    public func groundTruthCSV() -> String {
        var s = "rule_id,anchor_event_id,expect,case\n"
        for c in groundTruth { s += "\(c.rule.name),\(c.anchorEventID),\(c.expect.rawValue),\(c.caseName)\n" }
        return s
    }

    /// `malformed.csv`: `line_no,kind` (1-based line numbers in the events file).
    public func malformedCSV() -> String {
        var s = "line_no,kind\n"
        for m in malformedLines { s += "\(m.lineNumber),\(m.kind)\n" }
        return s
    }

    /// The JSON Lines of the next local day (plus the tail of the ledger after
    /// the last one), or nil when the ledger is complete.
    public mutating func nextChunk(runner: ShardRunner = .serial) -> [UInt8]? {
        withNextChunk(runner: runner) { Array($0) }
    }

    /// Like `nextChunk()`, without copying: `body` sees the chunk's bytes,
    /// valid only during the call.
    public mutating func withNextChunk<R>(runner: ShardRunner = .serial, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        if isFinished { return nil }
        let day = today
        producers.withUnsafeMutableBufferPointer { buffer in
            // Each call of `work` touches one producer only, and producers share
            // no mutable state; the runner returns after all calls are done.
            nonisolated(unsafe) let shards = buffer
            runner.run(shards.count) { k in shards[k].produceDay(day) }
        }
        chunk.removeAll()
        emitDay(into: chunk)
        for k in producers.indices { producers[k].finishDay() }
        stats.daysDone += 1
        stats.droppedAfterEnd = producers.reduce(0) { $0 + $1.dropped }
        today += 1
        if today >= config.endDay { isFinished = true }
        return try body(chunk.bytes)
    }

    /// Streams the whole ledger through `sink`, chunk by chunk.
    public mutating func generate(runner: ShardRunner = .serial, into sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        while try withNextChunk(runner: runner, { try sink(UnsafeRawBufferPointer($0)) }) != nil {}
    }
}

/// Runs the shards' work of a day: `run(count, work)` must call `work(k)` once
/// for every k in 0..<count (in any order, possibly concurrently) and return
/// when all calls are done. The default runs them one after another; a CLI
/// can pass e.g. `DispatchQueue.concurrentPerform`.
public struct ShardRunner: Sendable {
    public let run: @Sendable (_ count: Int, _ work: @Sendable (Int) -> Void) -> Void

    public init(_ run: @escaping @Sendable (_ count: Int, _ work: @Sendable (Int) -> Void) -> Void) {
        self.run = run
    }

    /// One after another, on the calling thread.
    public static let serial = ShardRunner { count, work in
        for k in 0..<count { work(k) }
    }
}

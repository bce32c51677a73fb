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

    var world: World
    let systems: [SourceSystem] = Systems.all
    /// Intensity per `Seasons.Process` and day index, mean 1.
    let seasons: [[Double]]
    /// Background content.
    var bg: SplitMix64
    /// Malformed lines (independent of the content).
    var dirt: SplitMix64
    /// Duplicates (independent of the content).
    var dupRng: SplitMix64
    let styleSeed: UInt64
    let disorderSeed: UInt64

    // Writing.
    var w = LineWriter(capacity: 16)
    var cur = Current()
    var seq: Int64 = 0
    /// Background id counters per (village, system).
    var counters: [UInt64]
    /// Case id counters per (village, system), from `IDHabit.caseCounterBase`.
    var caseCounters: [UInt64]
    var planningCases = false

    // Days.
    var today: Int64
    static let horizon = 512
    var ring: [Arena]
    var carry = Arena()
    /// A big buffer kept for the next day (so that days reuse memory).
    var spare = ByteBuffer(capacity: 1 << 16)
    var scratch = ByteBuffer(capacity: 1 << 12)
    var chunk = ByteBuffer(capacity: 1 << 16)
    var plannedCases: [PlannedEvent] = []
    var caseCursor = 0
    var sentinel: PlannedEvent?

    // Background processes.
    var procurementCounter: [Int]
    var projectCounter: [Int]
    var projects: [LaborProject] = []
    var leases: [Lease] = []
    var leaseCounter: [Int]
    var busyUntil: [Int64]
    var warmingUp = false
    var sealAppCounter: [Int]
    var scale: [Double]

    // Emission.
    var lineNo = 0
    var dupHeap = DuplicateHeap()
    var dupOrder = 0
    var corruptor = Corruptor()

    // Case planning.
    var pr = SplitMix64(seed: 0, stream: 0)
    var caseProcurement: [Int] = []
    var caseApplication: [Int] = []
    var caseLease: [Int] = []
    var caseProject: [Int] = []

    public init(_ config: GeneratorConfig) {
        precondition(config.problems.isEmpty, "invalid GeneratorConfig: \(config.problems.joined(separator: "; "))")
        self.config = config
        world = World(config: config)
        seasons = Seasons.tables(startDay: config.startDay, days: config.days)
        bg = SplitMix64(seed: config.seed, stream: 2)
        dirt = SplitMix64(seed: config.seed, stream: 3)
        dupRng = SplitMix64(seed: config.seed, stream: 4)
        styleSeed = SplitMix64.hash(config.seed, 5)
        disorderSeed = SplitMix64.hash(config.seed, 6)
        let n = config.villages
        counters = [UInt64](repeating: 0, count: n * Systems.count)
        caseCounters = []
        for _ in 0..<n { for s in Systems.all { caseCounters.append(s.idHabit.caseCounterBase) } }
        today = config.startDay
        ring = (0..<LedgerGenerator.horizon).map { _ in Arena() }
        procurementCounter = [Int](repeating: 0, count: n)
        projectCounter = [Int](repeating: 0, count: n)
        leaseCounter = [Int](repeating: 0, count: n)
        sealAppCounter = [Int](repeating: 0, count: n)
        busyUntil = []
        scale = world.villages.map { $0.size * config.eventsPerVillageDay }
        // Injected cases first: they add people and vendors to the reference tables.
        planningCases = true
        planCases()
        planningCases = false
        plannedCases.sort { ($0.day, $0.seq) < ($1.day, $1.seq) }
        busyUntil = [Int64](repeating: .min, count: world.people.count)
        setUpLeases()
        // Works already under way when the ledger starts.
        warmingUp = true
        for back in stride(from: 40, to: 0, by: -1) {
            today = config.startDay - Int64(back)
            for v in 0..<config.villages { backgroundLaborStarts(v, 0) }
            laborDay()
        }
        warmingUp = false
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
    public mutating func nextChunk() -> [UInt8]? {
        withNextChunk { Array($0) }
    }

    /// Like `nextChunk()`, without copying: `body` sees the chunk's bytes,
    /// valid only during the call.
    public mutating func withNextChunk<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        if isFinished { return nil }
        produceDay()
        chunk.removeAll()
        emitDay(into: chunk)
        stats.daysDone += 1
        today += 1
        if today >= config.endDay { isFinished = true }
        return try body(chunk.bytes)
    }

    /// Streams the whole ledger through `sink`, chunk by chunk.
    public mutating func generate(into sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        while try withNextChunk({ try sink(UnsafeRawBufferPointer($0)) }) != nil {}
    }

    // MARK: time helpers

    /// Local midnight of a day (Asia/Shanghai is +08:00 throughout the supported range).
    @inline(__always)
    static func midnight(_ day: Int64) -> Instant { day * TimeUnit.day - 8 * TimeUnit.hour }

    /// An instant on a local day at h:m:s.
    @inline(__always)
    static func at(_ day: Int64, _ h: Int, _ m: Int = 0, _ s: Int = 0, micros: Int64 = 0) -> Instant {
        midnight(day) + Int64(h * 3600 + m * 60 + s) * TimeUnit.second + micros
    }
}

/// The event being written.
struct Current: Sendable {
    var type: EventType = .financePayment
    var sys = 0
    var village = 0
    var time: Instant = 0
    var flags: UInt8 = 0
    var style: UInt64 = 0
    var seq: Int64 = 0
    var moneyHabit: MoneyHabit = .numberMinimal
    /// Ring slot of the arena written to, or -1 (scratch).
    var slot = -1
    /// Offset of the line in the buffer.
    var start = 0
}

/// Record flags.
enum RecordFlag {
    static let isCase: UInt8 = 1
    /// Re-send the line shortly after (a case that tests deduplication).
    static let forceDuplicate: UInt8 = 2
    /// Precede the line with a malformed copy that keeps its event id.
    static let malformedCopyFirst: UInt8 = 4
}

/// One serialized event waiting to be emitted.
struct Record: Sendable {
    var emitKey: Int64
    var seq: Int64
    var start: Int32
    var length: Int32
    var flags: UInt8
    var type: UInt8
}

/// The events of one local day, in one byte buffer.
struct Arena {
    var bytes = ByteBuffer()
    var records: [Record] = []

    mutating func add(_ line: UnsafeBufferPointer<UInt8>, emitKey: Int64, seq: Int64, flags: UInt8, type: UInt8) {
        records.append(Record(emitKey: emitKey, seq: seq, start: Int32(bytes.count), length: Int32(line.count), flags: flags, type: type))
        bytes.append(line)
    }
}

/// An injected event, made before the first chunk.
struct PlannedEvent: Sendable {
    var day: Int64
    var time: Instant
    var seq: Int64
    var village: Int
    var sys: Int
    var flags: UInt8
    var type: UInt8
    var bytes: [UInt8]
}

/// Re-sends waiting for their line number.
struct DuplicateHeap: Sendable {
    struct Entry: Sendable {
        var target: Int
        var order: Int
        var bytes: [UInt8]
        var type: UInt8
    }
    var items: [Entry] = []

    var isEmpty: Bool { items.isEmpty }
    var top: Entry? { items.first }

    @inline(__always)
    static func less(_ a: Entry, _ b: Entry) -> Bool { (a.target, a.order) < (b.target, b.order) }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if DuplicateHeap.less(items[i], items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Entry? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let e = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && DuplicateHeap.less(items[l], items[m]) { m = l }
            if r < items.count && DuplicateHeap.less(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return e
    }
}

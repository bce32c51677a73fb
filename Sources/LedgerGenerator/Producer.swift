import EventModel

/// Makes events: the injected cases (a planner), or the background of a set
/// of villages (a shard). Each village has its own random stream, id counters
/// and sequence numbers, so a village's events do not depend on how the
/// villages are split between shards, and the merged ledger does not either.
///
/// Pure and synchronous; the shards of one generator share no mutable state,
/// so they may run on different threads (see `ShardRunner`).
struct Producer {
    enum Kind { case planner, cases, background }

    let config: GeneratorConfig
    let kind: Kind
    var world: World
    let systems: [SourceSystem] = Systems.all
    /// Intensity per `Seasons.Process` and day index, mean 1.
    let seasons: [[Double]]
    /// The villages whose background this producer makes.
    let villages: [Int]
    /// The random stream of the village being simulated.
    var bg = SplitMix64(seed: 0, stream: 0)
    /// One stream per village (indexed by village).
    var rngs: [SplitMix64] = []
    let styleSeed: UInt64
    let disorderSeed: UInt64

    // Writing.
    var w = LineWriter(capacity: 16)
    var cur = Current()
    /// Sequence numbers: per village in the background, global for the planner.
    var villageSeq: [Int64] = []
    var plannerSeq: Int64 = 0
    /// Background id counters per (village, system).
    var counters: [UInt64]
    /// Case id counters per (village, system), from `IDHabit.caseCounterBase`.
    var caseCounters: [UInt64] = []
    var planningCases = false

    // Days.
    var today: Int64
    static let horizon = 512
    var ring: [Arena]
    var carry = Arena()
    /// A big buffer kept for the next day (so that days reuse memory).
    var spare = ByteBuffer(capacity: 1 << 12)
    var scratch = ByteBuffer(capacity: 1 << 12)
    var plannedCases: [PlannedEvent] = []
    var caseCursor = 0
    var sentinel: PlannedEvent?
    /// The day's records to emit (sorted by emit key, then seq) and their bytes.
    var outRecords: [Record] = []
    var outBytes = ByteBuffer(capacity: 16)
    var dropped = 0

    // Background processes, per village.
    var procurementCounter: [Int]
    var projectCounter: [Int]
    var projects: [[LaborProject]]
    var leases: [[Lease]]
    var leaseCounter: [Int]
    var busyUntil: [Int64] = []
    var warmingUp = false
    var sealAppCounter: [Int]
    var scale: [Double]

    // Case planning.
    var pr = SplitMix64(seed: 0, stream: 0)
    var groundTruth: [GroundTruthCase] = []
    var caseProcurement: [Int] = []
    var caseApplication: [Int] = []
    var caseLease: [Int] = []
    var caseProject: [Int] = []

    init(config: GeneratorConfig, world: World, seasons: [[Double]], kind: Kind, villages: [Int]) {
        self.config = config
        self.kind = kind
        self.world = world
        self.seasons = seasons
        self.villages = villages
        styleSeed = SplitMix64.hash(config.seed, 5)
        disorderSeed = SplitMix64.hash(config.seed, 6)
        let n = config.villages
        counters = [UInt64](repeating: 0, count: n * Systems.count)
        villageSeq = [Int64](repeating: 0, count: n)
        today = config.startDay
        ring = (0..<Producer.horizon).map { _ in Arena() }
        procurementCounter = [Int](repeating: 0, count: n)
        projectCounter = [Int](repeating: 0, count: n)
        leaseCounter = [Int](repeating: 0, count: n)
        sealAppCounter = [Int](repeating: 0, count: n)
        projects = Array(repeating: [], count: n)
        leases = Array(repeating: [], count: n)
        scale = world.villages.map { $0.size * config.eventsPerVillageDay }
        switch kind {
        case .planner:
            for _ in 0..<n { for s in Systems.all { caseCounters.append(s.idHabit.caseCounterBase) } }
            planningCases = true
            planCases()
            planningCases = false
            plannedCases.sort { ($0.day, $0.seq) < ($1.day, $1.seq) }
        case .cases:
            break
        case .background:
            rngs = (0..<n).map { SplitMix64(seed: config.seed, stream: 0x1000_0000 + UInt64($0)) }
            busyUntil = [Int64](repeating: .min, count: world.people.count)
            for v in villages { setUpLeases(v) }
            // Works already under way when the ledger starts.
            warmingUp = true
            for back in stride(from: 40, to: 0, by: -1) {
                today = config.startDay - Int64(back)
                for v in villages {
                    bg = rngs[v]
                    backgroundLaborStarts(v, 0)
                    laborDay(v)
                    rngs[v] = bg
                }
            }
            warmingUp = false
            today = config.startDay
        }
    }

    /// The next sequence number (orders events of equal emit key).
    @inline(__always)
    mutating func nextSeq(_ v: Int) -> Int64 {
        if planningCases {
            plannerSeq += 1
            return plannerSeq
        }
        villageSeq[v] += 1
        return Int64(v + 1) << 32 | villageSeq[v]
    }

    /// Makes the day's events and sets `outRecords` to those exported today.
    mutating func produceDay(_ day: Int64) {
        today = day
        let i = Int(day - config.startDay)
        let slot = Int((day - config.startDay) % Int64(Producer.horizon))
        // Reuse yesterday's big buffer for today.
        if ring[slot].bytes.capacity < spare.capacity {
            spare.removeAll()
            spare.append(ring[slot].bytes.bytes)
            swap(&ring[slot].bytes, &spare)
            spare.removeAll()
        }
        while caseCursor < plannedCases.count && plannedCases[caseCursor].day <= day {
            let e = plannedCases[caseCursor]
            e.bytes.withUnsafeBufferPointer {
                ring[slot].add($0, emitKey: emitKey(e.time, village: e.village, sys: e.sys, seq: e.seq, delayable: false), seq: e.seq, flags: e.flags, type: e.type)
            }
            caseCursor += 1
        }
        for v in villages {
            bg = rngs[v]
            sealAppCounter[v] = 0
            backgroundFinance(v, i)
            backgroundProcurement(v, i)
            backgroundLaborStarts(v, i)
            backgroundSeals(v, i)
            backgroundNewLease(v)
            laborDay(v)
            leaseDay(v)
            rngs[v] = bg
        }
        prepareDay(slot)
    }

    /// Sorts the day's records (and those held back from earlier days) into
    /// export order; those exported after today's end wait in `carry`.
    private mutating func prepareDay(_ slot: Int) {
        let bytes = ring[slot].bytes
        var records = ring[slot].records
        ring[slot].records = []
        let base = Int32(bytes.count)
        bytes.append(carry.bytes.bytes)
        for var r in carry.records {
            r.start += base
            records.append(r)
        }
        carry.bytes.removeAll()
        carry.records.removeAll(keepingCapacity: true)
        records.sort { $0.emitKey != $1.emitKey ? $0.emitKey < $1.emitKey : $0.seq < $1.seq }
        let last = today + 1 >= config.endDay
        let cutoff = last ? Int64.max : Producer.midnight(today + 1)
        var n = records.count
        while n > 0 && records[n - 1].emitKey >= cutoff { n -= 1 }
        for r in records[n...] {
            carry.add(bytes.slice(Int(r.start), Int(r.length)), emitKey: r.emitKey, seq: r.seq, flags: r.flags, type: r.type)
        }
        records.removeSubrange(n...)
        outRecords = records
        outBytes = bytes
    }

    /// After the merge: keeps the day's big buffer for tomorrow.
    mutating func finishDay() {
        let slot = Int((today - config.startDay) % Int64(Producer.horizon))
        outRecords = []
        outBytes = ByteBuffer(capacity: 16)
        ring[slot].bytes.removeAll()
        swap(&ring[slot].bytes, &spare)
        ring[slot].bytes.shrink(ifAbove: 1 << 20)
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

import EventModel
import RuleCompiler

/// One remembered event in rule state: when, which (a reference to its id
/// and raw JSON, kept for evidence in an `EvidenceStore` or the engine's
/// `MemoryEvidence`), and the values the rule aggregates.
///
/// Plain bits, no references: copying an entry is a `memcpy`, with no
/// reference counting (which was a fifth of the engine's instructions).
struct Entry {
    var time: Instant
    /// Where its id and raw JSON are (nonzero).
    var ref: UInt64
    /// The aggregated inputs by slot: a number's 128 bits, or a text value's
    /// fingerprint. count(distinct …) compares these bits either way (a
    /// number's fingerprint is its bits), so one slot serves both.
    var slots: InlineArray<4, Fingerprint>
    /// Bit i set when slot i is present.
    var present: UInt8
    /// The next entry of the same key in its `EntryPool` (-1: none).
    var next: Int32 = -1

    @inline(__always) // inlined, its arguments are not retained around the call
    init(_ e: borrowing Event, ref: UInt64, inputs: UnretainedObjects<InputFn>, env: EvalEnv) {
        time = e.time
        self.ref = ref
        slots = InlineArray(repeating: .zero)
        present = 0
        for i in 0..<inputs.count {
            inputs[i]._withUnsafeGuaranteedRef { c in
                // The closures called in place (no local binding: see `Engine.trigger`).
                if c.num != nil {
                    if let v = c.num?(e, env) { slots[i] = Entry.bits(v); present |= 1 << UInt8(i) }
                } else if let k = c.key?(e, env) {
                    slots[i] = k; present |= 1 << UInt8(i)
                }
            }
        }
    }

    init(time: Instant, ref: UInt64, present: UInt8) {
        self.time = time
        self.ref = ref
        self.present = present
        slots = InlineArray(repeating: .zero)
    }

    @inline(__always) func has(_ i: Int) -> Bool { present & (1 << UInt8(i)) != 0 }
    /// Slot i as a number.
    @inline(__always) func val(_ i: Int) -> Num { Entry.num(slots[i]) }
    /// A number's slot bits as the number.
    @inline(__always) static func num(_ s: Fingerprint) -> Num {
        Num(Int64(bitPattern: s.hi)) << 64 | Num(s.lo)
    }
    /// Slot i as a fingerprint (what count(distinct …) counts).
    @inline(__always) func key(_ i: Int) -> Fingerprint { slots[i] }
    @inline(__always) static func bits(_ v: Num) -> Fingerprint {
        Fingerprint(hi: UInt64(truncatingIfNeeded: v >> 64), lo: UInt64(truncatingIfNeeded: v))
    }
}

/// Keeps the ids and raw JSON of events that rule state remembers, outside
/// the state (a replay spills them to a file: memory then holds only what
/// the rules compute with). An adapter implements it; the engine only asks.
public protocol EvidenceStore: AnyObject {
    /// Keeps one event's id and raw JSON; a nonzero reference below 2^63 to
    /// read them back, or 0 when the store declines (the engine then keeps
    /// them in memory).
    func append(id: String, raw: [UInt8]) -> UInt64
    /// Keeps an event's id and raw JSON (as `append`); a store that can read
    /// them back from where the event came from (`Event.origin`) keeps only
    /// that position.
    func keep(_ e: borrowing Event) -> UInt64
    /// What `append` or `keep` kept under `ref`.
    func read(_ ref: UInt64) -> (id: String, raw: [UInt8])
}

extension EvidenceStore {
    public func keep(_ e: borrowing Event) -> UInt64 { append(id: e.id, raw: e.raw) }
}

/// How one aggregated value is read from an event (built once per rule):
/// a number or a key. An object, so that `Entry.init` can call it through
/// an unretained reference (`AggregateLayout.inputs`, `UnretainedObjects`):
/// reading closures out of an array of enums retained and released each
/// one per event.
final class InputFn {
    let num: NumFn?
    let key: FpFn?

    private init(num: NumFn?, key: FpFn?) {
        self.num = num
        self.key = key
    }

    static func make(_ inputs: [Compiled]) -> [InputFn] {
        inputs.map { c in
            if case .num(let f, _) = c { return InputFn(num: f, key: nil) }
            return InputFn(num: nil, key: c.keyFn)
        }
    }

    var isNumeric: Bool { num != nil }
}

/// Counts and sums over a multiset of entries (add and remove), in plain
/// bits: what `AggregateLayout.fill` reads. Handing a key's aggregates to it
/// as `RunningAggregates`, whose count(distinct …) tables are an array,
/// retained, released and destroyed that array at every window event
/// (docs/performance.md, 2026-11-28).
struct AggregateTotals {
    var count: Int = 0
    var sums: InlineArray<4, Num> = InlineArray(repeating: 0)
    var presentCounts: InlineArray<4, Int32> = InlineArray(repeating: 0)
    /// With `tabled`, how many different values each count(distinct …)
    /// input has (`AggregateLayout.distinctInputs`, in order); without,
    /// `fill` finds them by scanning the entries.
    var distinctCounts: InlineArray<4, Int32> = InlineArray(repeating: 0)
    var tabled = false

    init() {}

    /// Totals of `count` entries with no values (a history that counts only).
    init(count: Int) { self.count = count }

    mutating func add(_ e: borrowing Entry, _ layout: AggregateLayout) {
        let present = e.present
        withUnsafeBytes(of: e.slots) { add(present: present, values: $0.baseAddress!.assumingMemoryBound(to: Fingerprint.self), layout) }
    }

    /// `add` for an entry's present bits and values (where it lies in an
    /// `EntryPool`, or an `Entry`'s): over its present slots only, not all four.
    @inline(__always)
    mutating func add(present: UInt8, values: UnsafePointer<Fingerprint>, _ layout: AggregateLayout) {
        count += 1
        var bits = present
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            if layout.isNumeric(i) { sums[i] += Entry.num(values[i]) }
            presentCounts[i] += 1
        }
    }

    mutating func remove(_ e: borrowing Entry, _ layout: AggregateLayout) {
        count -= 1
        var bits = e.present
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            if layout.isNumeric(i) { sums[i] -= e.val(i) }
            presentCounts[i] -= 1
        }
    }
}

/// Incremental aggregates over a multiset of entries (add and remove).
///
/// count(distinct …) is counted one of two ways: by multiplicity tables kept
/// up to date here (`counting`), or — where the caller keeps every entry
/// anyway, as windows do — by scanning those entries when the value is
/// needed, which for the usual handful of entries per key costs less than a
/// table per key (see `AggregateLayout.fill`).
struct RunningAggregates {
    var totals = AggregateTotals()
    /// For count(distinct) inputs: value → multiplicity; empty when the
    /// distinct values are found by a scan instead.
    var distinct: [[Fingerprint: Int32]] = []

    /// Keeps multiplicity tables for `distinctSlots` inputs.
    init(distinctSlots: Int) {
        if distinctSlots > 0 { distinct = Array(repeating: [:], count: distinctSlots) }
    }

    /// Keeps no tables: count(distinct …) is found by scanning entries.
    static var scanning: RunningAggregates { RunningAggregates(distinctSlots: 0) }

    var isCounting: Bool { !distinct.isEmpty }

    /// The totals, with the tables' distinct counts when it keeps tables: what `fill` reads.
    var summary: AggregateTotals {
        var t = totals
        if isCounting {
            t.tabled = true
            for d in 0..<distinct.count { t.distinctCounts[d] = Int32(truncatingIfNeeded: distinct[d].count) }
        }
        return t
    }

    mutating func add(_ e: borrowing Entry, _ layout: AggregateLayout) {
        totals.add(e, layout)
        if isCounting {
            for (d, slot) in layout.distinctInputs.enumerated() where e.has(slot) {
                distinct[d][e.key(slot), default: 0] += 1
            }
        }
    }

    mutating func remove(_ e: borrowing Entry, _ layout: AggregateLayout) {
        totals.remove(e, layout)
        if isCounting {
            for (d, slot) in layout.distinctInputs.enumerated() where e.has(slot) {
                let k = e.key(slot)
                if let c = distinct[d][k] {
                    if c <= 1 { distinct[d].removeValue(forKey: k) } else { distinct[d][k] = c - 1 }
                }
            }
        }
    }
}

/// How a rule's aggregates are computed from entries.
struct AggregateLayout {
    let specs: [AggregateSpec]
    /// Input slots that some count(distinct) reads, in order.
    let distinctInputs: [Int]
    let needsScan: Bool
    /// The aggregated values' readers; the layout's owner frees them
    /// (`deallocate`, from its `deinit`).
    let inputs: UnretainedObjects<InputFn>
    /// Bit i set when input i is a number (the others are text fingerprints, never summed).
    let numericSlots: UInt8
    /// Each aggregate's kind and input slot (-1: none), read by `fill` at
    /// every event: iterating `specs` copied each spec (its compiled argument
    /// and text: a retain and a release of each) to read these two.
    let kinds: [AggregateSpec.Kind]
    let slots: [Int]
    /// Whether a window key's aggregates can come from its entry count and
    /// one running sum, with count(distinct …) left pending (`fillRunning`):
    /// only count, count(distinct …) and sums of one numeric input.
    let runsWithoutWalk: Bool
    /// The input a window keeps a running sum of, or -1.
    let runningSumInput: Int
    /// Bit i set when aggregate i is a plain count, a sum, a count(distinct …) (for `fillRunning`).
    let countMask: UInt8, sumMask: UInt8, distinctMask: UInt8

    /// Above this many entries a window key keeps running aggregates (with
    /// count(distinct …) tables) instead of walking its entries at every
    /// event (`WindowState`); it walks them again at half as many.
    static let scanLimit = 24

    init(_ specs: [AggregateSpec], inputs: [Compiled]) {
        self.specs = specs
        kinds = specs.map(\.kind)
        slots = specs.map { $0.inputSlot ?? -1 }
        let readers = InputFn.make(inputs)
        self.inputs = UnretainedObjects(readers)
        var numeric: UInt8 = 0
        for (i, c) in readers.enumerated() where c.isNumeric { numeric |= 1 << UInt8(i) }
        numericSlots = numeric
        var d: [Int] = []
        for s in specs where s.kind == .countDistinct {
            if let i = s.inputSlot, !d.contains(i) { d.append(i) }
        }
        distinctInputs = d
        needsScan = specs.contains { $0.kind == .min || $0.kind == .max }
        let summed = Set(specs.filter { $0.kind == .sum }.compactMap(\.inputSlot))
        runningSumInput = summed.first ?? -1
        runsWithoutWalk = summed.count <= 1 && summed.allSatisfy { numeric & (1 << UInt8($0)) != 0 }
            && specs.allSatisfy { [.count, .countDistinct, .sum].contains($0.kind) }
        func mask(_ kind: AggregateSpec.Kind) -> UInt8 {
            specs.indices.reduce(0) { specs[$1].kind == kind ? $0 | 1 << UInt8($1) : $0 }
        }
        countMask = mask(.count)
        sumMask = mask(.sum)
        distinctMask = mask(.countDistinct)
    }

    /// Frees the input readers; call once, from the owner's `deinit`.
    func deallocate() { inputs.deallocate() }

    @inline(__always) func isNumeric(_ i: Int) -> Bool { numericSlots & (1 << UInt8(i)) != 0 }

    /// `fill` for a window key of a `runsWithoutWalk` layout from its entry
    /// count and running sum, without reading an entry: count(distinct …)
    /// is left pending, for `env.lazyAggregates` to count if it is read.
    @inline(__always)
    func fillRunning(_ env: EvalEnv, count: Int32, sum: Int64) {
        let n = NumScale.fromInt(Int64(count)), total = Num(sum)
        let counts = countMask, sums = sumMask
        env.aggs.withUnsafeMutableBufferPointer { aggs in
            var m = counts
            while m != 0 {
                aggs[m.trailingZeroBitCount] = n
                m &= m &- 1
            }
            m = sums
            while m != 0 {
                aggs[m.trailingZeroBitCount] = total
                m &= m &- 1
            }
        }
        env.pendingAggregates = distinctMask
    }

    /// Fills env.aggs from running totals; min/max, and count(distinct …)
    /// when `run` has no table counts, scan `entries` (every entry aggregated).
    func fill<S: Sequence>(_ env: EvalEnv, _ run: AggregateTotals, entries: S) where S.Element == Entry {
        env.pendingAggregates = 0
        for i in 0..<kinds.count {
            let kind = kinds[i], slot = slots[i]
            switch kind {
            case .count:
                env.aggs[i] = NumScale.fromInt(Int64(run.count))
            case .countOf:
                env.aggs[i] = NumScale.fromInt(Int64(run.presentCounts[slot]))
            case .countDistinct:
                if run.tabled {
                    let d = distinctInputs.firstIndex(of: slot)!
                    env.aggs[i] = NumScale.fromInt(Int64(run.distinctCounts[d]))
                } else {
                    env.aggs[i] = NumScale.fromInt(Int64(AggregateLayout.distinctCount(entries, slot: slot)))
                }
            case .sum:
                env.aggs[i] = run.presentCounts[slot] > 0 ? run.sums[slot] : 0
            case .avg:
                let n = run.presentCounts[slot]
                env.aggs[i] = n > 0 ? run.sums[slot] / Num(n) : nil
            case .min, .max:
                var best: Num? = nil
                for e in entries where e.has(slot) {
                    let v = e.val(slot)
                    if best == nil || (kind == .min ? v < best! : v > best!) { best = v }
                }
                env.aggs[i] = best
            }
        }
    }

    /// How many different values slot `slot` takes over `entries`, in one walk.
    static func distinctCount<S: Sequence>(_ entries: S, slot: Int) -> Int where S.Element == Entry {
        DistinctCounter.counting { different in
            for e in entries where e.has(slot) { different.add(e.key(slot)) }
            return different.count
        }
    }
}

/// Counts different fingerprints in one pass: each is compared with the
/// different ones found so far (a few, kept on the stack), and a set takes
/// over past 32 of them. (Comparing each entry with every earlier one walked
/// the entries again per entry: a twentieth of payee-fund-concentration's time.)
struct DistinctCounter: ~Copyable {
    /// Uninitialised room on the stack: only the first `n` are ever read
    /// (an `InlineArray` set all 32 to zero first, 512 bytes per call).
    private let found: UnsafeMutableBufferPointer<Fingerprint>
    private var n = 0
    private var many: Set<Fingerprint>? = nil

    private init(_ room: UnsafeMutableBufferPointer<Fingerprint>) { found = room }

    /// Runs `body` with an empty counter whose room lives on the stack for the call.
    @inline(__always)
    static func counting<R>(_ body: (inout DistinctCounter) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Fingerprint.self, capacity: 32) { room in
            var c = DistinctCounter(room)
            return body(&c)
        }
    }

    @inline(__always)
    mutating func add(_ k: Fingerprint) {
        if many != nil {
            many!.insert(k)
            return
        }
        for j in 0..<n where found[j] == k { return }
        if n == 32 {
            var set = Set<Fingerprint>(minimumCapacity: 64)
            for j in 0..<n { set.insert(found[j]) }
            set.insert(k)
            many = set
            return
        }
        found.initializeElement(at: n, to: k)
        n += 1
    }

    /// How many different fingerprints were added.
    var count: Int { many?.count ?? n }
}

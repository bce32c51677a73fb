import EventModel
import RuleCompiler

/// One remembered event in rule state: when, which, its raw JSON for
/// evidence, and the values the rule aggregates.
///
/// With an `EvidenceStore` the id and raw JSON live there and the entry
/// holds only `ref` (nonzero); `id` and `raw` are then empty.
struct Entry {
    var time: Instant
    var id: String
    var raw: [UInt8]
    var ref: UInt64
    var vals: InlineArray<4, Num>
    /// Bit i set when vals[i] is present.
    var present: UInt8
    /// Fingerprints of the values for count(distinct …), by input slot.
    var keys: InlineArray<4, Fingerprint>

    init(_ e: borrowing Event, ref: UInt64, inputs: [InputFn], env: EvalEnv) {
        time = e.time
        self.ref = ref
        if ref == 0 {
            id = e.id
            raw = e.raw
        } else {
            id = ""
            raw = []
        }
        vals = InlineArray(repeating: 0)
        keys = InlineArray(repeating: .zero)
        present = 0
        var i = 0
        for c in inputs {
            switch c {
            case .num(let f):
                if let v = f(e, env) { vals[i] = v; present |= 1 << UInt8(i); keys[i] = Fingerprint(hi: UInt64(truncatingIfNeeded: v >> 64), lo: UInt64(truncatingIfNeeded: v)) }
            case .key(let f):
                if let k = f(e, env) { keys[i] = k; present |= 1 << UInt8(i) }
            }
            i += 1
        }
    }

    init(time: Instant, id: String, raw: [UInt8], present: UInt8) {
        self.time = time
        self.id = id
        self.raw = raw
        ref = 0
        self.present = present
        vals = InlineArray(repeating: 0)
        keys = InlineArray(repeating: .zero)
    }

    @inline(__always) func has(_ i: Int) -> Bool { present & (1 << UInt8(i)) != 0 }
}

/// Keeps the ids and raw JSON of events that rule state remembers, outside
/// the state (a replay spills them to a file: memory then holds only what
/// the rules compute with). An adapter implements it; the engine only asks.
public protocol EvidenceStore: AnyObject {
    /// Keeps one event's id and raw JSON; a nonzero reference to read them
    /// back, or 0 when the store declines (the entry then keeps them itself).
    func append(id: String, raw: [UInt8]) -> UInt64
    /// What `append` kept under `ref`.
    func read(_ ref: UInt64) -> (id: String, raw: [UInt8])
}

/// How one aggregated value is read from an event (built once per rule).
enum InputFn {
    case num(NumFn)
    case key(FpFn)

    static func make(_ inputs: [Compiled]) -> [InputFn] {
        inputs.map { c in
            if case .num(let f, _) = c { return .num(f) }
            return .key(c.keyFn)
        }
    }
}

/// Incremental aggregates over a multiset of entries (add and remove).
struct RunningAggregates {
    var count: Int = 0
    var sums: InlineArray<4, Num> = InlineArray(repeating: 0)
    var presentCounts: InlineArray<4, Int> = InlineArray(repeating: 0)
    /// For count(distinct) inputs: value → multiplicity.
    var distinct: [[Fingerprint: Int32]] = []

    init(distinctSlots: Int) {
        distinct = Array(repeating: [:], count: distinctSlots)
    }

    mutating func add(_ e: Entry, distinctInputs: [Int]) {
        count += 1
        for i in 0..<4 where e.has(i) {
            sums[i] += e.vals[i]
            presentCounts[i] += 1
        }
        for (d, slot) in distinctInputs.enumerated() where e.has(slot) {
            distinct[d][e.keys[slot], default: 0] += 1
        }
    }

    mutating func remove(_ e: Entry, distinctInputs: [Int]) {
        count -= 1
        for i in 0..<4 where e.has(i) {
            sums[i] -= e.vals[i]
            presentCounts[i] -= 1
        }
        for (d, slot) in distinctInputs.enumerated() where e.has(slot) {
            let k = e.keys[slot]
            if let c = distinct[d][k] {
                if c <= 1 { distinct[d].removeValue(forKey: k) } else { distinct[d][k] = c - 1 }
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
    /// The aggregated values' readers.
    let inputs: [InputFn]

    init(_ specs: [AggregateSpec], inputs: [Compiled]) {
        self.specs = specs
        self.inputs = InputFn.make(inputs)
        var d: [Int] = []
        for s in specs where s.kind == .countDistinct {
            if let i = s.inputSlot, !d.contains(i) { d.append(i) }
        }
        distinctInputs = d
        needsScan = specs.contains { $0.kind == .min || $0.kind == .max }
    }

    /// Fills env.aggs from running aggregates (and a scan for min/max).
    func fill(_ env: EvalEnv, _ run: RunningAggregates, scan: () -> [Entry]) {
        var scanned: [Entry]? = nil
        for (i, s) in specs.enumerated() {
            switch s.kind {
            case .count:
                env.aggs[i] = NumScale.fromInt(Int64(run.count))
            case .countOf:
                env.aggs[i] = NumScale.fromInt(Int64(run.presentCounts[s.inputSlot!]))
            case .countDistinct:
                let d = distinctInputs.firstIndex(of: s.inputSlot!)!
                env.aggs[i] = NumScale.fromInt(Int64(run.distinct[d].count))
            case .sum:
                env.aggs[i] = run.presentCounts[s.inputSlot!] > 0 ? run.sums[s.inputSlot!] : 0
            case .avg:
                let n = run.presentCounts[s.inputSlot!]
                env.aggs[i] = n > 0 ? run.sums[s.inputSlot!] / Num(n) : nil
            case .min, .max:
                if scanned == nil { scanned = scan() }
                let slot = s.inputSlot!
                var best: Num? = nil
                for e in scanned! where e.has(slot) {
                    let v = e.vals[slot]
                    if best == nil || (s.kind == .min ? v < best! : v > best!) { best = v }
                }
                env.aggs[i] = best
            }
        }
    }
}

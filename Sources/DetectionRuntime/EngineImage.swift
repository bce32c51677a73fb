import EventModel

/// The engine's state at one instant (`Engine.image(copying:)`), written as
/// `Engine.snapshot()` writes it.
///
/// A copying image shares nothing the engine changes afterwards, so it may be
/// written on another thread; it is `@unchecked Sendable` for that.
public struct EngineImage: @unchecked Sendable {
    enum RuleState {
        case condition
        case window(WindowState)
        /// `history`: the store's index among the engine's histories (rules sharing one have the same).
        case precedence(history: Int, HistoryState, keepsEntries: Bool, distinctInputs: Int)
        case absence(history: Int, HistoryState)
    }

    struct Rule {
        let name: String
        let signature: String
        let state: RuleState
    }

    let lastTime: Instant
    let lastID: String
    let seq: UInt64
    let nextSweep: Instant
    let rules: [Rule]
    let pending: [PendingDeadline]
    let memory: MemoryEvidence
    let store: EvidenceStore?
    let evidenceKeep: Int

    /// The snapshot's bytes.
    public func bytes(capacity: Int = 1 << 20) -> [UInt8] {
        var w = BinaryWriter(capacity: capacity)
        write(into: &w)
        return w.bytes
    }

    /// The snapshot, appended to `w`.
    ///
    /// A history shared by several rules (equal feed signatures) is written once,
    /// with the first rule; the others' records name that rule (tags 4 and 5).
    public func write(into w: inout BinaryWriter) {
        w.u64(Engine.magic)
        w.i64(lastTime)
        w.string(lastID)
        w.u64(seq)
        w.i64(nextSweep)
        // The rules' state, naming each remembered event by its index in the table written
        // before it (several rules' entries often name the same event: each once there).
        var table = EvidenceTable(memorySlots: memory.slots)
        var body = BinaryWriter(capacity: 1 << 16)
        writeRules(&body, &table)
        w.int(table.refs.count)
        for ref in table.refs {
            let (id, raw) = MemoryEvidence.holds(ref) ? memory.read(ref) : store!.read(ref)
            w.string(id)
            w.blob(raw)
        }
        w.append(body.bytes)
        w.int(pending.count)
        for p in pending {
            w.i64(p.deadline)
            w.u64(p.seq)
            w.string(rules[p.rule].name)
            w.string(rules[p.rule].signature)
            w.blob(p.event.raw)
            w.bool(p.key != nil)
            if let k = p.key { w.fingerprint(k) }
            w.optionalI64(p.from)
            w.optionalI64(p.until)
        }
    }

    private func writeRules(_ w: inout BinaryWriter, _ table: inout EvidenceTable) {
        w.int(rules.count)
        var written: [Int: String] = [:]
        /// A history already written with an earlier rule: its tag and that rule's name instead.
        func writtenBefore(_ history: Int, _ rule: String, tag: UInt8, _ w: inout BinaryWriter) -> Bool {
            if let first = written[history] {
                w.u8(tag)
                w.string(first)
                return true
            }
            written[history] = rule
            return false
        }
        for rule in rules {
            w.string(rule.name)
            w.string(rule.signature)
            switch rule.state {
            case .condition:
                w.u8(0)
            case .window(let state):
                w.u8(1)
                w.int(state.count)
                state.forEach { k, s in
                    w.fingerprint(k)
                    w.bool(state[s].lastCondition)
                    w.i64(state[s].lastTime)
                    writeEntries(state.entries(s), &table, &w)
                }
            case .precedence(let history, let state, let keepsEntries, let distinctInputs):
                if writtenBefore(history, rule.name, tag: 4, &w) { continue }
                w.u8(2)
                w.int(state.count)
                state.forEach { k, s in
                    // The record keeps its layout from before the flat histories: every
                    // predecessor kept, the latest few, and the running aggregates (empty
                    // ones, with empty distinct tables, where the rule has a lookback).
                    w.fingerprint(k)
                    w.i64(state[s].lastTime)
                    if keepsEntries { writeEntries(state.entries(s), &table, &w) } else { w.int(0) }
                    writeEntries(state.newest(s, evidenceKeep), &table, &w)
                    let run = state.keepsRuns ? state.run(s) : RunningAggregates(distinctSlots: distinctInputs)
                    w.int(run.totals.count)
                    for j in 0..<4 { w.i128(run.totals.sums[j]); w.int(Int(run.totals.presentCounts[j])) }
                    w.int(distinctInputs)
                    for d in run.distinct {
                        w.int(d.count)
                        for (v, n) in d { w.fingerprint(v); w.int(Int(n)) }
                    }
                }
            case .absence(let history, let state):
                if writtenBefore(history, rule.name, tag: 5, &w) { continue }
                w.u8(3)
                w.int(state.count)
                state.forEach { k, s in
                    w.fingerprint(k)
                    w.i64(state[s].lastTime)
                    writeEntries(state.entries(s), &table, &w)
                }
            }
        }
    }

    /// A count, then the entries (the walk of a key's entries is not copied into an array first).
    private func writeEntries<S: Sequence>(_ entries: S, _ table: inout EvidenceTable, _ w: inout BinaryWriter) where S.Element == Entry {
        w.counted { w in
            var n = 0
            for e in entries {
                w.i64(e.time)
                w.int(table.index(e.ref))
                w.u8(e.present)
                // A slot is written twice (as a number and as a fingerprint), as before slots were shared.
                for j in 0..<4 where e.has(j) { w.i128(e.val(j)); w.fingerprint(e.key(j)) }
                n += 1
            }
            return n
        }
    }
}

/// The evidence references a snapshot names, each given an index once: by slot
/// for the engine's in-memory evidence, through a dictionary for a store's.
struct EvidenceTable {
    private(set) var refs: [UInt64] = []
    private var bySlot: [Int32]
    private var byRef: [UInt64: Int32] = [:]

    init(memorySlots: Int) { bySlot = Array(repeating: -1, count: memorySlots) }

    /// `ref`'s index, given on its first use.
    mutating func index(_ ref: UInt64) -> Int {
        if MemoryEvidence.holds(ref) {
            let slot = Int(ref & ~MemoryEvidence.tag)
            if bySlot[slot] < 0 { bySlot[slot] = Int32(refs.count); refs.append(ref) }
            return Int(bySlot[slot])
        }
        if let i = byRef[ref] { return Int(i) }
        byRef[ref] = Int32(refs.count)
        refs.append(ref)
        return refs.count - 1
    }
}

import Collections
import EventModel
import RuleCompiler

/// Saving and restoring the engine's state, so that a streaming worker can
/// checkpoint it with its Kafka offsets and resume exactly there.
///
/// State is saved per rule under the rule's name and state signature; a
/// restore into a different rule set keeps the state of every rule whose
/// signature (kind, filter, key, window, correlation) is unchanged and starts
/// the others fresh.
///
/// A history shared by several rules (equal feed signatures) is written once,
/// with the first rule; the others' records name that rule (tags 4 and 5).
extension Engine {
    /// Version 1: each entry carries its event's id and raw JSON (still restored).
    static let magicV1: UInt64 = 0x514C_5953_4E41_5031 // "QLYSNAP1"
    /// Version 2: the remembered events' ids and raw JSON once, in a table after the
    /// header; entries name their event by its index in it.
    static let magic: UInt64 = 0x514C_5953_4E41_5032 // "QLYSNAP2"

    public func snapshot() -> [UInt8] {
        var w = BinaryWriter(capacity: 1 << 20)
        snapshot(into: &w)
        return w.bytes
    }

    /// `snapshot()`, appended to `w`.
    public func snapshot(into w: inout BinaryWriter) { image(copying: false).write(into: &w) }

    /// The state as it is now, to be written as `snapshot()` writes it. With
    /// `copying`, the image holds copies of the state's flat storage (pools and
    /// key tables, copied as they lie; the in-memory evidence's arrays are shared
    /// until the engine changes them), so that it can be written on another
    /// thread while the engine goes on: a streaming worker pauses for the copy,
    /// not for the serialisation. Without, it reads the live state and must be
    /// written before the engine changes.
    public func image(copying: Bool) -> EngineImage {
        precondition(!copying || evidenceStore == nil, "an engine whose evidence is in a store is written where it runs")
        var histories: [Int: HistoryState] = [:]
        func history(_ index: Int, _ live: HistoryState) -> HistoryState {
            guard copying else { return live }
            if let h = histories[index] { return h }
            let h = live.copy()
            histories[index] = h
            return h
        }
        let rules = runtimes.map { rt -> EngineImage.Rule in
            let state: EngineImage.RuleState
            switch rt.kind {
            case .condition: state = .condition
            case .window(let win): state = .window(copying ? win.state.copy() : win.state)
            case .precedence(let p):
                state = .precedence(history: p.store.index, history(p.store.index, p.store.state), keepsEntries: p.store.keepsEntries,
                                    distinctInputs: p.layout.distinctInputs.count)
            case .absence(let a): state = .absence(history: a.store.index, history(a.store.index, a.store.state))
            }
            return EngineImage.Rule(name: rt.rule.name, signature: rt.rule.stateSignature, state: state)
        }
        return EngineImage(lastTime: lastTime, lastID: lastID, seq: seq, nextSweep: nextSweep, rules: rules, pending: pending.unordered,
                           memory: copying ? memory.copy() : memory, store: evidenceStore, evidenceKeep: evidenceKeep)
    }

    /// Restores a snapshot taken by `snapshot()`, possibly of another version of the rules.
    /// Returns the names of rules whose state was dropped because they changed.
    @discardableResult
    public func restore(_ bytes: [UInt8]) throws -> [String] {
        var r = BinaryReader(bytes)
        let version = try r.u64()
        guard version == Engine.magic || version == Engine.magicV1 else { throw BinaryReader.Truncated() }
        // Expiry looks name keys by slot: whatever the restore got to before
        // a truncated snapshot stopped it, every live key gets exactly one.
        defer { rebuildExpiries() }
        lastTime = try r.i64()
        lastID = try r.string()
        seq = try r.u64()
        nextSweep = try r.i64()
        // Version 2: the evidence table (each remembered event once).
        var table: [UInt64]? = nil
        if version == Engine.magic {
            let n = try r.int()
            var refs: [UInt64] = []
            refs.reserveCapacity(n)
            for _ in 0..<n {
                let id = try r.string()
                refs.append(keepEvidence(id: id, raw: try r.blob()))
            }
            table = refs
        }
        func readEntries(_ r: inout BinaryReader) throws -> Deque<Entry> { try self.readEntries(&r, table: table) }
        var bySignature: [String: Int] = [:]
        for rule in ruleSet.rules { bySignature[rule.name + "\u{1}" + rule.stateSignature] = rule.index }
        var dropped: [String] = []
        // Histories as read, by the rule whose record held them, and which store each went to.
        var predecessors: [String: [SavedHistoryKey]] = [:]
        var expected: [String: [SavedHistoryKey]] = [:]
        var restored: Set<ObjectIdentifier> = []
        func assign(_ keys: [SavedHistoryKey], to p: PrecedenceRuntime) {
            let store = p.store
            guard restored.insert(ObjectIdentifier(store)).inserted else { return }
            guard keys.allSatisfy({ $0.run.distinct.count == p.layout.distinctInputs.count }) else { return }
            store.state.removeAll()
            for saved in keys {
                let s = store.state.add(saved.key)
                store.state[s].lastTime = saved.lastTime
                for e in store.keepsEntries ? saved.entries : saved.recent { store.state.link(s, e) }
                if !store.keepsEntries { store.state.keepNewest(s, evidenceKeep) }
                if store.state.keepsRuns { store.state.setRun(s, saved.run) }
            }
        }
        func assign(_ keys: [SavedHistoryKey], to a: AbsenceRuntime) {
            let store = a.store
            guard restored.insert(ObjectIdentifier(store)).inserted else { return }
            store.state.removeAll()
            for saved in keys {
                let s = store.state.add(saved.key)
                store.state[s].lastTime = saved.lastTime
                for e in saved.entries { store.state.link(s, e) }
            }
        }
        let count = try r.int()
        for _ in 0..<count {
            let name = try r.string()
            let sig = try r.string()
            let target = bySignature[name + "\u{1}" + sig]
            if target == nil { dropped.append(name) }
            let tag = try r.u8()
            let rt = target.map { runtimes[$0] }
            switch tag {
            case 0:
                break
            case 1:
                var win: WindowRuntime? = nil
                if let rt, case .window(let w) = rt.kind { win = w; w.state.removeAll() }
                for _ in 0..<(try r.int()) {
                    let k = try r.fingerprint()
                    let lastCondition = try r.bool()
                    let lastTime = try r.i64()
                    let entries = try readEntries(&r)
                    if let win {
                        let state = win.state
                        state.remove(k)
                        let s = state.add(k)
                        for e in entries { state.append(s, e, layout: win.layout) }
                        state[s].lastCondition = lastCondition
                        state[s].lastTime = lastTime
                    }
                }
            case 2:
                var keys: [SavedHistoryKey] = []
                for _ in 0..<(try r.int()) {
                    var st = SavedHistoryKey(key: try r.fingerprint(), lastTime: try r.i64())
                    st.entries = try readEntries(&r)
                    st.recent = try readEntries(&r)
                    st.run.totals.count = try r.int()
                    for j in 0..<4 { st.run.totals.sums[j] = try r.i128(); st.run.totals.presentCounts[j] = Int32(truncatingIfNeeded: try r.int()) }
                    let nd = try r.int()
                    var distinct: [[Fingerprint: Int32]] = []
                    for _ in 0..<nd {
                        var d: [Fingerprint: Int32] = [:]
                        for _ in 0..<(try r.int()) { d[try r.fingerprint()] = Int32(try r.int()) }
                        distinct.append(d)
                    }
                    st.run.distinct = distinct
                    keys.append(st)
                }
                predecessors[name] = keys
                if let rt, case .precedence(let p) = rt.kind { assign(keys, to: p) }
            case 3:
                var keys: [SavedHistoryKey] = []
                for _ in 0..<(try r.int()) {
                    var h = SavedHistoryKey(key: try r.fingerprint(), lastTime: try r.i64())
                    h.entries = try readEntries(&r)
                    keys.append(h)
                }
                expected[name] = keys
                if let rt, case .absence(let a) = rt.kind { assign(keys, to: a) }
            case 4:
                let first = try r.string()
                guard let keys = predecessors[first] else { throw BinaryReader.Truncated() }
                if let rt, case .precedence(let p) = rt.kind { assign(keys, to: p) }
            case 5:
                let first = try r.string()
                guard let keys = expected[first] else { throw BinaryReader.Truncated() }
                if let rt, case .absence(let a) = rt.kind { assign(keys, to: a) }
            default:
                throw BinaryReader.Truncated()
            }
        }
        pending = DeadlineQueue()
        let decoder = EventDecoder()
        for _ in 0..<(try r.int()) {
            let deadline = try r.i64()
            let s = try r.u64()
            let name = try r.string()
            let sig = try r.string()
            let raw = try r.blob()
            let key = try r.bool() ? try r.fingerprint() : nil
            let from = try r.optionalI64()
            let until = try r.optionalI64()
            guard let ri = bySignature[name + "\u{1}" + sig], case .event(let e) = decoder.decode(raw) else { continue }
            pending.insert(PendingDeadline(deadline: deadline, seq: s, rule: ri, event: e, key: key, from: from, until: until))
        }
        return Array(Set(dropped)).sorted()
    }

    /// A count, then the entries; with a `table` (version 2) each names its evidence by index in it.
    func readEntries(_ r: inout BinaryReader, table: [UInt64]?) throws -> Deque<Entry> {
        let n = try r.int()
        var out = Deque<Entry>()
        out.reserveCapacity(n)
        for _ in 0..<n {
            let time = try r.i64()
            let ref: UInt64
            if let table {
                let i = try r.int()
                guard i < table.count else { throw BinaryReader.Truncated() }
                ref = table[i]
            } else {
                let id = try r.string()
                ref = keepEvidence(id: id, raw: try r.blob())
            }
            let present = try r.u8()
            var e = Entry(time: time, ref: ref, present: present)
            for j in 0..<4 where e.has(j) { _ = try r.i128(); e.slots[j] = try r.fingerprint() }
            out.append(e)
        }
        return out
    }
}

/// One key of a precedence or absence history as a snapshot holds it.
struct SavedHistoryKey {
    let key: Fingerprint
    let lastTime: Instant
    var entries: Deque<Entry> = []
    var recent: Deque<Entry> = []
    var run = RunningAggregates.scanning
}

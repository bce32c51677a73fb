import Collections
import EventModel
import RuleCompiler

/// Evaluates a compiled rule set over events given in the total order of
/// RULES.md. Driven only by event time; no IO, no clock, deterministic.
///
/// - `process(_:)` takes the next event (it must not precede the previous one).
/// - `advance(through:)` fires deadlines once no event at or before that
///   time can come any more; `finish(lastEventTime:)` does so at the end of a
///   replay (deadlines after the last event do not fire).
/// Alerts accumulate in `alerts`; the caller drains them.
public final class Engine {
    public let ruleSet: CompiledRuleSet
    public let env: EvalEnv
    public var alerts: [Alert] = []
    public private(set) var stats = EngineStats()

    var states: [RuleState]
    var pending = Heap<PendingDeadline>()
    var seq: UInt64 = 0
    var lastTime: Instant = .min
    var lastID = ""
    var nextSweep: Instant = .min
    /// Per rule: when to look at which key again (see `expire`).
    var expiries: [Heap<Expiry>] = []
    /// How many recent predecessors a precedence key keeps for evidence.
    let evidenceKeep = 8
    /// Condition rules are evaluated by `evaluateConditions` as events arrive
    /// (their outcome does not depend on order), not by `process`.
    public var eagerConditions = false

    public init(ruleSet: CompiledRuleSet, tables: ReferenceTables) {
        self.ruleSet = ruleSet
        self.env = EvalEnv(tables: tables, params: ruleSet.params)
        states = ruleSet.rules.map { r in
            switch r.kind {
            case .condition: return .condition
            case .window(let w): return .window([:], AggregateLayout(w.aggregates, inputs: w.inputs))
            case .precedence(let p): return .precedence([:], AggregateLayout(p.aggregates, inputs: p.inputs))
            case .absence(let a): return .absence([:], AggregateLayout(a.aggregates, inputs: a.inputs))
            }
        }
        expiries = Array(repeating: Heap(), count: states.count)
    }

    /// Replaces the reference tables (a refresh while running).
    public func updateTables(_ t: ReferenceTables) { env.tables = t }

    /// The outcome of offering one event.
    public enum Outcome: Equatable {
        case processed
        /// Same (time, id) as the previous event: a duplicate.
        case duplicate
        /// Before the previous event in the total order; not processed.
        case outOfOrder
    }

    /// Processes the next event of the total order.
    @discardableResult
    public func process(_ e: Event) -> Outcome {
        if e.time < lastTime || (e.time == lastTime && EventOrder.idPrecedes(e.id, lastID)) {
            stats.outOfOrder += 1
            return .outOfOrder
        }
        if e.time == lastTime && e.id == lastID {
            stats.duplicates += 1
            return .duplicate
        }
        // Every event at or before a deadline strictly earlier than this one has been seen.
        if let top = pending.min, top.deadline < e.time { fireDeadlines { $0 < e.time } }
        if e.time >= nextSweep {
            // Checking the heaps' tops is cheap; do it every simulated minute.
            nextSweep = e.time + TimeUnit.minute
            expire(now: e.time)
        }
        lastTime = e.time
        lastID = e.id
        stats.events += 1
        let t = Int(e.type.rawValue)
        for ri in ruleSet.triggers[t] { trigger(ri, e) }
        if !ruleSet.pinnedTriggers[t].isEmpty, let pinned = ruleSet.pinnedTriggers[t][e.village.value] {
            for ri in pinned { trigger(ri, e) }
        }
        for ri in ruleSet.feeders[t] { feed(ri, e) }
        return .processed
    }

    /// Fires deadlines at or before `t`: call when every event at or before `t` has been processed.
    public func advance(through t: Instant) {
        fireDeadlines { $0 <= t }
    }

    /// End of a replay: the watermark is the ledger's last `occurred_at`.
    public func finish(lastEventTime t: Instant) {
        advance(through: t)
    }

    /// The time of the last processed event.
    public var lastEventTime: Instant { lastTime }

    /// Live keys per rule (state that memory holds), for metrics and tests.
    public func liveKeys() -> [String: Int] {
        var out: [String: Int] = [:]
        for (i, s) in states.enumerated() {
            switch s {
            case .condition: break
            case .window(let m, _): out[ruleSet.rules[i].name] = m.count
            case .precedence(let m, _): out[ruleSet.rules[i].name] = m.count
            case .absence(let m, _): out[ruleSet.rules[i].name] = m.count
            }
        }
        return out
    }

    /// Events held in rule state (window members, predecessors, expected events).
    public func retainedEntries() -> Int {
        var n = 0
        for s in states {
            switch s {
            case .condition: break
            case .window(let m, _): for v in m.values { n += v.entries.count }
            case .precedence(let m, _): for v in m.values { n += v.entries.count + v.recent.count }
            case .absence(let m, _): for v in m.values { n += v.entries.count }
            }
        }
        return n
    }

    /// Opened absence rules waiting for their deadline.
    public var pendingDeadlines: Int { pending.count }

    // MARK: triggers

    /// Evaluates only the condition rules for an event, at once.
    public func evaluateConditions(_ e: Event) {
        let t = Int(e.type.rawValue)
        for ri in ruleSet.triggers[t] where ruleSet.rules[ri].isCondition { conditionRule(ri, e) }
        if let pinned = ruleSet.pinnedTriggers[t][e.village.value] {
            for ri in pinned where ruleSet.rules[ri].isCondition { conditionRule(ri, e) }
        }
    }

    func conditionRule(_ ri: Int, _ e: borrowing Event) {
        let rule = ruleSet.rules[ri]
        if let f = rule.triggerFilter {
            env.ruleIndex = ri
            guard f(e, env) == true else { return }
        }
        emit(rule, anchor: e, evidence: [], evidenceIncludesAnchor: false)
    }

    @inline(__always)
    func trigger(_ ri: Int, _ e: borrowing Event) {
        let rule = ruleSet.rules[ri]
        if eagerConditions && rule.isCondition { return }
        if let f = rule.triggerFilter {
            env.ruleIndex = ri
            guard f(e, env) == true else { return }
        }
        switch rule.kind {
        case .condition:
            emit(rule, anchor: e, evidence: [], evidenceIncludesAnchor: false)
        case .window(let plan):
            windowEvent(ri, rule, plan, e)
        case .precedence(let plan):
            check(ri, rule, plan, e)
        case .absence(let plan):
            open(ri, plan, e)
        }
    }

    func key(_ fns: [FpFn], _ e: borrowing Event) -> Fingerprint? {
        var k = Fingerprint(hi: 0x5EED, lo: UInt64(fns.count))
        for f in fns {
            guard let c = f(e, env) else { return nil }
            k = k.combined(with: c)
        }
        return k
    }

    func windowEvent(_ ri: Int, _ rule: CompiledRule, _ plan: WindowPlan, _ e: borrowing Event) {
        guard case .window(var map, let layout) = states[ri] else { return }
        states[ri] = .condition // release the map's buffer so it is mutated in place
        defer { states[ri] = .window(map, layout) }
        // An absent key component forms its own group.
        let k = key(plan.key, e) ?? Fingerprint(hi: 0xAB5E47, lo: 0)
        let st: WindowKeyState
        if let s = map[k] { st = s } else {
            st = WindowKeyState(distinctSlots: layout.distinctInputs.count)
            map[k] = st
            schedule(ri, k, e.time + (plan.window ?? rule.retention))
        }
        if let w = plan.window { st.prune(olderThan: e.time - w, layout: layout) }
        let entry = Entry(e, inputs: layout.inputs, env: env)
        st.entries.append(entry)
        st.run.add(entry, distinctInputs: layout.distinctInputs)
        st.lastTime = e.time
        env.ruleIndex = ri
        layout.fill(env, st.run) { Array(st.entries) }
        let holds = plan.condition(e, env) == true
        if holds && !st.lastCondition {
            emit(rule, anchor: e, evidence: Array(st.entries), evidenceIncludesAnchor: true)
        }
        st.lastCondition = holds
    }

    func check(_ ri: Int, _ rule: CompiledRule, _ plan: PrecedencePlan, _ e: borrowing Event) {
        guard case .precedence(let map, let layout) = states[ri] else { return }
        var run = RunningAggregates(distinctSlots: layout.distinctInputs.count)
        var found: [Entry] = []
        if let k = key(plan.triggerKey, e), let st = map[k] {
            if let lb = plan.lookback {
                let limit = e.time - lb
                while let f = st.entries.first, f.time < limit { st.entries.removeFirst() }
                for x in st.entries { run.add(x, distinctInputs: layout.distinctInputs) }
                found = Array(st.entries.suffix(evidenceKeep))
            } else {
                run = st.run
                found = Array(st.recent)
            }
        }
        env.ruleIndex = ri
        layout.fill(env, run) { found }
        if plan.having(e, env) != true {
            emit(rule, anchor: e, evidence: found, evidenceIncludesAnchor: false)
        }
    }

    func open(_ ri: Int, _ plan: AbsencePlan, _ e: borrowing Event) {
        env.ruleIndex = ri
        guard let deadline = plan.deadline(e, env) else {
            stats.unscheduled += 1
            return
        }
        let from = plan.from.flatMap { $0(e, env) }
        let until = plan.until.flatMap { $0(e, env) }
        if (plan.from != nil && from == nil) || (plan.until != nil && until == nil) {
            stats.unscheduled += 1
            return
        }
        seq += 1
        pending.insert(PendingDeadline(deadline: deadline, seq: seq, rule: ri, event: copy e, key: key(plan.openKey, e), from: from, until: until))
    }

    // MARK: feeders

    func feed(_ ri: Int, _ e: borrowing Event) {
        switch ruleSet.rules[ri].kind {
        case .precedence(let plan):
            if let f = plan.requiredFilter {
                env.ruleIndex = ri
                guard f(e, env) == true else { return }
            }
            guard let k = key(plan.requiredKey, e), case .precedence(var map, let layout) = states[ri] else { return }
            states[ri] = .condition
            defer { states[ri] = .precedence(map, layout) }
            let st: PredecessorKeyState
            if let s = map[k] { st = s } else {
                st = PredecessorKeyState(distinctSlots: layout.distinctInputs.count)
                map[k] = st
                schedule(ri, k, e.time + (plan.lookback ?? ruleSet.rules[ri].retention))
            }
            let entry = Entry(e, inputs: layout.inputs, env: env)
            if plan.lookback != nil || layout.needsScan {
                st.entries.append(entry)
            }
            st.run.add(entry, distinctInputs: layout.distinctInputs)
            st.recent.append(entry)
            if st.recent.count > evidenceKeep { st.recent.removeFirst() }
            st.lastTime = e.time
        case .absence(let plan):
            if let f = plan.expectedFilter {
                env.ruleIndex = ri
                guard f(e, env) == true else { return }
            }
            guard let k = key(plan.expectedKey, e), case .absence(var map, let layout) = states[ri] else { return }
            states[ri] = .condition
            defer { states[ri] = .absence(map, layout) }
            let h: ExpectedHistory
            if let s = map[k] { h = s } else {
                h = ExpectedHistory()
                map[k] = h
                schedule(ri, k, e.time + ruleSet.rules[ri].retention)
            }
            h.entries.append(Entry(e, inputs: layout.inputs, env: env))
            h.lastTime = e.time
        default:
            break
        }
    }

    // MARK: deadlines

    func fireDeadlines(_ due: (Instant) -> Bool) {
        while let top = pending.min, due(top.deadline) {
            let p = pending.removeMin()
            let rule = ruleSet.rules[p.rule]
            guard case .absence(let plan) = rule.kind, case .absence(let map, let layout) = states[p.rule] else { continue }
            var run = RunningAggregates(distinctSlots: layout.distinctInputs.count)
            var counted: [Entry] = []
            if let k = p.key, let h = map[k] {
                for x in h.entries {
                    if let f = p.from, x.time < f { continue }
                    if let u = p.until, x.time >= u { continue }
                    run.add(x, distinctInputs: layout.distinctInputs)
                    counted.append(x)
                }
            }
            env.ruleIndex = p.rule
            env.deadline = p.deadline
            layout.fill(env, run) { counted }
            if plan.enough(p.event, env) != true {
                emit(rule, anchor: p.event, evidence: counted, evidenceIncludesAnchor: false)
            }
        }
    }

    // MARK: eviction

    /// A key to look at again once event time passes `due`.
    struct Expiry: Comparable {
        var due: Instant
        var key: Fingerprint
        static func < (a: Expiry, b: Expiry) -> Bool { a.due < b.due }
    }

    /// Schedules a look at a new key.
    @inline(__always)
    func schedule(_ ri: Int, _ key: Fingerprint, _ due: Instant) {
        expiries[ri].insert(Expiry(due: due, key: key))
    }

    /// Drops state that can no longer matter, so memory stays bounded on an
    /// endless stream. Each key has one pending look in its rule's heap; a
    /// look either drops the key or reschedules it for when it next could.
    func expire(now: Instant) {
        for ri in expiries.indices where !expiries[ri].isEmpty {
            guard let top = expiries[ri].min, top.due < now else { continue }
            let rule = ruleSet.rules[ri]
            switch states[ri] {
            case .condition:
                expiries[ri] = Heap()
            case .window(var map, let layout):
                states[ri] = .condition
                guard case .window(let plan) = rule.kind else { break }
                while let t = expiries[ri].min, t.due < now {
                    let x = expiries[ri].removeMin()
                    guard let st = map[x.key] else { continue }
                    if let w = plan.window {
                        st.prune(olderThan: now - w, layout: layout)
                        if let f = st.entries.first {
                            schedule(ri, x.key, f.time + w)
                        } else if st.lastCondition && st.lastTime >= now - rule.retention {
                            // Over the line when it went quiet: remember that until the retention passes.
                            schedule(ri, x.key, st.lastTime + rule.retention)
                        } else {
                            map.removeValue(forKey: x.key)
                        }
                    } else if st.lastTime >= now - rule.retention {
                        schedule(ri, x.key, st.lastTime + rule.retention)
                    } else {
                        map.removeValue(forKey: x.key)
                    }
                }
                states[ri] = .window(map, layout)
            case .precedence(var map, let layout):
                states[ri] = .condition
                guard case .precedence(let plan) = rule.kind else { break }
                while let t = expiries[ri].min, t.due < now {
                    let x = expiries[ri].removeMin()
                    guard let st = map[x.key] else { continue }
                    if let lb = plan.lookback {
                        while let f = st.entries.first, f.time < now - lb { st.entries.removeFirst() }
                        if let f = st.entries.first { schedule(ri, x.key, f.time + lb) } else { map.removeValue(forKey: x.key) }
                    } else if st.lastTime >= now - rule.retention {
                        schedule(ri, x.key, st.lastTime + rule.retention)
                    } else {
                        map.removeValue(forKey: x.key)
                    }
                }
                states[ri] = .precedence(map, layout)
            case .absence(var map, let layout):
                states[ri] = .condition
                while let t = expiries[ri].min, t.due < now {
                    let x = expiries[ri].removeMin()
                    guard let h = map[x.key] else { continue }
                    while let f = h.entries.first, f.time < now - rule.retention { h.entries.removeFirst() }
                    if let f = h.entries.first { schedule(ri, x.key, f.time + rule.retention) } else { map.removeValue(forKey: x.key) }
                }
                states[ri] = .absence(map, layout)
            }
        }
    }

    /// After a restore: one look per live key.
    func rebuildExpiries() {
        expiries = Array(repeating: Heap(), count: states.count)
        for (ri, s) in states.enumerated() {
            let rule = ruleSet.rules[ri]
            switch s {
            case .condition: break
            case .window(let map, _):
                guard case .window(let plan) = rule.kind else { break }
                for (k, st) in map { schedule(ri, k, (plan.window.flatMap { w in st.entries.first.map { $0.time + w } }) ?? st.lastTime + rule.retention) }
            case .precedence(let map, _):
                guard case .precedence(let plan) = rule.kind else { break }
                for (k, st) in map { schedule(ri, k, (plan.lookback.flatMap { lb in st.entries.first.map { $0.time + lb } }) ?? st.lastTime + rule.retention) }
            case .absence(let map, _):
                for (k, h) in map { schedule(ri, k, (h.entries.first?.time ?? h.lastTime) + rule.retention) }
            }
        }
    }

    // MARK: alerts

    func emit(_ rule: CompiledRule, anchor e: borrowing Event, evidence: [Entry], evidenceIncludesAnchor: Bool) {
        stats.alerts += 1
        env.rawCache.removeAll(keepingCapacity: true)
        var items: [(Instant, String, [UInt8])] = evidence.map { ($0.time, $0.id, $0.raw) }
        if !evidenceIncludesAnchor { items.append((e.time, e.id, e.raw)) }
        items.sort { EventOrder.precedes($0.0, $0.1, $1.0, $1.1) }
        var keyText = ""
        for (name, f) in rule.keyDisplay {
            if !keyText.isEmpty { keyText += ", " }
            keyText += name + "=" + (f(e, env) ?? "—")
        }
        var figures: [Figure] = []
        for fs in rule.figures {
            if let v = fs.value(e, env) { figures.append(Figure(fs.name, v)) }
        }
        env.chinese = true
        let zh = rule.summaryZH.render(e, env)
        env.chinese = false
        let en = rule.summaryEN.render(e, env)
        env.chinese = true
        alerts.append(Alert(ruleID: rule.name, ruleVersion: rule.version, severity: rule.severity, anchorEventID: e.id,
                            anchorTime: e.time, village: e.village, key: keyText, evidenceEventIDs: items.map(\.1),
                            firstEvidenceAt: items.first?.0 ?? e.time, lastEvidenceAt: items.last?.0 ?? e.time,
                            figures: figures, summaryZH: zh, summaryEN: en, evidence: items.map(\.2)))
    }
}

/// Counters of what the engine did.
public struct EngineStats: Sendable, Hashable {
    public var events = 0
    public var duplicates = 0
    public var outOfOrder = 0
    public var alerts = 0
    /// Absence rules opened without a computable deadline or range.
    public var unscheduled = 0
}

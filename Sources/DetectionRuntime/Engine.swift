import CPrefetch
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

    var runtimes: [RuleRuntime]
    /// `runtimes` unretained, for the dispatch of every event (`trigger`).
    let runtimeRefs: [Unmanaged<RuleRuntime>]
    /// Per event type, the rules it triggers and the histories it feeds (with `runtimeRefs`, no reference counting).
    let dispatch: DispatchTable
    /// Histories of required/expected events, one per feed signature.
    let stores: FeedStores
    var pending = DeadlineQueue()
    /// Which expiry heaps have a look due, earliest first (see `schedule`).
    let dues: DueQueue
    var seq: UInt64 = 0
    var lastTime: Instant = .min
    var lastID = ""
    var nextSweep: Instant = .min
    /// How many recent predecessors a precedence key keeps for evidence.
    let evidenceKeep = 8
    /// Condition rules are evaluated by `evaluateConditions` as events arrive
    /// (their outcome does not depend on order), not by `process`.
    public var eagerConditions = false
    /// Per event type, whether some condition rule (pinned or not) is triggered by it.
    let conditionTypes: [Bool]
    /// Where remembered events keep their id and raw JSON; nil keeps them in
    /// memory (`memory`). Set before the first event.
    public var evidenceStore: EvidenceStore? {
        didSet {
            evidenceBox = evidenceStore.map(EvidenceStoreBox.init)
            evidenceKeeper = evidenceBox.map { Unmanaged.passUnretained($0) }
        }
    }
    /// `evidenceStore` in a box the engine owns (`evidenceBox`), reached
    /// unretained at each event (`evidenceKeeper`, in `evidenceRef`): calling
    /// the optional existential retained and released the store per event.
    private var evidenceBox: EvidenceStoreBox?
    private var evidenceKeeper: Unmanaged<EvidenceStoreBox>?
    /// Ids and raw JSON that no `evidenceStore` keeps.
    let memory = MemoryEvidence()
    /// The current event's evidence reference once stored (it is stored once, however many histories keep it).
    var currentRef: UInt64 = 0

    /// The count(distinct …) a window event left pending (`windowEvent`).
    let pendingDistinct = PendingWindowDistinct()

    /// Trigger filters several rules share (`CompiledRule.filterShare`): each
    /// result as `epoch << 1 | passed`, valid while `filterEpoch` (one per
    /// event offered) is unchanged. The 1,400-rule pack's village variants
    /// tested the same filter once per variant.
    let filterMemo: UnsafeMutablePointer<UInt64>
    var filterEpoch: UInt64 = 0

    public init(ruleSet: CompiledRuleSet, tables: ReferenceTables) {
        self.ruleSet = ruleSet
        self.env = EvalEnv(tables: tables, params: ruleSet.params)
        env.lazyAggregates = pendingDistinct
        var stores = FeedStores()
        var runtimes: [RuleRuntime] = []
        for r in ruleSet.rules { runtimes.append(RuleRuntime(r, stores: &stores)) }
        self.runtimes = runtimes
        runtimeRefs = runtimes.map { Unmanaged.passUnretained($0) }
        dispatch = DispatchTable(triggers: ruleSet.triggers, pinnedTriggers: ruleSet.pinnedTriggers,
                                 feeds: stores.byType.map { $0.map(FeedRef.init) })
        self.stores = stores
        conditionTypes = EventType.allCases.map { type in
            let t = Int(type.rawValue)
            let unpinned = t < ruleSet.triggers.count ? ruleSet.triggers[t] : []
            let pinned = t < ruleSet.pinnedTriggers.count ? ruleSet.pinnedTriggers[t].values.flatMap { $0 } : []
            return (unpinned + pinned).contains { ruleSet.rules[$0].isCondition }
        }
        dues = DueQueue(capacity: runtimes.count + stores.all.count)
        filterMemo = .allocate(capacity: max(1, ruleSet.filterShares))
        filterMemo.initialize(repeating: 0, count: max(1, ruleSet.filterShares))
    }

    deinit {
        dispatch.deallocate()
        filterMemo.deallocate()
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
    public func process(_ e: borrowing Event) -> Outcome {
        let outcome: Outcome = e.time != lastTime ? (e.time < lastTime ? .outOfOrder : .processed) : Self.tie(e, after: lastID)
        guard counted(outcome) else { return outcome }
        lastID = e.id
        evaluate(e)
        return .processed
    }

    /// An event at the same instant as the last one processed: after it (by id), the same, or before it.
    @inline(__always)
    private static func tie(_ e: borrowing Event, after last: String) -> Outcome {
        var last = last
        return outcome(e.withIDBytes { id in last.withUTF8 { EventOrder.compare(id, $0) } })
    }

    /// What an id's order against the last one's makes of a tie.
    @inline(__always)
    private static func outcome(_ order: Int) -> Outcome {
        order < 0 ? .outOfOrder : (order == 0 ? .duplicate : .processed)
    }

    /// Counts an event refused as a duplicate or out of order; true when it is to be processed.
    @inline(__always)
    private func counted(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .processed: return true
        case .duplicate: stats.duplicates += 1
        case .outOfOrder: stats.outOfOrder += 1
        }
        return false
    }

    /// Evaluates the next event of the total order (checked by the caller); `lastID` is the caller's to set.
    @inline(__always)
    private func evaluate(_ e: borrowing Event) {
        // Every event at or before a deadline strictly earlier than this one has been seen.
        // (The closure captures the time, not the event: capturing `e` copied and
        // retained the event each time deadlines fired.)
        let time = e.time
        if pending.nextDeadline < time { fireDeadlines { $0 < time } }
        if e.time >= nextSweep {
            // Checking the heaps' tops is cheap; do it every simulated minute.
            nextSweep = e.time + TimeUnit.minute
            expire(now: e.time)
        }
        if memory.needsCollection { collectEvidence() }
        lastTime = e.time
        currentRef = 0
        filterEpoch &+= 1
        stats.events += 1
        let t = Int(e.type.rawValue)
        dispatch.forEachRule(t) { trigger($0, e) }
        if dispatch.hasPinned(t) { dispatch.forEachPinned(t, e.village) { trigger($0, e) } }
        dispatch.forEachFeed(t) { feed($0, e) }
    }

    /// (Swift copies an `inout` argument passed on as `borrowing`: one 392-byte
    /// `memcpy` per event here, without reference counting. A callee taking
    /// `inout` would not copy, but every compiled closure takes the event
    /// `borrowing`, so the copy would move to each of those calls.)
    @inline(__always)
    private func evaluate(inPlace e: inout Event) { evaluate(e) }

    /// `process(_:)` for each event of a buffer the caller shares with other
    /// engines on other threads (a batch of ordered events every lane
    /// reads), in place (see `process(inPlace:)`). Each event is checked
    /// against the one before it in the buffer, and only the last one's id
    /// is kept: keeping each id (a retain and a release on a string every
    /// lane touches at the same time) took about a tenth of a replay's CPU time.
    public func process(inPlace events: UnsafeMutableBufferPointer<Event>) {
        guard let base = events.baseAddress else { return }
        let n = events.count
        guard evidenceKeeper == nil else { return process(count: n) { base + $0 } }
        // Without an evidence store, a remembered event's raw bytes are kept
        // by reference (`MemoryEvidence`): the retain writes the reference
        // count in their buffer's header, which for an event decoded long
        // before has left the caches. Asked for four events ahead (and the
        // events themselves eight ahead, to read where their bytes are).
        process(count: n) { i in
            if i &+ 8 < n { qly_prefetch(base + (i &+ 8), MemoryLayout<Event>.size) }
            if i &+ 4 < n { Prefetch.arrayStorage(of: &base[i &+ 4].raw) }
            return base + i
        }
    }

    /// `process(inPlace:)` for events that lie where a reorder buffer lent
    /// them (`LentEvents`), in the order given. They lie apart, so each is
    /// asked for in the caches two events ahead.
    public func process(lent events: [UnsafeMutablePointer<Event>]) {
        events.withUnsafeBufferPointer { p in
            let n = p.count
            process(count: n) { i in
                if i + 2 < n { qly_prefetch(p[i + 2], MemoryLayout<Event>.size) }
                return p[i]
            }
        }
    }

    @inline(__always)
    private func process(count: Int, _ event: (Int) -> UnsafeMutablePointer<Event>) {
        var previous: UnsafeMutablePointer<Event>? = nil
        for i in 0..<count {
            let e = event(i)
            let t = e.pointee.time
            let lastT = previous?.pointee.time ?? lastTime
            // Ids are compared only on a tie (as the bytes in `raw`: no `String` made).
            let outcome: Outcome = t != lastT ? (t < lastT ? .outOfOrder : .processed)
                // Ids read in place: a method called on `pointee` copied both events and retained their parts.
                : Self.outcome(previous.map { Event.compareIDs(e, $0) } ?? Event.compareIDs(e, lastID))
            guard counted(outcome) else { continue }
            evaluate(inPlace: &e.pointee)
            previous = e
        }
        if let previous { lastID = previous.pointee.id }
    }

    /// `process(_:)` for an event in memory the caller shares (a batch that
    /// several lanes read): an `inout` argument is passed by its address,
    /// where a borrowed array element or `pointee` is first copied (392
    /// bytes, and a retain and release of its id, raw bytes and texts — 8 %
    /// of a replay's CPU time). The event is not changed.
    @discardableResult
    public func process(inPlace e: inout Event) -> Outcome { process(e) }

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
        for rt in runtimes where !rt.isCondition { out[rt.rule.name] = rt.liveKeys }
        return out
    }

    /// Events held in rule state (window members, predecessors, expected events).
    public func retainedEntries() -> Int {
        var n = 0
        for rt in runtimes {
            if case .window(let w) = rt.kind { n += w.state.entryCount }
        }
        for store in stores.all {
            switch store {
            case .predecessors(let p): n += p.state.pool.live
            case .expected(let a): n += a.state.pool.live
            }
        }
        return n
    }

    /// Histories of required/expected events the ordered rules keep: one per
    /// feed signature, so per-village variants of a rule share one.
    public var historyCount: Int { stores.all.count }

    /// Remembered events whose id and raw JSON the engine keeps in memory
    /// (not in `evidenceStore`), including some no longer needed that the
    /// next collection frees.
    public var evidenceInMemory: Int { memory.live }

    /// Opened absence rules waiting for their deadline.
    public var pendingDeadlines: Int { pending.count }

    // MARK: triggers

    /// Evaluates only the condition rules for an event, at once. The event
    /// is passed by its address and not changed (a value argument from a
    /// stored property or a pointer's `pointee` is a copy: 392 bytes and a
    /// retain and release of its parts, per record of a streaming worker).
    @inline(__always)
    public func evaluateConditions(inPlace e: inout Event) {
        // Passing `e` on copies it (see `evaluate(inPlace:)`): only for a type some condition rule reads.
        if conditionTypes[Int(e.type.rawValue)] { evaluateConditions(e) }
    }

    private func evaluateConditions(_ e: borrowing Event) {
        let t = Int(e.type.rawValue)
        filterEpoch &+= 1
        dispatch.forEachRule(t) { ri in runtimeRefs[ri]._withUnsafeGuaranteedRef { if $0.isCondition { conditionRule($0, e) } } }
        if dispatch.hasPinned(t) {
            dispatch.forEachPinned(t, e.village) { ri in runtimeRefs[ri]._withUnsafeGuaranteedRef { if $0.isCondition { conditionRule($0, e) } } }
        }
    }

    func conditionRule(_ rt: RuleRuntime, _ e: borrowing Event) {
        guard passes(rt, e) else { return }
        emit(rt.rule, anchor: e, evidence: [], evidenceIncludesAnchor: false)
    }

    /// Whether an event passes a rule's trigger filter; a shared filter is
    /// tested once per event (`filterMemo`).
    @inline(__always)
    func passes(_ rt: RuleRuntime, _ e: borrowing Event) -> Bool {
        // Called through the optional in place: binding the closure to a
        // local retained and released its context at each trigger.
        guard rt.filter != nil else { return true }
        guard rt.filterShare >= 0 else { return rt.filter?(e, env) == true }
        let memo = filterMemo + rt.filterShare
        if memo.pointee &>> 1 == filterEpoch { return memo.pointee & 1 == 1 }
        let passed = rt.filter?(e, env) == true
        memo.pointee = filterEpoch &<< 1 | (passed ? 1 : 0)
        return passed
    }

    @inline(__always)
    func trigger(_ ri: Int, _ e: borrowing Event) {
        runtimeRefs[ri]._withUnsafeGuaranteedRef { rt in
            if eagerConditions && rt.isCondition { return }
            guard passes(rt, e) else { return }
            switch rt.dispatch {
            case .condition:
                emit(rt.rule, anchor: e, evidence: [], evidenceIncludesAnchor: false)
            case .window(let w):
                w._withUnsafeGuaranteedRef { windowEvent(rt, $0, e) }
            case .precedence(let p):
                p._withUnsafeGuaranteedRef { check(rt, $0, e) }
            case .absence(let a):
                a._withUnsafeGuaranteedRef { open(ri, $0, e) }
            }
        }
    }

    @inline(__always)
    func key(_ parts: KeyParts, _ e: borrowing Event) -> Fingerprint? { parts.key(e, env) }


    /// The current event's evidence reference (stored on first use).
    @inline(__always)
    func evidenceRef(_ e: borrowing Event) -> UInt64 {
        if currentRef == 0 {
            if let keeper = evidenceKeeper { currentRef = keeper._withUnsafeGuaranteedRef { $0.store.keep(e) } }
            if currentRef == 0 { currentRef = memory.append(e) }
        }
        return currentRef
    }

    /// Stores an id and raw JSON for evidence: in the store, or in memory when there is none or it declines.
    func keepEvidence(id: String, raw: [UInt8]) -> UInt64 {
        if let store = evidenceStore {
            let ref = store.append(id: id, raw: raw)
            if ref != 0 { return ref }
        }
        return memory.append(id: id, raw: raw)
    }

    /// An entry's event id and raw JSON, wherever they are kept.
    func evidence(_ x: Entry) -> (id: String, raw: [UInt8]) {
        MemoryEvidence.holds(x.ref) ? memory.read(x.ref) : evidenceStore!.read(x.ref)
    }

    /// Frees the in-memory evidence that no state names any more.
    func collectEvidence() {
        memory.collect { mark in
            for rt in runtimes {
                if case .window(let w) = rt.kind { w.state.pool.forEachLive { mark($0.ref) } }
            }
            for store in stores.all {
                switch store {
                case .predecessors(let p): p.state.pool.forEachLive { mark($0.ref) }
                case .expected(let a): a.state.pool.forEachLive { mark($0.ref) }
                }
            }
        }
    }

    func windowEvent(_ rt: RuleRuntime, _ w: WindowRuntime, _ e: borrowing Event) {
        // An absent key component forms its own group.
        let k = key(w.key, e) ?? Fingerprint(hi: 0xAB5E47, lo: 0)
        let layout = w.layout
        let state = w.state
        let s = slot(of: k, in: state, looks: rt.expiries, heap: rt.rule.index, due: e.time + (w.window ?? rt.retention))
        if let len = w.window { state.prune(s, olderThan: e.time - len, layout: layout) }
        state.append(s, Entry(e, ref: evidenceRef(e), inputs: layout.inputs, env: env), layout: layout)
        state[s].lastTime = e.time
        // A key's count and running sum decide most events without reading
        // one entry; count(distinct …) is counted only if it is read.
        let sum: Int64? = state.sumInput >= 0 ? state.runningSum(s) : 0
        if layout.runsWithoutWalk && state[s].run < 0, let sum {
            layout.fillRunning(env, count: state[s].count, sum: sum)
            pendingDistinct.window = w
            pendingDistinct.slot = s
        } else {
            layout.fill(env, state.aggregates(s, layout: layout), entries: state.entries(s))
        }
        let holds = w.condition(e, env) == true
        if holds && !state[s].lastCondition {
            emit(rt.rule, anchor: e, evidence: Array(state.entries(s)), evidenceIncludesAnchor: true)
        }
        env.pendingAggregates = 0
        state[s].lastCondition = holds
    }

    /// The key's slot in `state`; a key without one is added, with its first
    /// expiry look (`due`) in `looks`, the expiry heap `heap` of `schedule`.
    @inline(__always)
    func slot<State: KeyedState>(of k: Fingerprint, in state: State, looks: ChunkedHeap<Expiry>, heap: Int, due: Instant) -> Int32 {
        let (s, added) = state.slotOrAdd(k)
        if added {
            looks.insert(Expiry(due: due, slot: s))
            schedule(heap, due)
        }
        return s
    }

    func check(_ rt: RuleRuntime, _ p: PrecedenceRuntime, _ e: borrowing Event) {
        // The layout is used where the store holds it: a local copy (or
        // `p.layout`, a computed copy) retained and released its four arrays
        // at every checked event.
        let store = p.store
        let state = store.state
        var slot: Int32? = nil
        if let k = key(p.triggerKey, e) { slot = state.slot(k) }
        guard let s = slot else {
            store.layout.fill(env, AggregateTotals(), entries: EmptyCollection<Entry>())
            if p.having(e, env) != true { emit(rt.rule, anchor: e, evidence: [], evidenceIncludesAnchor: false) }
            return
        }
        // min/max scan every predecessor kept (all within the lookback, or all
        // within the retention when the rule needs them); evidence is the latest few.
        if let lb = p.lookback {
            state.prune(s, olderThan: e.time - lb)
            var run = AggregateTotals()
            for x in state.entries(s) { run.add(x, store.layout) }
            store.layout.fill(env, run, entries: state.entries(s))
        } else {
            store.layout.fill(env, state.totals(s), entries: state.entries(s))
        }
        if p.having(e, env) != true {
            emit(rt.rule, anchor: e, evidence: state.newest(s, evidenceKeep), evidenceIncludesAnchor: false)
        }
    }

    func open(_ ri: Int, _ a: AbsenceRuntime, _ e: borrowing Event) {
        guard let deadline = a.deadline(e, env) else {
            stats.unscheduled += 1
            return
        }
        let from = a.from.flatMap { $0(e, env) }
        let until = a.until.flatMap { $0(e, env) }
        if (a.from != nil && from == nil) || (a.until != nil && until == nil) {
            stats.unscheduled += 1
            return
        }
        seq += 1
        pending.insert(PendingDeadline(deadline: deadline, seq: seq, rule: ri, event: copy e, key: key(a.openKey, e), from: from, until: until))
    }

    // MARK: feeders

    /// Adds a required/expected event to the history that keeps it (once, however many rules share it).
    func feed(_ store: FeedRef, _ e: borrowing Event) {
        switch store {
        case .predecessors(let ref):
            ref._withUnsafeGuaranteedRef { p in feed(p, e) }
        case .expected(let ref):
            ref._withUnsafeGuaranteedRef { a in feed(a, e) }
        }
    }

    @inline(__always)
    func feed(_ p: PredecessorStore, _ e: borrowing Event) {
        if p.requiredFilter != nil && p.requiredFilter?(e, env) != true { return } // in place: see `trigger`
        guard let k = key(p.requiredKey, e) else { return }
        let state = p.state
        let s = slot(of: k, in: state, looks: p.expiries, heap: runtimes.count + p.index, due: e.time + (p.lookback ?? p.retention))
        // A key fed without end and never checked is looked at only when it goes
        // quiet (`expire`): what left the lookback goes here, while the key is hot.
        if let lb = p.lookback { state.prune(s, olderThan: e.time - lb) }
        state.append(s, Entry(e, ref: evidenceRef(e), inputs: p.layout.inputs, env: env), layout: p.layout)
        if !p.keepsEntries { state.keepNewest(s, evidenceKeep) }
        state[s].lastTime = e.time
    }

    @inline(__always)
    func feed(_ a: ExpectedStore, _ e: borrowing Event) {
        if a.expectedFilter != nil && a.expectedFilter?(e, env) != true { return } // in place: see `trigger`
        guard let k = key(a.expectedKey, e) else { return }
        let state = a.state
        let s = slot(of: k, in: state, looks: a.expiries, heap: runtimes.count + a.index, due: e.time + a.retention)
        state.link(s, Entry(e, ref: evidenceRef(e), inputs: a.layout.inputs, env: env))
        state[s].lastTime = e.time
    }

    // MARK: deadlines

    func fireDeadlines(_ due: (Instant) -> Bool) {
        while pending.count > 0, due(pending.nextDeadline) {
            let p = pending.removeMin()
            let rt = runtimes[p.rule]
            guard case .absence(let a) = rt.kind else { continue }
            let layout = a.store.layout
            var run = AggregateTotals()
            var counted: [Entry] = []
            if let k = p.key, let s = a.store.state.slot(k) {
                for x in a.store.state.entries(s) {
                    if let f = p.from, x.time < f { continue }
                    if let u = p.until, x.time >= u { continue }
                    run.add(x, layout)
                    counted.append(x)
                }
            }
            env.deadline = p.deadline
            layout.fill(env, run, entries: counted)
            if a.enough(p.event, env) != true {
                emit(rt.rule, anchor: p.event, evidence: counted, evidenceIncludesAnchor: false)
            }
        }
    }

    // MARK: eviction

    /// A key (by its slot in the state) to look at again once event time
    /// passes `due`. Each live key has exactly one; a key is forgotten only
    /// when its look comes due, so the slot still names it then.
    struct Expiry: Comparable {
        var due: Instant
        var slot: Int32
        static func < (a: Expiry, b: Expiry) -> Bool { a.due < b.due }
    }

    /// Notes that heap `id` (a rule's index, or the rule count plus a
    /// history's index) has a look due at `t`. `dues` holds each heap once,
    /// at its earliest look, so a sweep visits only the heaps with something
    /// due, not every rule — with 1,400 rules, looking at each rule's heap
    /// every simulated minute was most of what the extra rules cost.
    @inline(__always)
    func schedule(_ id: Int, _ t: Instant) { dues.schedule(id, t) }

    /// Drops state that can no longer matter, so memory stays bounded on an
    /// endless stream. Each key has one pending look in its rule's heap; a
    /// look either drops the key or reschedules it for when it next could.
    func expire(now: Instant) {
        while let t = dues.minTime, t < now {
            let id = dues.popMin()
            if id < runtimes.count {
                // Unretained, as at dispatch: `runtimes[id]` and the window bound from
                // `rt.kind` retained and released three objects a sweep of a heap.
                runtimeRefs[id]._withUnsafeGuaranteedRef { rt in
                    expire(rt, now: now)
                    if let m = rt.expiries.min { schedule(id, m.due) }
                }
            } else {
                let store = stores.all[id - runtimes.count]
                expire(store, now: now)
                if let m = store.nextExpiry { schedule(id, m) }
            }
        }
    }

    func expire(_ rt: RuleRuntime, now: Instant) {
        guard case .window(let ref) = rt.dispatch else {
            rt.expiries = ChunkedHeap()
            return
        }
        ref._withUnsafeGuaranteedRef { expire(rt, $0, now: now) }
    }

    private func expire(_ rt: RuleRuntime, _ w: WindowRuntime, now: Instant) {
        let state = w.state
        // The heap in a local: read through `rt` at each call, it was
        // retained and released around every look.
        let looks = rt.expiries
        while let t = looks.min, t.due < now {
            let s = looks.removeMin().slot
            assert(state.slot(state.key(s)) == s)
            if let len = w.window {
                // A key looked at when its newest event leaves the window: one
                // look per quiet spell, not one per entry (older entries go at
                // the key's next event, `windowEvent`'s prune, while it is hot).
                if state[s].lastTime >= now - len {
                    looks.insert(Expiry(due: state[s].lastTime + len, slot: s))
                    continue
                }
                // Its newest event has left the window, and with it every entry.
                if state[s].lastCondition && state[s].lastTime >= now - rt.retention {
                    // Over the line when it went quiet: remember that until the retention passes.
                    state.prune(s, olderThan: now - len, layout: w.layout)
                    looks.insert(Expiry(due: state[s].lastTime + rt.retention, slot: s))
                } else {
                    state.remove(state.key(s))
                }
            } else if state[s].lastTime >= now - rt.retention {
                looks.insert(Expiry(due: state[s].lastTime + rt.retention, slot: s))
            } else {
                state.remove(state.key(s))
            }
        }
    }

    func expire(_ store: FeedStore, now: Instant) {
        switch store {
        case .predecessors(let p):
            let looks = p.expiries
            while let t = looks.min, t.due < now {
                let s = looks.removeMin().slot
                let state = p.state
                assert(state.slot(state.key(s)) == s)
                if let lb = p.lookback {
                    // As for windows: older entries go at the key's next check.
                    if state[s].lastTime >= now - lb {
                        looks.insert(Expiry(due: state[s].lastTime + lb, slot: s))
                        continue
                    }
                    // Its newest entry has left the lookback, and with it every entry.
                    state.remove(state.key(s))
                } else if state[s].lastTime >= now - p.retention {
                    looks.insert(Expiry(due: state[s].lastTime + p.retention, slot: s))
                } else {
                    state.remove(state.key(s))
                }
            }
        case .expected(let a):
            let looks = a.expiries
            while let t = looks.min, t.due < now {
                let s = looks.removeMin().slot
                let state = a.state
                assert(state.slot(state.key(s)) == s)
                state.prune(s, olderThan: now - a.retention)
                if let f = state.firstTime(s) { looks.insert(Expiry(due: f + a.retention, slot: s)) } else { state.remove(state.key(s)) }
            }
        }
    }

    /// After a restore: one look per live key.
    func rebuildExpiries() {
        for rt in runtimes {
            rt.expiries = ChunkedHeap()
            if case .window(let w) = rt.kind {
                let state = w.state
                state.forEach { _, s in
                    rt.expiries.insert(Expiry(due: (w.window.flatMap { len in state.firstTime(s).map { $0 + len } }) ?? state[s].lastTime + rt.retention, slot: s))
                }
            }
        }
        for store in stores.all {
            switch store {
            case .predecessors(let p):
                p.expiries = ChunkedHeap()
                let state = p.state
                state.forEach { _, s in
                    p.expiries.insert(Expiry(due: (p.lookback.flatMap { lb in state.firstTime(s).map { $0 + lb } }) ?? state[s].lastTime + p.retention, slot: s))
                }
            case .expected(let a):
                a.expiries = ChunkedHeap()
                let state = a.state
                state.forEach { _, s in a.expiries.insert(Expiry(due: (state.firstTime(s) ?? state[s].lastTime) + a.retention, slot: s)) }
            }
        }
        dues.removeAll()
        for (i, rt) in runtimes.enumerated() { if let m = rt.expiries.min { schedule(i, m.due) } }
        for (j, store) in stores.all.enumerated() { if let m = store.nextExpiry { schedule(runtimes.count + j, m) } }
    }

    // MARK: alerts

    func emit(_ rule: CompiledRule, anchor e: borrowing Event, evidence: [Entry], evidenceIncludesAnchor: Bool) {
        stats.alerts += 1
        var items: [(Instant, String, [UInt8])] = evidence.map { x in
            let (id, raw) = self.evidence(x)
            return (x.time, id, raw)
        }
        if !evidenceIncludesAnchor { items.append((e.time, e.id, e.raw)) }
        items.sort { EventOrder.precedes($0.0, $0.1, $1.0, $1.1) }
        // The key, figures and summaries read the anchor's text fields once each (`renderingAlert`).
        let (keyText, figures, zh, en) = env.renderingAlert { () -> (String, [Figure], String, String) in
            // Written as bytes, one `String` at the end (`TextBytes`).
            var key = TextBytes(capacity: 64)
            for (i, (name, f)) in rule.keyDisplay.enumerated() {
                if i > 0 { key.append(", ") }
                key.append(name)
                key.append("=")
                key.append(f(e, env) ?? "—")
            }
            let keyText = key.string
            var figures: [Figure] = []
            for fs in rule.figures {
                if let v = fs.value(e, env) { figures.append(Figure(fs.name, v)) }
            }
            env.chinese = true
            let zh = rule.summaryZH.render(e, env)
            env.chinese = false
            let en = rule.summaryEN.render(e, env)
            env.chinese = true
            return (keyText, figures, zh, en)
        }
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


/// An evidence store held by a final class, for `Engine.evidenceRef`.
final class EvidenceStoreBox {
    let store: EvidenceStore
    init(_ store: EvidenceStore) { self.store = store }
}

/// Counts a window key's different values when a count(distinct …) left
/// pending by `AggregateLayout.fillRunning` is read (`EvalEnv.aggregate`).
/// One per engine, pointed at the window and key of the event being decided.
final class PendingWindowDistinct: LazyAggregates {
    unowned(unsafe) var window: WindowRuntime?
    var slot: Int32 = -1

    func aggregate(_ i: Int, _ env: EvalEnv) -> Num? {
        guard let w = window else { return nil }
        let input = w.layout.slots[i]
        return NumScale.fromInt(Int64(AggregateLayout.distinctCount(w.state.entries(slot), slot: input)))
    }
}

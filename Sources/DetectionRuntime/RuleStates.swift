import Collections
import EventModel
import RuleCompiler

/// An opened absence rule waiting for its deadline.
struct PendingDeadline: Comparable {
    var deadline: Instant
    var seq: UInt64
    var rule: Int
    var event: Event
    var key: Fingerprint?
    var from: Instant?
    var until: Instant?

    static func < (a: PendingDeadline, b: PendingDeadline) -> Bool {
        (a.deadline, a.seq) < (b.deadline, b.seq)
    }
    static func == (a: PendingDeadline, b: PendingDeadline) -> Bool {
        a.deadline == b.deadline && a.seq == b.seq
    }
}

/// One rule as the engine runs it: its compiled closures bound once, and
/// its state. A class, so that the hot path never copies a rule or a plan.
/// Opened absence rules by deadline, with the earliest deadline kept apart:
/// every event compares its time with it, and reading the heap's top copied
/// a whole `PendingDeadline` (its event with it: 400 bytes, a retain and a
/// release of the event's bytes) per event.
///
/// The heap orders small tickets (deadline, sequence number, where the
/// record waits); the records stay in place in `records` until they are
/// due. A heap of whole records moved 400 bytes at every step of every
/// sift (≈ 5 % of the engine's instructions, `Benchmarks/instructions`).
struct DeadlineQueue {
    private struct Ticket: Comparable {
        var deadline: Instant
        var seq: UInt64
        var record: Int32
        static func < (a: Ticket, b: Ticket) -> Bool { (a.deadline, a.seq) < (b.deadline, b.seq) }
        static func == (a: Ticket, b: Ticket) -> Bool { a.deadline == b.deadline && a.seq == b.seq }
    }

    private var heap = Heap<Ticket>()
    private var records: [PendingDeadline?] = []
    private var free: [Int32] = []
    /// The earliest deadline (`.max` when none is pending).
    private(set) var nextDeadline: Instant = .max

    var count: Int { heap.count }
    var min: PendingDeadline? { heap.min.flatMap { records[Int($0.record)] } }
    var unordered: [PendingDeadline] { heap.unordered.map { records[Int($0.record)]! } }

    mutating func insert(_ p: PendingDeadline) {
        let r: Int32
        if let f = free.popLast() {
            r = f
            records[Int(f)] = p
        } else {
            r = Int32(records.count)
            records.append(p)
        }
        heap.insert(Ticket(deadline: p.deadline, seq: p.seq, record: r))
        if p.deadline < nextDeadline { nextDeadline = p.deadline }
    }

    mutating func removeMin() -> PendingDeadline {
        let t = heap.removeMin()
        let p = records[Int(t.record)].take()!
        free.append(t.record)
        nextDeadline = heap.min?.deadline ?? .max
        return p
    }
}

final class RuleRuntime {
    let rule: CompiledRule
    let filter: BoolFn?
    /// The shared result of `filter` this rule reads (`Engine.passes`); -1: its own.
    let filterShare: Int
    let isCondition: Bool
    let retention: Int64
    let kind: Kind
    /// When to look at which key of a window rule again (see `Engine.expire`;
    /// histories of ordered rules have theirs in their store).
    var expiries = ChunkedHeap<Engine.Expiry>()

    enum Kind {
        case condition
        case window(WindowRuntime)
        case precedence(PrecedenceRuntime)
        case absence(AbsenceRuntime)
    }

    /// `kind` for the dispatch of every event, without reference counting:
    /// binding the enum's payload retained and released it at each trigger
    /// (with the rule object and its filter, ≈ 3 pairs per rule an event
    /// meets — a quarter of the 1,400-rule engine's time in `perf`).
    /// `kind` keeps the objects alive; these only name them.
    enum Dispatch {
        case condition
        case window(Unmanaged<WindowRuntime>)
        case precedence(Unmanaged<PrecedenceRuntime>)
        case absence(Unmanaged<AbsenceRuntime>)
    }
    let dispatch: Dispatch

    init(_ rule: CompiledRule, stores: inout FeedStores) {
        self.rule = rule
        filter = rule.triggerFilter
        filterShare = rule.filterShare
        isCondition = rule.isCondition
        retention = rule.retention
        switch rule.kind {
        case .condition: kind = .condition
        case .window(let p): kind = .window(WindowRuntime(p))
        case .precedence(let p): kind = .precedence(PrecedenceRuntime(p, store: stores.store(for: p, rule: rule)))
        case .absence(let p): kind = .absence(AbsenceRuntime(p, store: stores.store(for: p, rule: rule)))
        }
        switch kind {
        case .condition: dispatch = .condition
        case .window(let w): dispatch = .window(Unmanaged.passUnretained(w))
        case .precedence(let p): dispatch = .precedence(Unmanaged.passUnretained(p))
        case .absence(let a): dispatch = .absence(Unmanaged.passUnretained(a))
        }
    }

    /// Keys of its own state; a shared history counts under its first rule only.
    var liveKeys: Int {
        switch kind {
        case .condition: 0
        case .window(let w): w.state.count
        case .precedence(let p): p.store.owner == rule.index ? p.store.state.count : 0
        case .absence(let a): a.store.owner == rule.index ? a.store.state.count : 0
        }
    }
}

final class WindowRuntime {
    deinit {
        key.deallocate()
        layout.deallocate()
    }

    let key: KeyParts
    let window: Int64?
    let condition: BoolFn
    let layout: AggregateLayout
    let state: WindowState

    init(_ p: WindowPlan) {
        key = KeyParts(p.key)
        window = p.window
        condition = p.condition
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
        state = WindowState(slots: layout.inputs.count, runningSum: layout.runsWithoutWalk ? layout.runningSumInput : -1)
    }
}

/// The history of required events of precedence rules with one feed
/// signature: the per-village variants of a rule share one, fed once per event.
final class PredecessorStore {
    deinit {
        requiredKey.deallocate()
        layout.deallocate()
    }

    /// The first rule using it (metrics count its keys under that rule).
    let owner: Int
    let lookback: Int64?
    let retention: Int64
    let requiredFilter: BoolFn?
    let requiredKey: KeyParts
    let layout: AggregateLayout
    /// Every predecessor within the lookback (or the retention) is kept when
    /// the rule has a lookback or needs min/max; otherwise only the latest
    /// few (evidence), and the key's running aggregates count the rest.
    let keepsEntries: Bool
    let state: HistoryState
    var expiries = ChunkedHeap<Engine.Expiry>()
    /// Its index among the engine's histories (`FeedStores.all`).
    var index = 0

    init(_ p: PrecedencePlan, owner: Int, retention: Int64) {
        self.owner = owner
        self.retention = retention
        lookback = p.lookback
        requiredFilter = p.requiredFilter
        requiredKey = KeyParts(p.requiredKey)
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
        keepsEntries = p.lookback != nil || layout.needsScan
        // With a lookback, `check` aggregates the entries within it afresh each time.
        let runs: HistoryState.Runs = p.lookback != nil ? .none : layout.specs.allSatisfy { $0.kind == .count } ? .count : .full
        state = HistoryState(slots: layout.inputs.count, runs: runs, distinctSlots: layout.distinctInputs.count)
    }
}

/// The history of expected events of absence rules with one feed signature.
final class ExpectedStore {
    deinit {
        expectedKey.deallocate()
        layout.deallocate()
    }

    let owner: Int
    let retention: Int64
    let expectedFilter: BoolFn?
    let expectedKey: KeyParts
    let layout: AggregateLayout
    let state: HistoryState
    var expiries = ChunkedHeap<Engine.Expiry>()
    /// Its index among the engine's histories (`FeedStores.all`).
    var index = 0

    init(_ p: AbsencePlan, owner: Int, retention: Int64) {
        self.owner = owner
        self.retention = retention
        expectedFilter = p.expectedFilter
        expectedKey = KeyParts(p.expectedKey)
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
        state = HistoryState(slots: layout.inputs.count, runs: .none, distinctSlots: 0)
    }
}

/// A store an event type feeds.
enum FeedStore {
    case predecessors(PredecessorStore)
    case expected(ExpectedStore)

    /// When its expiry heap next has a key to look at.
    var nextExpiry: Instant? {
        switch self {
        case .predecessors(let p): p.expiries.min?.due
        case .expected(let a): a.expiries.min?.due
        }
    }
}

/// A store an event type feeds, unretained (`FeedStores.all` keeps it
/// alive): for the dispatch of every event, as `RuleRuntime.Dispatch`.
enum FeedRef {
    case predecessors(Unmanaged<PredecessorStore>)
    case expected(Unmanaged<ExpectedStore>)

    init(_ store: FeedStore) {
        switch store {
        case .predecessors(let p): self = .predecessors(Unmanaged.passUnretained(p))
        case .expected(let a): self = .expected(Unmanaged.passUnretained(a))
        }
    }
}

/// Builds the stores of a rule set, one per feed signature.
struct FeedStores {
    private(set) var all: [FeedStore] = []
    private var predecessors: [String: PredecessorStore] = [:]
    private var expected: [String: ExpectedStore] = [:]
    /// byType[event type] = the stores that type feeds.
    private(set) var byType = Array(repeating: [FeedStore](), count: EventType.allCases.count)

    mutating func store(for p: PrecedencePlan, rule: CompiledRule) -> PredecessorStore {
        let sig = rule.historyKey!
        if let s = predecessors[sig] { return s }
        let s = PredecessorStore(p, owner: rule.index, retention: rule.retention)
        predecessors[sig] = s
        s.index = all.count
        all.append(.predecessors(s))
        byType[Int(p.requiredType.rawValue)].append(.predecessors(s))
        return s
    }

    mutating func store(for p: AbsencePlan, rule: CompiledRule) -> ExpectedStore {
        let sig = rule.historyKey!
        if let s = expected[sig] { return s }
        let s = ExpectedStore(p, owner: rule.index, retention: rule.retention)
        expected[sig] = s
        s.index = all.count
        all.append(.expected(s))
        byType[Int(p.expectedType.rawValue)].append(.expected(s))
        return s
    }
}

final class PrecedenceRuntime {
    deinit { triggerKey.deallocate() }

    let store: PredecessorStore
    let triggerKey: KeyParts
    let having: BoolFn
    var lookback: Int64? { store.lookback }
    var layout: AggregateLayout { store.layout }

    init(_ p: PrecedencePlan, store: PredecessorStore) {
        self.store = store
        triggerKey = KeyParts(p.triggerKey)
        having = p.having
    }
}

final class AbsenceRuntime {
    deinit { openKey.deallocate() }

    let store: ExpectedStore
    let openKey: KeyParts
    let from: IntFn?
    let until: IntFn?
    let enough: BoolFn
    let deadline: IntFn
    var layout: AggregateLayout { store.layout }

    init(_ p: AbsencePlan, store: ExpectedStore) {
        self.store = store
        openKey = KeyParts(p.openKey)
        from = p.from
        until = p.until
        enough = p.enough
        deadline = p.deadline
    }
}

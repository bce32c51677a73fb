import Collections
import EventModel
import RuleCompiler

/// Per-key state of a window rule: the events in the window, running
/// aggregates, and whether the condition held at the previous filtered event.
final class WindowKeyState {
    var entries: Deque<Entry> = []
    var run: RunningAggregates
    var lastCondition = false
    var lastTime: Instant = .min

    init(distinctSlots: Int) { run = RunningAggregates(distinctSlots: distinctSlots) }

    /// Drops entries older than `limit` (they left the window).
    func prune(olderThan limit: Instant, layout: AggregateLayout) {
        while let f = entries.first, f.time < limit {
            run.remove(f, distinctInputs: layout.distinctInputs)
            entries.removeFirst()
        }
    }
}

/// Per-key state of a precedence rule: the predecessors seen so far.
final class PredecessorKeyState {
    /// All predecessors within the lookback (only kept when the rule has one,
    /// or needs min/max).
    var entries: Deque<Entry> = []
    var run: RunningAggregates
    /// The latest predecessors, for evidence.
    var recent: Deque<Entry> = []
    var lastTime: Instant = .min

    init(distinctSlots: Int) { run = RunningAggregates(distinctSlots: distinctSlots) }
}

/// Per-key history of an absence rule's expected events.
final class ExpectedHistory {
    var entries: Deque<Entry> = []
    var lastTime: Instant = .min
}

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
final class RuleRuntime {
    let rule: CompiledRule
    let filter: BoolFn?
    let isCondition: Bool
    let retention: Int64
    let kind: Kind
    /// When to look at which key again (see `Engine.expire`).
    var expiries = Heap<Engine.Expiry>()

    enum Kind {
        case condition
        case window(WindowRuntime)
        case precedence(PrecedenceRuntime)
        case absence(AbsenceRuntime)
    }

    init(_ rule: CompiledRule) {
        self.rule = rule
        filter = rule.triggerFilter
        isCondition = rule.isCondition
        retention = rule.retention
        switch rule.kind {
        case .condition: kind = .condition
        case .window(let p): kind = .window(WindowRuntime(p))
        case .precedence(let p): kind = .precedence(PrecedenceRuntime(p))
        case .absence(let p): kind = .absence(AbsenceRuntime(p))
        }
    }

    var liveKeys: Int {
        switch kind {
        case .condition: 0
        case .window(let w): w.map.count
        case .precedence(let p): p.map.count
        case .absence(let a): a.map.count
        }
    }
}

final class WindowRuntime {
    let key: [FpFn]
    let window: Int64?
    let condition: BoolFn
    let layout: AggregateLayout
    var map: [Fingerprint: WindowKeyState] = [:]

    init(_ p: WindowPlan) {
        key = p.key
        window = p.window
        condition = p.condition
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
    }
}

final class PrecedenceRuntime {
    let lookback: Int64?
    let requiredFilter: BoolFn?
    let triggerKey: [FpFn]
    let requiredKey: [FpFn]
    let having: BoolFn
    let layout: AggregateLayout
    var map: [Fingerprint: PredecessorKeyState] = [:]

    init(_ p: PrecedencePlan) {
        lookback = p.lookback
        requiredFilter = p.requiredFilter
        triggerKey = p.triggerKey
        requiredKey = p.requiredKey
        having = p.having
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
    }
}

final class AbsenceRuntime {
    let expectedFilter: BoolFn?
    let openKey: [FpFn]
    let expectedKey: [FpFn]
    let from: IntFn?
    let until: IntFn?
    let enough: BoolFn
    let deadline: IntFn
    let layout: AggregateLayout
    var map: [Fingerprint: ExpectedHistory] = [:]

    init(_ p: AbsencePlan) {
        expectedFilter = p.expectedFilter
        openKey = p.openKey
        expectedKey = p.expectedKey
        from = p.from
        until = p.until
        enough = p.enough
        deadline = p.deadline
        layout = AggregateLayout(p.aggregates, inputs: p.inputs)
    }
}

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

/// All mutable state of one rule.
enum RuleState {
    case condition
    case window([Fingerprint: WindowKeyState], AggregateLayout)
    case precedence([Fingerprint: PredecessorKeyState], AggregateLayout)
    case absence([Fingerprint: ExpectedHistory], AggregateLayout)
}

import EventModel

/// A rule turned into an evaluation plan: closures and indexes, no syntax.
public struct CompiledRule: Sendable {
    public enum Kind: Sendable {
        case condition
        case window(WindowPlan)
        case precedence(PrecedencePlan)
        case absence(AbsencePlan)

        public var name: String {
            switch self {
            case .condition: "condition"
            case .window: "window"
            case .precedence: "precedence"
            case .absence: "absence"
            }
        }
    }

    public var name: String
    public var version: Int
    public var severity: Severity
    public var titleZH: String
    public var titleEN: String
    /// The rule's text as written.
    public var source: String
    /// File and 1-based line of the rule.
    public var path: String
    public var line: Int
    /// Index in the rule set (also the parameter table's rule index).
    public var index: Int
    public var kind: Kind
    public var triggerType: EventType
    public var triggerFilter: BoolFn?
    /// Villages the filter pins (`village = "…"` / `village in (…)` at the top level), for dispatch.
    public var pinnedVillages: Set<UInt64>?
    /// How long state that no window bounds is kept (µs of event time).
    public var retention: Int64
    public var summaryZH: Template
    public var summaryEN: Template
    /// The key components shown in alerts: name and display.
    public var keyDisplay: [(String, DisplayFn)]
    public var figures: [FigureSpec]
    /// Parameter names and whether each was read.
    public var parameterNames: [String]
    /// What the rule's state depends on (kind, filters, keys, window, correlation):
    /// the rule's text without its version, severity, titles, parameters and summaries.
    /// State saved under one signature is only restored into a rule with the same one.
    public var stateSignature: String
    /// Every event the rule's outcome depends on comes from the anchor's
    /// village (its key or correlation includes `village`), so village-
    /// partitioned workers can evaluate it alone.
    public var villageLocal: Bool
    /// The trigger filter as the engine runs it (village pins left out),
    /// written without positions, with the trigger's type and alias: rules
    /// with equal texts reading equal parameter values test an event alike
    /// (per-village variants of a rule), and the engine tests it once per
    /// event for all of them (`filterShare`). nil without a filter.
    var filterSignature: String? = nil
    /// The parameters the trigger filter reads, by name.
    var filterParameters: [String] = []
    /// The rule's row in the parameter table (`index` until a subset renumbers the rules).
    var parameterRule: Int = -1
    /// Which shared filter result the rule uses (`CompiledRuleSet.filterShares`); -1: its own.
    public var filterShare: Int = -1

    public var isCondition: Bool {
        if case .condition = kind { return true }
        return false
    }

    /// Which history of required/expected events an ordered rule keeps:
    /// rules with the same value share one (the engine feeds it once per
    /// event, and a split of the rule set keeps them together). nil for
    /// conditions and windows, which keep no shared history.
    public var historyKey: String? {
        switch kind {
        case .condition, .window: nil
        case .precedence(let p): "p:" + (p.feedSignature.isEmpty ? "rule:" + name : p.feedSignature)
        case .absence(let a): "a:" + (a.feedSignature.isEmpty ? "rule:" + name : a.feedSignature)
        }
    }
}

/// Window aggregate (RULES.md kind 2).
public struct WindowPlan: Sendable {
    public var key: [KeyPart]
    /// nil: unbounded (all earlier events of the key).
    public var window: Int64?
    public var aggregates: [AggregateSpec]
    public var inputs: [Compiled]
    public var condition: BoolFn
}

/// Precedence / step order (RULES.md kind 3).
public struct PrecedencePlan: Sendable {
    public var lookback: Int64?
    public var requiredType: EventType
    public var requiredFilter: BoolFn?
    public var triggerKey: [KeyPart]
    public var requiredKey: [KeyPart]
    public var aggregates: [AggregateSpec]
    public var inputs: [Compiled]
    /// Whether enough predecessors were found; the rule fires when this does not hold.
    public var having: BoolFn
    /// Rules with the same feed signature keep one history of required events (see `RuleLowering.feedSignature`).
    public var feedSignature = ""
}

/// Absence with a deadline (RULES.md kind 4).
public struct AbsencePlan: Sendable {
    public var expectedType: EventType
    public var expectedFilter: BoolFn?
    public var openKey: [KeyPart]
    public var expectedKey: [KeyPart]
    /// Expected events count when their occurred_at is in [from, until).
    public var from: IntFn?
    public var until: IntFn?
    public var aggregates: [AggregateSpec]
    public var inputs: [Compiled]
    public var enough: BoolFn
    public var deadline: IntFn
    /// Rules with the same feed signature keep one history of expected events.
    public var feedSignature = ""
}

/// One figure an alert carries.
public struct FigureSpec: Sendable {
    public var name: String
    public var value: @Sendable (borrowing Event, EvalEnv) -> Figure.Value?
}

/// A summary template: literal text and placeholders.
public struct Template: Sendable {
    public enum Part: Sendable {
        case text(String)
        case value(DisplayFn)
    }
    public let parts: [Part]
    /// Each part's literal bytes (empty for a value), and the bytes to
    /// reserve for a rendering: the literals and 24 per value. Rendering
    /// appends bytes and makes one `String` at the end (`TextBytes`):
    /// appending strings to a string cost ≈ 350 instructions an append.
    private let literals: [[UInt8]]
    private let reserve: Int
    /// For each part, the index under which its text is kept for the rest
    /// of an alert (`EvalEnv.sharedDisplay`), or -1: a rule's two summaries
    /// name the same figures, and a placeholder that reads the same in
    /// both languages is formatted once.
    private let shares: [Int]

    public init(parts: [Part], shares: [Int]? = nil) {
        self.parts = parts
        literals = parts.map { p in
            if case .text(let t) = p { return Array(t.utf8) }
            return []
        }
        reserve = literals.reduce(0) { $0 + $1.count } + 24 * parts.count
        self.shares = shares ?? Array(repeating: -1, count: parts.count)
    }

    public func render(_ e: borrowing Event, _ env: EvalEnv) -> String {
        var out = TextBytes(capacity: reserve)
        for i in parts.indices {
            switch parts[i] {
            case .text: out.append(bytes: literals[i])
            case .value(let f):
                let k = shares[i]
                let v = k < 0 ? f(e, env) : env.sharedDisplay(k) { f(e, env) }
                out.append(v ?? "—")
            }
        }
        return out.string
    }
}

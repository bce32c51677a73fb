import EventModel

/// The mutable context compiled closures read while evaluating: reference
/// tables, parameter values, and the aggregates of the rule being decided.
/// One per evaluator; never shared between threads.
public final class EvalEnv {
    public var tables: ReferenceTables
    public var params: ParameterResolver
    /// Aggregate values of the current decision, by aggregate slot (read
    /// them through `aggregate(_:)`: some may not be computed yet).
    public var aggs: [Num?] = Array(repeating: nil, count: 8)
    /// Bit i: `aggs[i]` is computed by `lazyAggregates` when first read. A
    /// window whose count and sums are kept running leaves its count(distinct …)
    /// to this: the walk over the key's entries it takes is needed only when
    /// the condition gets that far, or an alert is rendered.
    public var pendingAggregates: UInt8 = 0
    public var lazyAggregates: (any LazyAggregates)?
    /// The rule whose parameters are read.
    public var ruleIndex: Int = 0
    /// The deadline of the current absence alert (for summaries).
    public var deadline: Instant = 0
    /// Render summaries and relations in Chinese (else English).
    public var chinese = true

    public init(tables: ReferenceTables, params: ParameterResolver) {
        self.tables = tables
        self.params = params
    }

    /// Aggregate `i` of the current decision, computed now if it was left pending.
    @inline(__always)
    public func aggregate(_ i: Int) -> Num? {
        if pendingAggregates & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 { computePending(i) }
        return aggs[i]
    }

    @inline(never)
    private func computePending(_ i: Int) {
        pendingAggregates &= ~(1 &<< UInt8(truncatingIfNeeded: i))
        aggs[i] = lazyAggregates?.aggregate(i, self)
    }

    /// The value of parameter `p` of rule `r` for a village, read in place
    /// (compiled closures call this: taking `params` or `tables` out of the
    /// environment as values would retain their storage on every call).
    @inline(__always)
    public func parameter(rule r: Int, param p: Int, village: VillageCode) -> Num {
        if let v = params.overrideValue(rule: r, param: p, village: village) { return v }
        if p == 0 { return NumScale.fromFen(tables.approvalLimit(village)) }
        if p == 1 { return NumScale.fromFen(tables.decisionLimit(village)) }
        return params.defaultValue(rule: r, param: p)
    }

    /// Text of a field of an event, read from its raw JSON.
    public func text(_ event: borrowing Event, _ name: String) -> String? {
        guard rendering else { return RawFields(event.raw).text(name) }
        let base = event.raw.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        if base != nil && base == renderedRaw {
            for (n, v) in renderedTexts where n == name { return v }
        } else {
            renderedRaw = base
            renderedTexts.removeAll(keepingCapacity: true)
            renderedMembers.index(event.raw)
        }
        let v = renderedMembers.text(name, in: event.raw)
        renderedTexts.append((name, v))
        return v
    }

    /// While an alert is rendered (`renderingAlert`), each text field read
    /// is kept for the rest of the alert: its key, figures and two summaries
    /// read the same few fields of the same event, and each read scanned the
    /// event's JSON again (three reads of `payee_id` per split-payments alert;
    /// 8 % of the engine's instructions, `Benchmarks/instructions`).
    private var rendering = false
    /// The raw bytes the kept texts were read from (compared by address, and
    /// only while `rendering`: the event outlives the rendering).
    private var renderedRaw: UnsafeRawPointer?
    private var renderedTexts: [(String, String?)] = []
    /// Where the members of `renderedRaw` lie: one scan of the JSON for
    /// all the fields an alert reads (a scan per field was ≈ 3,400
    /// instructions, 2.4 of them an alert).
    private var renderedMembers = RawMemberIndex()

    /// Placeholder texts of the alert being rendered, by `Template` share index.
    private var renderedDisplays: [String??] = []

    /// The text of placeholder `k` of the alert being rendered: made by
    /// `make` the first time, then kept until the alert is rendered (outside
    /// `renderingAlert`, made every time).
    @inline(__always)
    public func sharedDisplay(_ k: Int, _ make: () -> String?) -> String? {
        guard rendering else { return make() }
        if k < renderedDisplays.count, let v = renderedDisplays[k] { return v }
        let v = make()
        while renderedDisplays.count <= k { renderedDisplays.append(.none) }
        renderedDisplays[k] = .some(v)
        return v
    }

    /// Runs `body` (the rendering of one alert) with text reads kept.
    @inline(__always)
    public func renderingAlert<T>(_ body: () throws -> T) rethrows -> T {
        rendering = true
        defer {
            rendering = false
            renderedRaw = nil
            renderedTexts.removeAll(keepingCapacity: true)
            renderedDisplays.removeAll(keepingCapacity: true)
        }
        return try body()
    }
}

/// Parameter values with per-village, per-township and per-district overrides.
public struct ParameterResolver: Sendable {
    /// Built-in parameters read from `village_limits`.
    public static let builtins = ["approval_limit", "decision_limit"]

    public struct Override: Sendable, Hashable {
        public enum Scope: Sendable, Hashable {
            case village(UInt64), township(UInt64), district(UInt64), everywhere
        }
        public var rule: String?
        public var name: String
        public var scope: Scope
        public var value: Num
        public init(rule: String?, name: String, scope: Scope, value: Num) {
            self.rule = rule
            self.name = name
            self.scope = scope
            self.value = value
        }
    }

    struct Table: Sendable, Equatable {
        var village: [UInt64: Num] = [:]
        var township: [UInt64: Num] = [:]
        var district: [UInt64: Num] = [:]
        var everywhere: Num?
    }

    /// defaults[rule][param]
    var defaults: [[Num]] = []
    /// names[rule][param]
    var names: [[String]] = []
    var ruleNames: [String] = []
    /// tables[rule][param], nil when nothing overrides it
    var tables: [[Table?]] = []
    /// overridden[rule][param]: a fast test before the table lookups.
    var overridden: [[Bool]] = []
    public private(set) var overrides: [Override] = []

    public init() {}

    /// Whether the parameters named `params` read the same values for rules
    /// `a` and `b` (rows of the table; each rule numbers its parameters in
    /// its own order): the same defaults and the same overrides.
    func sameValues(_ a: Int, _ b: Int, _ params: [String]) -> Bool {
        if a == b { return true }
        guard a >= 0, b >= 0, a < defaults.count, b < defaults.count else { return false }
        for name in params {
            guard let pa = names[a].firstIndex(of: name), let pb = names[b].firstIndex(of: name) else { return false }
            if defaults[a][pa] != defaults[b][pb] || tables[a][pa] != tables[b][pb] { return false }
        }
        return true
    }

    /// Registers a rule's parameters (called by the compiler).
    mutating func register(rule: String, names n: [String], defaults d: [Num]) -> Int {
        ruleNames.append(rule)
        names.append(n)
        defaults.append(d)
        tables.append(Array(repeating: nil, count: n.count))
        overridden.append(Array(repeating: false, count: n.count))
        return ruleNames.count - 1
    }

    /// Applies overrides (later ones win within the same scope).
    public mutating func apply(_ list: [Override]) {
        overrides += list
        for o in list {
            for r in ruleNames.indices where o.rule == nil || o.rule == ruleNames[r] {
                guard let p = names[r].firstIndex(of: o.name) else { continue }
                var t = tables[r][p] ?? Table()
                switch o.scope {
                case .village(let v): t.village[v] = o.value
                case .township(let v): t.township[v] = o.value
                case .district(let v): t.district[v] = o.value
                case .everywhere: t.everywhere = o.value
                }
                tables[r][p] = t
                overridden[r][p] = true
            }
        }
    }

    /// Names of a rule's parameters.
    public func parameterNames(rule: Int) -> [String] { names[rule] }
    public func defaultValue(rule: Int, param: Int) -> Num { defaults[rule][param] }

    /// The value of parameter `p` of rule `r` for a village.
    public func value(rule r: Int, param p: Int, village: VillageCode, tables ref: ReferenceTables) -> Num {
        overrideValue(rule: r, param: p, village: village) ?? builtinOrDefault(r, p, village, ref)
    }

    /// The most specific override of parameter `p` of rule `r` for a village, if any.
    @inline(__always)
    func overrideValue(rule r: Int, param p: Int, village: VillageCode) -> Num? {
        guard overridden[r][p], let t = tables[r][p] else { return nil }
        return t.village[village.value] ?? t.township[village.township] ?? t.district[village.district] ?? t.everywhere
    }

    func builtinOrDefault(_ r: Int, _ p: Int, _ village: VillageCode, _ ref: ReferenceTables) -> Num {
        // Built-ins sit at indexes 0 and 1 of every rule.
        if p == 0 { return NumScale.fromFen(ref.approvalLimit(village)) }
        if p == 1 { return NumScale.fromFen(ref.decisionLimit(village)) }
        return defaults[r][p]
    }
}

/// Computes an aggregate left pending in an `EvalEnv` (`pendingAggregates`).
public protocol LazyAggregates: AnyObject {
    func aggregate(_ i: Int, _ env: EvalEnv) -> Num?
}

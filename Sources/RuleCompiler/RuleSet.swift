import EventModel

/// A compiled, immutable set of rules with its dispatch index: for each
/// event type, which rules it triggers (the engine indexes the histories
/// that event types feed, shared between rules: `FeedStores`).
public struct CompiledRuleSet: Sendable {
    public let rules: [CompiledRule]
    public var params: ParameterResolver
    /// triggers[type] = rules whose `on` is that type and that pin no village.
    public let triggers: [[Int]]
    /// pinnedTriggers[type][village] = rules pinned to that village.
    public let pinnedTriggers: [[VillageCode: [Int]]]

    public init(rules: [CompiledRule], params: ParameterResolver) {
        self.rules = rules
        self.params = params
        var t = Array(repeating: [Int](), count: EventType.allCases.count)
        var pt = Array(repeating: [VillageCode: [Int]](), count: EventType.allCases.count)
        for r in rules {
            if let villages = r.pinnedVillages {
                for v in villages { pt[Int(r.triggerType.rawValue)][VillageCode(value: v), default: []].append(r.index) }
            } else {
                t[Int(r.triggerType.rawValue)].append(r.index)
            }
        }
        triggers = t
        pinnedTriggers = pt
    }

    public func rule(named n: String) -> CompiledRule? { rules.first { $0.name == n } }

    /// The rules that satisfy `include`, as a rule set of their own (same parameters).
    public func subset(_ include: (CompiledRule) -> Bool) -> CompiledRuleSet {
        var picked: [CompiledRule] = []
        for r in rules where include(r) {
            var c = r
            c.index = picked.count
            picked.append(c)
        }
        return CompiledRuleSet(rules: picked, params: params)
    }
}

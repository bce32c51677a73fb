import EventModel

/// A compiled, immutable set of rules with its dispatch index: for each
/// event type, which rules it triggers (the engine indexes the histories
/// that event types feed, shared between rules: `FeedStores`).
public struct CompiledRuleSet: Sendable {
    public let rules: [CompiledRule]
    public let params: ParameterResolver
    /// How many trigger filters are shared by several rules (`CompiledRule.filterShare`).
    public let filterShares: Int
    /// triggers[type] = rules whose `on` is that type and that pin no village.
    public let triggers: [[Int]]
    /// pinnedTriggers[type][village] = rules pinned to that village.
    public let pinnedTriggers: [[VillageCode: [Int]]]

    public init(rules: [CompiledRule], params: ParameterResolver) {
        // Rules whose trigger filters test events alike share one result per event.
        var rules = rules
        var groups: [String: [[Int]]] = [:]
        for (i, r) in rules.enumerated() {
            rules[i].filterShare = -1
            guard let sig = r.filterSignature else { continue }
            var subgroups = groups[sig, default: []]
            if let g = subgroups.firstIndex(where: { params.sameValues(rules[$0[0]].parameterRule, r.parameterRule, r.filterParameters) }) {
                subgroups[g].append(i)
            } else {
                subgroups.append([i])
            }
            groups[sig] = subgroups
        }
        var shares = 0
        // In rule order: the same rule set numbers its shares alike every time.
        for members in groups.values.flatMap({ $0 }).filter({ $0.count > 1 }).sorted(by: { $0[0] < $1[0] }) {
            for i in members { rules[i].filterShare = shares }
            shares += 1
        }
        filterShares = shares
        self.rules = rules
        self.params = params
        var t = Array(repeating: [Int](), count: EventType.allCases.count)
        var pt = Array(repeating: [VillageCode: [Int]](), count: EventType.allCases.count)
        for r in self.rules {
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

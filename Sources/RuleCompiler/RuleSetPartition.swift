import EventModel

/// Splitting a rule set into parts of about equal cost, so that a replay can
/// evaluate each part on a core of its own. Rules are independent of each
/// other except for the histories that ordered rules with one feed
/// signature share (`CompiledRule.historyKey`): such rules stay in one
/// part, so that a history is still kept once.
extension CompiledRuleSet {
    /// The expected cost of evaluating rules, in microseconds per event of a type.
    /// Measured with `qianliyan bench engine --rules <one rule>` on the 1 M
    /// generated ledger (docs/performance.md); only the ratios matter.
    public enum CostModel {
        static func trigger(_ kind: CompiledRule.Kind) -> Double {
            switch kind {
            case .condition: 0.2
            case .window: 3.0
            case .precedence: 0.5
            case .absence: 3.0
            }
        }
        static func feed(_ kind: CompiledRule.Kind) -> Double {
            switch kind {
            case .condition, .window: 0
            case .precedence: 2.5
            case .absence: 3.0
            }
        }
    }

    /// Up to `parts` rule sets whose union is this one (same parameters;
    /// every rule in exactly one), balanced by the expected cost of their
    /// rules. `typeShare[t]` is the share of events of type `t` (from a
    /// sample of the ledger; equal shares when nil), `villages` how many
    /// villages the sample held (a rule pinned to k villages sees about
    /// k/villages of its type's events). Deterministic: the same input gives
    /// the same parts.
    public func partitioned(into parts: Int, typeShare: [Double]? = nil, villages: Int = 1) -> [CompiledRuleSet] {
        let groups = costGroups(typeShare: typeShare, villages: villages)
        let n = max(1, min(parts, groups.count))
        guard n > 1 else { return [self] }
        // Longest processing time first: the costliest group goes to the least loaded part.
        let order = groups.indices.sorted { (groups[$0].cost, groups[$1].rules[0]) > (groups[$1].cost, groups[$0].rules[0]) }
        var load = Array(repeating: 0.0, count: n)
        var part = Array(repeating: 0, count: rules.count)
        for g in order {
            let p = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[p] += groups[g].cost
            for r in groups[g].rules { part[r] = p }
        }
        return (0..<n).map { p in subset { part[$0.index] == p } }
    }

    /// Rules that must stay together, with their expected cost.
    func costGroups(typeShare: [Double]?, villages: Int) -> [(rules: [Int], cost: Double)] {
        let share = typeShare ?? Array(repeating: 1.0 / Double(EventType.allCases.count), count: EventType.allCases.count)
        var groups: [(rules: [Int], cost: Double)] = []
        var bySignature: [String: Int] = [:]
        for r in rules {
            var reach = share[Int(r.triggerType.rawValue)]
            if let pinned = r.pinnedVillages { reach *= min(1, Double(pinned.count) / Double(max(villages, 1))) }
            let triggerCost = reach * CostModel.trigger(r.kind)
            let signature = r.historyKey
            var feedCost = 0.0
            switch r.kind {
            case .precedence(let p): feedCost = share[Int(p.requiredType.rawValue)] * CostModel.feed(r.kind)
            case .absence(let a): feedCost = share[Int(a.expectedType.rawValue)] * CostModel.feed(r.kind)
            case .condition, .window: break
            }
            if let s = signature, let g = bySignature[s] {
                // The history is fed once, whatever the number of rules sharing it.
                groups[g].rules.append(r.index)
                groups[g].cost += triggerCost
            } else {
                if let s = signature { bySignature[s] = groups.count }
                groups.append(([r.index], triggerCost + feedCost))
            }
        }
        return groups
    }
}

import DetectionRuntime
import EventModel
import RuleCompiler
import RuleLanguage
import Testing

/// Rules whose trigger filters test an event alike (the same text without
/// village pins, the same trigger type and alias, equal values of the
/// parameters read) share one result per event; any difference keeps each
/// rule's own, and every rule fires as it would alone.
@Suite struct SharedFilterTests {
    static func rule(_ name: String, _ filter: String, param: String = "", type: String = "finance.payment") -> String {
        """
        rule \(name)
          version 1
          severity low
          \(param)
          on \(type) where \(filter)
          summary "{amount}"
        end

        """
    }

    static func shares(_ text: String, overrides: [ParameterResolver.Override] = []) -> [String: Int] {
        let rs = EngineTests.ruleSet(text, overrides: overrides)
        return Dictionary(uniqueKeysWithValues: rs.rules.map { ($0.name, $0.filterShare) })
    }

    @Test func equalFiltersShareAndDifferentOnesDoNot() {
        let s = Self.shares(Self.rule("a", "amount >= 100 and category in (\"travel\", \"office\")")
            + Self.rule("a-v1", "village = \"330521101202\" and amount >= 100 and category in (\"travel\", \"office\")")
            + Self.rule("a-v2", "amount >= 100 and category in (\"travel\", \"office\") and village in (\"330521101203\")")
            + Self.rule("b", "amount >= 101 and category in (\"travel\", \"office\")")
            + Self.rule("c", "amount >= 100 and category in (\"office\", \"travel\")")
            + Self.rule("d", "amount >= 100", type: "finance.receipt")
            + Self.rule("e", "amount >= 100") + Self.rule("e2", "amount >= 100"))
        #expect(s["a"]! >= 0 && s["a-v1"] == s["a"] && s["a-v2"] == s["a"])
        #expect(s["e"]! >= 0 && s["e2"] == s["e"] && s["e"] != s["a"])
        #expect(s["b"] == -1 && s["c"] == -1 && s["d"] == -1)
    }

    @Test func parametersShareOnlyWithEqualValues() {
        let text = Self.rule("p", "amount >= limit", param: "param limit = 100 yuan")
            + Self.rule("p-same", "amount >= limit", param: "param limit = 100 yuan")
            + Self.rule("p-other", "amount >= limit", param: "param limit = 200 yuan")
            + Self.rule("q", "amount < approval_limit") + Self.rule("q-v1", "village = \"330521101202\" and amount < approval_limit")
        let s = Self.shares(text)
        #expect(s["p"]! >= 0 && s["p-same"] == s["p"] && s["p-other"] == -1)
        // Parameters are compared by name: declared in another order, equal values share and different ones do not.
        let reordered = Self.shares(Self.rule("x", "amount >= limit", param: "param limit = 100 yuan\n  param other = 5")
            + Self.rule("x-swapped", "amount >= limit", param: "param other = 100 yuan\n  param limit = 5 yuan")
            + Self.rule("x-same", "amount >= limit", param: "param other = 7\n  param limit = 100 yuan"))
        #expect(reordered["x"]! >= 0 && reordered["x-same"] == reordered["x"] && reordered["x-swapped"] == -1)
        #expect(s["q"]! >= 0 && s["q-v1"] == s["q"])
        // An override of one rule's value (anywhere) makes its filter its own; one for every rule does not.
        let one = Self.shares(text, overrides: [.init(rule: "p-same", name: "limit", scope: .village(330521101207), value: NumScale.fromInt(5))])
        #expect(one["p-same"] == -1 && one["p"] == -1)
        let all = Self.shares(text, overrides: [.init(rule: nil, name: "approval_limit", scope: .township(330521101), value: NumScale.fromInt(5))])
        #expect(all["q"]! >= 0 && all["q-v1"] == all["q"] && all["p"]! >= 0 && all["p-same"] == all["p"])
    }

    /// Every rule of a sharing group fires exactly as it does alone, per event,
    /// whichever of them is tested first, also when the engine evaluates
    /// condition rules as events arrive.
    @Test(arguments: [false, true])
    func sharingRulesFireAsEachAlone(_ eager: Bool) {
        let text = Self.rule("a", "amount >= 100", param: "")
            + Self.rule("a-v1", "village = \"330521101202\" and amount >= 100")
            + Self.rule("a-v2", "village = \"330521101203\" and amount >= 100")
            + Self.rule("p", "amount >= limit", param: "param limit = 300 yuan")
            + Self.rule("p-same", "amount >= limit", param: "param limit = 300 yuan")
        let rs = EngineTests.ruleSet(text)
        #expect(rs.filterShares == 2)
        let events = [(100, "330521101202"), (99, "330521101203"), (300, "330521101203"), (150, "330521101204"), (299, "330521101202")]
            .enumerated().map { i, x in EngineTests.payment("e\(i)", "2023-01-01T00:00:0\(i)Z", amount: x.0, village: x.1) }
        func fired(_ rs: CompiledRuleSet) -> [String] {
            let engine = Engine(ruleSet: rs, tables: ReferenceTables())
            engine.eagerConditions = eager
            for e in events {
                var copy = e
                if eager { engine.evaluateConditions(inPlace: &copy) }
                engine.process(e)
            }
            return engine.alerts.map { "\($0.ruleID) \($0.anchorEventID)" }.sorted()
        }
        let together = fired(rs)
        var alone: [String] = []
        for r in rs.rules { alone += fired(rs.subset { $0.name == r.name }) }
        #expect(together == alone.sorted())
        #expect(together == ["a e0", "a e2", "a e3", "a e4", "a-v1 e0", "a-v1 e4", "a-v2 e2", "p e2", "p-same e2"])
    }
}

import EventModel
import Pipeline
import RuleCompiler
import Testing

/// Splitting a rule set over threads: every rule in exactly one part, rules
/// sharing a history together, parts balanced by the expected cost.
@Suite struct RuleSetPartitionTests {
    static func check(_ rs: CompiledRuleSet, _ parts: [CompiledRuleSet]) {
        let names = parts.flatMap { $0.rules.map(\.name) }
        #expect(names.count == rs.rules.count)
        #expect(Set(names) == Set(rs.rules.map(\.name)))
        for p in parts {
            #expect(!p.rules.isEmpty)
            #expect(p.rules.map(\.index) == Array(p.rules.indices), "a part's rules are indexed from 0")
        }
        // A shared history stays in one part.
        var partOf: [String: Int] = [:]
        for (i, p) in parts.enumerated() {
            for r in p.rules {
                guard let s = r.historyKey else { continue }
                if let j = partOf[s] { #expect(i == j, "\(r.name) left its history's part") }
                partOf[s] = i
            }
        }
    }

    @Test func thePackSplitsIntoBalancedPartsKeepingSharedHistoriesTogether() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        for n in 1...4 {
            let parts = rs.partitioned(into: n)
            #expect(parts.count == n)
            Self.check(rs, parts)
        }
        // More parts than groups: as many parts as groups, no empty one.
        #expect(rs.partitioned(into: 100).count <= rs.rules.count)
        Self.check(rs, rs.partitioned(into: 100))
        // The same input gives the same split.
        #expect(rs.partitioned(into: 2).map { $0.rules.map(\.name) } == rs.partitioned(into: 2).map { $0.rules.map(\.name) })
    }

    @Test func theMixOfEventTypesDecidesWhichRulesWeigh() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        // Only attendance events: double-attendance (window) and the wage rule's
        // history are all the work, so they go to different parts.
        var share = Array(repeating: 0.0, count: EventType.allCases.count)
        share[Int(EventType.laborAttendance.rawValue)] = 1
        let parts = rs.partitioned(into: 2, typeShare: share)
        let a = parts.firstIndex { $0.rule(named: "double-attendance") != nil }
        let w = parts.firstIndex { $0.rule(named: "wage-without-attendance") != nil }
        #expect(a != nil && w != nil && a != w)
    }

    @Test func villageVariantsOfARuleShareItsPartWhenTheyShareItsHistory() throws {
        let (files, _) = RuleLoader.read(RuleLoader.ruleFiles(at: RepoPaths.rules))
        let villages = (1...6).map { VillageCode(value: 340_323_102_200 + UInt64($0)) }
        let copies = RuleVariants.pinnedCopies(of: files, count: 6, villages: villages)
        let rs = RuleSetCompiler.compile(files + [copies]).ruleSet!
        #expect(rs.rules.count == 14 * 7)
        for n in [2, 3] {
            let parts = rs.partitioned(into: n, villages: 200)
            #expect(parts.count == n)
            Self.check(rs, parts)
        }
    }
}

import DetectionRuntime
import EventModel
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage
import Testing

/// Per-village variants of a rule (the same rule pinned to one village)
/// share one history of required/expected events: memory and feeding time
/// do not grow with the number of variants, and every alert stays the same.
@Suite struct SharedHistoryTests {
    static let variants = 4

    static func packWithVariants(_ events: [Event]) -> (CompiledRuleSet, [String: VillageCode]) {
        let (files, _) = RuleLoader.read(RuleLoader.ruleFiles(at: RepoPaths.rules))
        let villages = busiest(events, variants)
        let copies = RuleVariants.pinnedCopies(of: files, count: variants, villages: Array(villages))
        let rs = RuleSetCompiler.compile(files + [copies]).ruleSet!
        var pins: [String: VillageCode] = [:]
        for r in rs.rules {
            if let dash = r.name.range(of: "-v", options: .backwards), let i = Int(r.name[dash.upperBound...]) { pins[r.name] = villages[i % villages.count] }
        }
        return (rs, pins)
    }

    /// The busiest villages of the ledger, so that every variant has events.
    static func busiest(_ events: [Event], _ n: Int) -> [VillageCode] {
        var counts: [VillageCode: Int] = [:]
        for e in events { counts[e.village, default: 0] += 1 }
        return counts.sorted { ($0.value, $1.key.description) > ($1.value, $0.key.description) }.prefix(n).map(\.key)
    }

    @Test func variantsShareOneHistoryAndFireAsTheirRuleDoesInTheirVillage() throws {
        let events = try SnapshotTests.orderedEvents()
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let (rs, pins) = Self.packWithVariants(events)
        let pack = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        #expect(rs.rules.count == pack.rules.count * (1 + Self.variants))
        // Each filtered rule's variants test its filter once per event with it (`filterShare`); the pack alone shares none.
        #expect(pack.filterShares == 0)
        for r in rs.rules where r.triggerFilter != nil {
            let own = r.name.range(of: "-v", options: .backwards).map { String(r.name[..<$0.lowerBound]) } ?? r.name
            #expect(r.filterShare >= 0 && r.filterShare == rs.rule(named: own)?.filterShare, "\(r.name)")
        }

        let engine = Engine(ruleSet: rs, tables: tables)
        for e in events { engine.process(e) }
        engine.finish(lastEventTime: events.last!.time)
        let alone = Engine(ruleSet: pack, tables: tables)
        for e in events { alone.process(e) }
        alone.finish(lastEventTime: events.last!.time)

        // One history per ordered rule of the pack, however many variants.
        #expect(engine.historyCount == alone.historyCount)
        #expect(alone.historyCount == pack.rules.filter { if case .precedence = $0.kind { true } else if case .absence = $0.kind { true } else { false } }.count)

        let base = Set(alone.alerts.map(\.identity))
        #expect(base.count == 143)
        var byRule: [String: [Alert]] = [:]
        for a in engine.alerts { byRule[a.ruleID, default: []].append(a) }
        #expect(Set(pack.rules.flatMap { byRule[$0.name] ?? [] }.map(\.identity)) == base, "the pack's own rules are untouched")
        var compared = 0
        for r in rs.rules {
            guard let village = pins[r.name], let original = pack.rule(named: String(r.name[..<r.name.range(of: "-v", options: .backwards)!.lowerBound])) else { continue }
            // A window whose key is not the village sees only its village's events when pinned: not comparable.
            if case .window = original.kind, !original.villageLocal { continue }
            let expected = Set(alone.alerts.filter { $0.ruleID == original.name && $0.village == village }.map { "\($0.anchorEventID) \($0.evidenceEventIDs)" })
            let found = Set((byRule[r.name] ?? []).map { "\($0.anchorEventID) \($0.evidenceEventIDs)" })
            #expect(found == expected, "\(r.name)")
            compared += expected.count
        }
        #expect(compared > 0, "some variant fired")
    }

    @Test(arguments: [2, 5])
    func resumingVariantsFromASnapshotGivesTheSameAlerts(_ cuts: Int) throws {
        let events = try SnapshotTests.orderedEvents()
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let (rs, _) = Self.packWithVariants(events)
        _ = SnapshotTests.expectResumedRunEqualsWholeRun(rs, tables, events, cuts: cuts)
    }

    /// Restoring into a rule set where the first rule of a shared history
    /// changed: the unchanged variants keep the history it was saved under.
    @Test func aSharedHistorySurvivesAChangeOfTheRuleItWasSavedWith() throws {
        let events = try SnapshotTests.orderedEvents()
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let (files, _) = RuleLoader.read(RuleLoader.ruleFiles(at: RepoPaths.rules))
        let half = events.count / 2
        let later = Set(events.suffix(from: half).map(\.id))
        // Variants pinned to the villages where the rule fires in the second half.
        let pack = Engine(ruleSet: RuleSetCompiler.compile(files).ruleSet!, tables: tables)
        for e in events { pack.process(e) }
        let villages = Array(Set(pack.alerts.filter { $0.ruleID == "contract-without-approval" && later.contains($0.anchorEventID) }.map(\.village))).sorted().prefix(2)
        #expect(!villages.isEmpty)
        let copies = RuleVariants.pinnedCopies(of: files, count: villages.count, villages: Array(villages))
        let rs = RuleSetCompiler.compile(files + [copies]).ruleSet!
        // contract-without-approval's own trigger changes (a filter): its state is dropped; its
        // variants saved their shared history under its name, and keep it.
        let changed = files.map { f in
            SourceFile(path: f.path, text: f.text.replacingOccurrences(of: "  on procurement.contract\n", with: "  on procurement.contract where amount > 0 yuan\n"))
        }
        let rs2 = RuleSetCompiler.compile(changed + [copies]).ruleSet!
        let first = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(half) { first.process(e) }
        let next = Engine(ruleSet: rs2, tables: tables)
        #expect(try next.restore(first.snapshot()) == ["contract-without-approval"])
        for e in events.suffix(from: half) { next.process(e) }
        next.finish(lastEventTime: events.last!.time)
        let whole = Engine(ruleSet: rs, tables: tables)
        for e in events { whole.process(e) }
        whole.finish(lastEventTime: events.last!.time)
        let variants = { (e: Engine) in Set(e.alerts.filter { $0.ruleID.hasPrefix("contract-without-approval-v") && later.contains($0.anchorEventID) }.map(\.identity)) }
        #expect(!variants(whole).isEmpty, "the variants fire in the second half")
        #expect(variants(next) == variants(whole))
    }

    /// A history that reads a parameter is the rule's own (parameter values are per rule and village).
    @Test(arguments: [false, true])
    func aParameterOnTheRequiredSideKeepsHistoriesApart(_ readsParameter: Bool) throws {
        func rule(_ name: String, _ village: String) -> String {
            """
            rule \(name)
              version 1
              severity high
              title "t"
              param min_approved = 100 yuan
              on procurement.contract where village = "\(village)"
              require before procurement.approval where approved_amount >= \(readsParameter ? "min_approved" : "100 yuan")
                matching village, procurement_id
              summary "s {amount}"
            end

            """
        }
        let file = SourceFile(path: "v.rule", text: rule("a", "330521101202") + rule("b", "330521101203"))
        let out = RuleSetCompiler.compile([file])
        let rs = try #require(out.ruleSet, "\(out.diagnostics.map(\.message))")
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        #expect(engine.historyCount == (readsParameter ? 2 : 1))
    }
}

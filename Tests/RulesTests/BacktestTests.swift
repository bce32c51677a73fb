import EventModel
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage
import Testing

/// Issue "The rule author's loop", done-when: a backtest of a changed
/// threshold reports exactly the added and removed alerts, and a sweep's
/// counts equal separate replays at each value — both checked against
/// separate `Replay`s of the conformance ledger.
@Suite struct BacktestTests {
    static var ledger: String { RepoPaths.conformance + "/events.jsonl.gz" }

    static func tables() throws -> ReferenceTables { try ReferenceLoader.load(directory: RepoPaths.conformance) }

    static func bundle() throws -> RuleBundle { try RuleBundle.load(directory: RepoPaths.rules) }

    /// The repository's rules with some text replaced in one file.
    static func edited(_ bundle: RuleBundle, _ path: String, _ from: String, _ to: String) -> RuleBundle {
        var b = bundle
        let text = b.files[path]!
        precondition(text.contains(from), "\(path) has no '\(from)'")
        b.files[path] = text.replacingOccurrences(of: from, with: to)
        return b
    }

    /// One separate replay of the ledger: alerts by rule and anchor.
    static func replay(_ rs: CompiledRuleSet) throws -> [String: Set<String>] {
        let sink = MemorySink()
        _ = try Replay(ruleSet: rs, tables: try tables()).run(ledgers: [ledger], sink: sink)
        var out: [String: Set<String>] = [:]
        for a in sink.alerts { out[a.ruleID, default: []].insert(a.anchorEventID) }
        return out
    }

    /// The candidate: split-payments needs 4 payments (and says so in its version),
    /// repeat-reimbursement fires from 4 claims, and R06 wants only 2 quotes.
    static func candidate() throws -> RuleBundle {
        var c = try bundle()
        c = edited(c, "finance/split-payments.rule", "param min_payments = 3", "param min_payments = 4")
        c = edited(c, "finance/split-payments.rule", "version 1", "version 2")
        c = edited(c, "finance/repeat-reimbursement.rule", "param max_claims = 5", "param max_claims = 4")
        c = edited(c, "procurement/contract-without-three-quotes.rule", "param min_quotes = 3", "param min_quotes = 2")
        return c
    }

    @Test func aChangedThresholdReportsExactlyTheAddedAndRemovedAlerts() throws {
        let base = try Self.bundle().compile().ruleSet!
        let cand = try Self.candidate().compile().ruleSet!
        let backtest = Backtest(baseline: base, candidate: cand, baselineLabel: "Rules", candidateLabel: "candidate", tables: try Self.tables())
        let report = try backtest.run(ledgers: [Self.ledger])

        // Two separate replays, the old-fashioned way.
        let before = try Self.replay(base)
        let after = try Self.replay(cand)
        #expect(before.values.reduce(0) { $0 + $1.count } == 143, "the baseline is the conformance pack")
        #expect(report.events == 14_139 && report.duplicates == 71)
        var changedRules: [String] = []
        for row in report.rules {
            let b = before[row.rule] ?? [], a = after[row.rule] ?? []
            #expect(row.before == b.count, "\(row.rule) before")
            #expect(row.after == a.count, "\(row.rule) after")
            #expect(Set(row.addedAnchors) == a.subtracting(b), "\(row.rule) added")
            #expect(Set(row.removedAnchors) == b.subtracting(a), "\(row.rule) removed")
            #expect(row.added == row.addedAnchors.count && row.removed == row.removedAnchors.count)
            #expect(row.kept == a.intersection(b).count)
            if row.differs { changedRules.append(row.rule) }
        }
        #expect(Set(report.rules.map(\.rule)) == Set(base.rules.map(\.name)))
        // The three edited rules differ, and nothing else.
        #expect(Set(changedRules).isSubset(of: ["split-payments", "repeat-reimbursement", "contract-without-three-quotes"]))
        #expect(changedRules.contains("split-payments"))
        let split = report.rules.first { $0.rule == "split-payments" }!
        #expect(split.status == "changed" && split.baselineVersion == 1 && split.candidateVersion == 2)
        #expect(split.removed > 0)
        #expect(report.rules.first { $0.rule == "seal-use-at-night" }!.status == "unchanged")
        // Examples are the first removed alerts in event order.
        #expect(split.removedExamples.map(\.anchorEventID) == Array(split.removedAnchors.prefix(5)))
        // The totals add up.
        #expect(report.total.before == 143)
        #expect(report.total.after == after.values.reduce(0) { $0 + $1.count })
    }

    @Test func theSortedPathGivesTheSameComparison() throws {
        let base = try Self.bundle().compile().ruleSet!
        let cand = try Self.candidate().compile().ruleSet!
        var backtest = Backtest(baseline: base, candidate: cand, baselineLabel: "a", candidateLabel: "b", tables: try Self.tables())
        let single = try backtest.run(ledgers: [Self.ledger])
        backtest.configure = { $0.alwaysSort = true; $0.runCapacity = 2_000 }
        let sorted = try backtest.run(ledgers: [Self.ledger])
        #expect(single.mode == "single pass" && sorted.mode == "sorted")
        for (x, y) in zip(single.rules, sorted.rules) {
            #expect(x.rule == y.rule && x.addedAnchors == y.addedAnchors && x.removedAnchors == y.removedAnchors && x.before == y.before)
        }
    }

    @Test func enginesOnThreadsGiveEachRuleSetItsOwnAlerts() throws {
        let base = try Self.bundle().compile().ruleSet!
        let cand = try Self.candidate().compile().ruleSet!
        var results: [[[Alert]]] = []
        for threads in [1, 2, 3] {
            let pass = BacktestPass(ruleSets: [base, cand, base], tables: try Self.tables())
            pass.threads = threads
            results.append(try pass.run(ledgers: [Self.ledger]).alerts)
        }
        #expect(results[0][0] == results[0][2])
        #expect(results[0][0] != results[0][1])
        #expect(results[1] == results[0] && results[2] == results[0])
    }

    @Test func dispositionsCountConfirmedAlertsLostAndFalsePositivesDropped() throws {
        let base = try Self.bundle().compile().ruleSet!
        let cand = try Self.candidate().compile().ruleSet!
        let pass = BacktestPass(ruleSets: [base, cand], tables: try Self.tables())
        let result = try pass.run(ledgers: [Self.ledger])
        let removed = Set(result.alerts[0].map(\.identity)).subtracting(result.alerts[1].map(\.identity)).sorted()
        let kept = Set(result.alerts[0].map(\.identity)).intersection(result.alerts[1].map(\.identity)).sorted()
        try #require(removed.count >= 3 && kept.count >= 2)
        var backtest = Backtest(baseline: base, candidate: cand, baselineLabel: "a", candidateLabel: "b", tables: try Self.tables())
        backtest.dispositionsKnown = true
        backtest.dispositions = [removed[0]: "confirmed", removed[1]: "false_positive", removed[2]: "false_positive",
                                 kept[0]: "confirmed", kept[1]: "false_positive",
                                 AlertIdentity(ruleID: "split-payments", anchorEventID: "not-in-this-ledger"): "confirmed"]
        let report = backtest.compare(baselineAlerts: result.alerts[0], candidateAlerts: result.alerts[1])
        let t = report.total
        #expect(t.judged == 5)
        #expect(t.confirmedLost == 1 && t.confirmedKept == 1)
        #expect(t.falsePositivesDropped == 2 && t.falsePositivesKept == 1)
        let row = report.rules.first { $0.rule == removed[0].ruleID }!
        #expect(row.removedExamples.contains { $0.disposition == "confirmed" } || row.removed > 5)
        #expect(report.text().contains("confirmed lost"))
    }

    @Test func reportsRenderAsTableJSONAndSelfContainedHTML() throws {
        let base = try Self.bundle().compile().ruleSet!
        let cand = try Self.candidate().compile().ruleSet!
        let report = try Backtest(baseline: base, candidate: cand, baselineLabel: "v1 (deployed)", candidateLabel: "Rules",
                                  tables: try Self.tables()).run(ledgers: [Self.ledger])
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("split-payments"))
        // Inline only: no script, no stylesheet or image from elsewhere.
        for forbidden in ["<script", "<link", "src=", "https://", "@import"] { #expect(!html.contains(forbidden), "\(forbidden)") }
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        let json = try report.json()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((object?["rules"] as? [[String: Any]])?.count == 14)
        #expect((object?["rules"] as? [[String: Any]])?.first?["added_anchors"] != nil)
        let text = report.text()
        #expect(text.contains("split-payments") && text.contains("total"))
    }

    // MARK: sweep

    @Test func aSweepsCountsEqualSeparateReplaysAtEachValue() throws {
        let sweep = Sweep(bundle: try Self.bundle(), rule: "split-payments", parameter: "min_payments",
                          values: try Sweep.parseRange("min_payments=2..5").values, tables: try Self.tables())
        let report = try sweep.run(ledgers: [Self.ledger])
        #expect(report.rows.map(\.value) == ["2", "3", "4", "5"])
        #expect(report.currentIndex == 1, "3 is the rule's default")
        for row in report.rows {
            let value = NumScale.fromMicros(ParameterFileValue.micros(row.value))
            let rs = RuleLoader.compile(paths: [RepoPaths.rules], overrides: [
                .init(rule: "split-payments", name: "min_payments", scope: .everywhere, value: value)]).ruleSet!
            let separate = try Self.replay(rs)["split-payments"] ?? []
            #expect(Set(row.anchors) == separate, "min_payments=\(row.value)")
            #expect(row.alerts == separate.count)
        }
        // The default's row is the rule as it stands.
        #expect(report.rows[1].alerts == report.current.alerts && report.rows[1].added == 0 && report.rows[1].removed == 0)
        // Fewer alerts as the threshold rises.
        #expect(report.rows.map(\.alerts) == report.rows.map(\.alerts).sorted(by: >))
    }

    @Test func aBuiltInParameterSweepsEverywhere() throws {
        let sweep = Sweep(bundle: try Self.bundle(), rule: "split-payments", parameter: "approval_limit",
                          values: try Sweep.parseRange("approval_limit=6000..12000:3000").values, tables: try Self.tables())
        let report = try sweep.run(ledgers: [Self.ledger])
        #expect(report.rows.map(\.value) == ["6000", "9000", "12000"])
        for row in report.rows {
            let rs = RuleLoader.compile(paths: [RepoPaths.rules], overrides: [
                .init(rule: "split-payments", name: "approval_limit", scope: .everywhere, value: NumScale.fromMicros(ParameterFileValue.micros(row.value)))]).ruleSet!
            #expect(Set(row.anchors) == (try Self.replay(rs)["split-payments"] ?? []), "approval_limit=\(row.value)")
        }
        #expect(report.html().contains("<svg"))
        #expect(report.text().contains("approval_limit"))
    }

    @Test func sweepRangesParse() throws {
        #expect(try Sweep.parseRange("markup=1.1..1.5:0.1").values == [1_100_000, 1_200_000, 1_300_000, 1_400_000, 1_500_000])
        #expect(try Sweep.parseRange("x=8000..12000:2000").values == [8_000_000_000, 10_000_000_000, 12_000_000_000])
        #expect(try Sweep.parseRange("n=3..3").values == [3_000_000])
        for bad in ["markup=1.1..1.5", "n=5..3", "n", "n=a..b", "n=1..1000000", "n=1..3:0", "n=1..3:-1"] {
            #expect(throws: RuleVersionError.self, "\(bad)") { try Sweep.parseRange(bad) }
        }
    }

    // MARK: parameters file

    @Test func theParametersFileOverridesPerTownshipWithoutCopyingRules() throws {
        // A lower approval limit and a higher payment count in one township.
        var b = try Self.bundle()
        b.files[ParameterFile.name] = """
            # split-payments is tuned for the market town
            rule,parameter,scope,code,value,note
            split-payments,min_payments,township,330521101,4,busy market
            *,approval_limit,village,330521101209,9000,
            """
        let compiled = b.compile()
        #expect(compiled.diagnostics.filter { $0.severity == .error }.isEmpty, "\(compiled.diagnostics.map(\.headline))")
        let cand = try #require(compiled.ruleSet)
        let base = try Self.bundle().compile().ruleSet!
        let report = try Backtest(baseline: base, candidate: cand, baselineLabel: "a", candidateLabel: "b", tables: try Self.tables())
            .run(ledgers: [Self.ledger])
        let split = report.rules.first { $0.rule == "split-payments" }!
        #expect(split.status == "parameters")
        #expect(split.removed > 0)
        // Alerts outside the township are untouched.
        let removedVillages = Set(split.removedExamples.map(\.village))
        #expect(removedVillages.allSatisfy { $0.hasPrefix("330521101") })
        // Same as a replay with the same overrides.
        let separate = try Self.replay(cand)["split-payments"] ?? []
        #expect(split.after == separate.count)
        // And explain shows them.
        let text = PlanExplanation(cand.rule(named: "split-payments")!, in: cand).text
        #expect(text.contains("override: township 330521101 → 4"))
        #expect(text.contains("override: village 330521101209 → ¥9,000.00 (for every rule)"))
    }

    @Test func parametersFileMistakesAreDiagnosticsWithLines() throws {
        var b = try Self.bundle()
        b.files[ParameterFile.name] = """
            rule,parameter,scope,code,value
            split-payment,min_payments,township,330521101,4
            split-payments,min_payment,everywhere,,4
            split-payments,min_payments,township,33052110,4
            split-payments,min_payments,county,330521,4
            split-payments,min_payments,everywhere,,four
            *,no_such_param,everywhere,,1
            """
        let compiled = b.compile()
        #expect(compiled.ruleSet == nil)
        let got = compiled.diagnostics.map { "\($0.line) \($0.code)" }
        #expect(got == ["4 E0404", "5 E0404", "6 E0405", "2 E0402", "3 E0403", "7 E0403"], "\(compiled.diagnostics.map(\.headline))")
        #expect(compiled.diagnostics.first { $0.code == "E0402" }?.notes == ["did you mean 'split-payments'?"])
        #expect(compiled.diagnostics.allSatisfy { $0.path.hasSuffix("Rules/parameters.csv") })
        var noHeader = try Self.bundle()
        noHeader.files[ParameterFile.name] = "split-payments,min_payments,everywhere,,4\n"
        #expect(noHeader.compile().diagnostics.map(\.code) == ["E0401"])
    }

    @Test func bundleHashesIgnoreCasesAndFollowRulesAndParameters() throws {
        let b = try Self.bundle()
        var cases = b
        cases.files["finance/split-payments.cases"]! += "\n# more\n"
        #expect(cases.hash == b.hash)
        var params = b
        params.files[ParameterFile.name] = "rule,parameter,scope,code,value\n"
        #expect(params.hash != b.hash)
        #expect(Self.edited(b, "finance/split-payments.rule", "version 1", "version 2").hash != b.hash)
        #expect(b.hash.count == 64)
        #expect(b.concatenatedSource.contains("# file: finance/split-payments.rule\n"))
    }
}

/// Sweep row values back to micro-units.
enum ParameterFileValue {
    static func micros(_ text: String) -> Int64 { DecimalNumber.parseMicros(text)! }
}

import EventModel
import Foundation
import RuleCompiler

/// `rules backtest`: what a candidate rule set would change against a
/// baseline on the same ledger, rule by rule — alerts before and after,
/// the alerts added and removed (by identity: rule and anchor event), and,
/// where analysts have judged the baseline's alerts, the confirmed alerts
/// the candidate would lose and the false positives it would drop.
///
/// Both rule sets run in one ``BacktestPass``.
public struct Backtest: Sendable {
    public var baseline: CompiledRuleSet
    public var candidate: CompiledRuleSet
    public var baselineLabel: String
    public var candidateLabel: String
    public var tables: ReferenceTables
    /// Examples of added and removed alerts shown per rule.
    public var examples = 5
    /// Analysts' dispositions by alert identity (`confirmed`, `false_positive`, …).
    public var dispositions: [AlertIdentity: String] = [:]
    /// Whether dispositions were looked up (a database was reachable).
    public var dispositionsKnown = false
    public var configure: (@Sendable (BacktestPass) -> Void)? = nil

    public init(baseline: CompiledRuleSet, candidate: CompiledRuleSet, baselineLabel: String, candidateLabel: String,
                tables: ReferenceTables) {
        self.baseline = baseline
        self.candidate = candidate
        self.baselineLabel = baselineLabel
        self.candidateLabel = candidateLabel
        self.tables = tables
    }

    /// Runs both rule sets over the ledgers in one pass and compares them.
    public func run(ledgers: [String]) throws -> BacktestReport {
        let pass = BacktestPass(ruleSets: [baseline, candidate], tables: tables)
        configure?(pass)
        let result = try pass.run(ledgers: ledgers)
        var report = compare(baselineAlerts: result.alerts[0], candidateAlerts: result.alerts[1])
        report.ledgers = ledgers
        report.events = result.summary.events
        report.duplicates = result.summary.duplicates
        report.deadLetters = result.summary.deadLetters
        report.mode = result.summary.mode
        report.seconds = result.summary.seconds
        report.firstEvent = result.firstEventTime.map(ShanghaiTime.format)
        report.lastEvent = result.lastEventTime.map(ShanghaiTime.format)
        return report
    }

    /// Compares two alert lists (from a pass, or from two separate replays).
    public func compare(baselineAlerts: [Alert], candidateAlerts: [Alert]) -> BacktestReport {
        var report = BacktestReport(baseline: baselineLabel, candidate: candidateLabel)
        report.dispositionsKnown = dispositionsKnown
        let before = Dictionary(grouping: baselineAlerts, by: \.ruleID)
        let after = Dictionary(grouping: candidateAlerts, by: \.ruleID)
        let names = Set(baseline.rules.map(\.name)).union(candidate.rules.map(\.name)).union(before.keys).union(after.keys)
        for name in names.sorted() {
            let b = Dictionary((before[name] ?? []).map { ($0.anchorEventID, $0) }, uniquingKeysWith: { a, _ in a })
            let c = Dictionary((after[name] ?? []).map { ($0.anchorEventID, $0) }, uniquingKeysWith: { a, _ in a })
            var row = BacktestReport.RuleRow(rule: name)
            row.status = status(name)
            row.baselineVersion = baseline.rule(named: name)?.version
            row.candidateVersion = candidate.rule(named: name)?.version
            row.before = b.count
            row.after = c.count
            let added = c.keys.filter { b[$0] == nil }
            let removed = b.keys.filter { c[$0] == nil }
            let kept = b.keys.filter { c[$0] != nil }
            row.added = added.count
            row.removed = removed.count
            row.kept = kept.count
            row.changedContent = kept.filter { Backtest.content(b[$0]!) != Backtest.content(c[$0]!) }.count
            for id in b.keys {
                guard let d = dispositions[AlertIdentity(ruleID: name, anchorEventID: id)] else { continue }
                row.judged += 1
                let lost = c[id] == nil
                switch d {
                case "confirmed": if lost { row.confirmedLost += 1 } else { row.confirmedKept += 1 }
                case "false_positive": if lost { row.falsePositivesDropped += 1 } else { row.falsePositivesKept += 1 }
                default: break
                }
            }
            func ordered(_ ids: [String], _ m: [String: Alert]) -> [Alert] {
                ids.compactMap { m[$0] }.sorted { EventOrder.precedes($0.anchorTime, $0.anchorEventID, $1.anchorTime, $1.anchorEventID) }
            }
            let addedAlerts = ordered(added, c), removedAlerts = ordered(removed, b)
            row.addedAnchors = addedAlerts.map(\.anchorEventID)
            row.removedAnchors = removedAlerts.map(\.anchorEventID)
            row.addedExamples = addedAlerts.prefix(examples).map { example($0) }
            row.removedExamples = removedAlerts.prefix(examples).map { example($0) }
            report.rules.append(row)
        }
        // Weekly volume (Monday-based weeks, Beijing time) for the chart.
        var weeks: [Int64: (Int, Int)] = [:]
        for a in baselineAlerts { weeks[Backtest.weekStart(a.anchorTime), default: (0, 0)].0 += 1 }
        for a in candidateAlerts { weeks[Backtest.weekStart(a.anchorTime), default: (0, 0)].1 += 1 }
        report.weeks = weeks.keys.sorted().map { BacktestReport.Week(week: CivilDate.format(days: $0), before: weeks[$0]!.0, after: weeks[$0]!.1) }
        return report
    }

    /// `unchanged`, `changed` (its text), `parameters` (its overrides), `added`, `removed`.
    func status(_ name: String) -> String {
        switch (baseline.rule(named: name), candidate.rule(named: name)) {
        case (nil, _?): return "added"
        case (_?, nil): return "removed"
        case (let b?, let c?):
            if RuleBundle.tokenHash(b.source) != RuleBundle.tokenHash(c.source) { return "changed" }
            if Backtest.overrides(baseline, b) != Backtest.overrides(candidate, c) { return "parameters" }
            return "unchanged"
        default: return "absent"
        }
    }

    static func overrides(_ set: CompiledRuleSet, _ rule: CompiledRule) -> [ParameterResolver.Override] {
        set.params.overrides.filter { $0.rule == rule.name || ($0.rule == nil && rule.parameterNames.contains($0.name)) }
    }

    /// What an alert says, besides its identity and version.
    static func content(_ a: Alert) -> [String] {
        [a.evidenceEventIDs.joined(separator: ","), a.figuresJSON, a.key]
    }

    func example(_ a: Alert) -> BacktestReport.Example {
        BacktestReport.Example(anchorEventID: a.anchorEventID, anchorTime: ShanghaiTime.format(a.anchorTime), village: a.village.description,
                               key: a.key, summaryZH: a.summaryZH, summaryEN: a.summaryEN, figures: a.figuresJSON,
                               disposition: dispositions[a.identity])
    }

    /// The local day number of the Monday of the week of `t` (Beijing time).
    static func weekStart(_ t: Instant) -> Int64 {
        let day = ShanghaiTime.localDay(t)
        // Day 0 (1970-01-01) was a Thursday.
        let weekday = ((day + 3) % 7 + 7) % 7 // 0 = Monday
        return day - weekday
    }
}

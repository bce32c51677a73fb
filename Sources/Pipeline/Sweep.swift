import EventModel
import Foundation
import RuleCompiler
import RuleLanguage

/// `rules sweep`: one rule's alerts for each value of one parameter — the
/// threshold curve a rule author reads to pick a value.
///
/// Each value is a variant of the rule, compiled from the same source with
/// the parameter set to that value *everywhere* (it replaces the
/// parameters-file overrides of that parameter and, for the built-ins,
/// `village_limits`). The variants, plus the rule as configured now, run as
/// engines of one ``BacktestPass``: the ledger is read and ordered once.
public struct Sweep: Sendable {
    public var bundle: RuleBundle
    public var rule: String
    public var parameter: String
    /// The values, in micro-units (amounts in yuan × 10⁶).
    public var values: [Int64]
    public var tables: ReferenceTables
    public var dispositions: [AlertIdentity: String] = [:]
    public var dispositionsKnown = false
    public var configure: (@Sendable (BacktestPass) -> Void)? = nil

    public init(bundle: RuleBundle, rule: String, parameter: String, values: [Int64], tables: ReferenceTables) {
        self.bundle = bundle
        self.rule = rule
        self.parameter = parameter
        self.values = values
        self.tables = tables
    }

    /// Parses `P=LOW..HIGH[:STEP]` (`min_payments=2..6`, `markup=1.1..1.6:0.1`,
    /// `approval_limit=6000..12000:1000`). The step defaults to 1 for whole numbers.
    public static func parseRange(_ spec: String) throws -> (parameter: String, values: [Int64]) {
        func fail(_ m: String) -> RuleVersionError { RuleVersionError(.refused, m) }
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw fail("--param takes NAME=LOW..HIGH[:STEP], e.g. min_payments=2..6, got '\(spec)'") }
        var range = parts[1]
        var stepText: String? = nil
        if let colon = range.lastIndex(of: ":") {
            stepText = String(range[range.index(after: colon)...])
            range = String(range[..<colon])
        }
        let bounds = range.components(separatedBy: "..")
        guard bounds.count == 2, let low = ParameterFile.parseValue(bounds[0]), let high = ParameterFile.parseValue(bounds[1]) else {
            throw fail("--param takes NAME=LOW..HIGH[:STEP] with plain numbers, got '\(spec)'")
        }
        guard low <= high else { throw fail("--param: LOW must not exceed HIGH in '\(spec)'") }
        let step: Int64
        if let s = stepText {
            guard let v = ParameterFile.parseValue(s), v > 0 else { throw fail("--param: the step must be a positive number, got '\(s)'") }
            step = v
        } else {
            guard low % DecimalNumber.scale == 0 && high % DecimalNumber.scale == 0 else {
                throw fail("--param: give a step for fractional values, e.g. \(parts[0])=\(bounds[0])..\(bounds[1]):0.1")
            }
            step = DecimalNumber.scale
        }
        let count = (high - low) / step + 1
        guard count <= 200 else { throw fail("--param: \(count) values; at most 200 (use a larger step)") }
        let values: [Int64] = Array(stride(from: low, through: high, by: Int(step)))
        return (parts[0], values)
    }

    /// The rule set of one variant: the rule alone, its parameter set to `micros` everywhere.
    /// nil: the current configuration (the bundle's overrides as they are).
    public func variant(_ micros: Int64?) -> RuleBundle.Compiled {
        let sources = bundle.ruleFiles.map { SourceFile(path: bundle.displayPrefix + $0.path, text: $0.text) }
        var rows: [ParameterFile.Row] = []
        var diags: [Diagnostic] = []
        if let text = bundle.parameters {
            let (r, d) = ParameterFile.parse(text, path: bundle.displayPrefix + ParameterFile.name)
            rows = r
            diags = d
        }
        var overrides = rows.map(\.override)
        if let micros {
            overrides.removeAll { $0.name == parameter && ($0.rule == nil || $0.rule == rule) }
            overrides.append(.init(rule: rule, name: parameter, scope: .everywhere, value: NumScale.fromMicros(micros)))
        }
        var out = RuleSetCompiler.compile(sources, overrides: overrides)
        diags += out.diagnostics
        if diags.hasErrors { out.ruleSet = nil }
        let only = out.ruleSet.map { set in set.subset { $0.name == rule } }
        return RuleBundle.Compiled(ruleSet: only, diagnostics: diags, sources: out.sources, parameterRows: rows)
    }

    /// Checks the rule and parameter, runs every variant in one pass, and reports.
    public func run(ledgers: [String]) throws -> SweepReport {
        let current = variant(nil)
        guard let currentSet = current.ruleSet else {
            throw RuleVersionError(.refused, "the rules do not compile: run `qianliyan rules check` first")
        }
        guard let compiled = currentSet.rules.first else { throw RuleVersionError(.notFound, "no rule named '\(rule)'") }
        guard compiled.parameterNames.contains(parameter) else {
            throw RuleVersionError(.notFound, "rule \(rule) has no parameter '\(parameter)'; its parameters: \(compiled.parameterNames.joined(separator: ", "))")
        }
        var sets = [currentSet]
        for v in values {
            guard let s = variant(v).ruleSet else { throw RuleVersionError(.refused, "the variant \(parameter)=\(DecimalNumber.format(micros: v)) does not compile") }
            sets.append(s)
        }
        let pass = BacktestPass(ruleSets: sets, tables: tables)
        configure?(pass)
        let result = try pass.run(ledgers: ledgers)
        var report = SweepReport(rule: rule, parameter: parameter)
        report.ledgers = ledgers
        report.events = result.summary.events
        report.mode = result.summary.mode
        report.seconds = result.summary.seconds
        report.dispositionsKnown = dispositionsKnown
        report.currentSetting = describeCurrent(currentSet, compiled)
        let base = Set(result.alerts[0].map(\.anchorEventID))
        func row(_ label: String, _ alerts: [Alert]) -> SweepReport.Row {
            var r = SweepReport.Row(value: label)
            let ids = Set(alerts.map(\.anchorEventID))
            r.alerts = ids.count
            r.added = ids.subtracting(base).count
            r.removed = base.subtracting(ids).count
            for id in ids {
                guard let d = dispositions[AlertIdentity(ruleID: rule, anchorEventID: id)] else { continue }
                r.judged += 1
                if d == "confirmed" { r.confirmed += 1 }
                if d == "false_positive" { r.falsePositives += 1 }
            }
            return r
        }
        report.current = row("current", result.alerts[0])
        for (i, v) in values.enumerated() {
            var r = row(DecimalNumber.format(micros: v), result.alerts[i + 1])
            r.anchors = result.alerts[i + 1].map(\.anchorEventID).sorted()
            report.rows.append(r)
        }
        // The value in force everywhere (no overrides): mark its row.
        if currentSet.params.overrides.allSatisfy({ $0.name != parameter || ($0.rule != nil && $0.rule != rule) }),
           !ParameterResolver.builtins.contains(parameter), let idx = compiled.parameterNames.firstIndex(of: parameter) {
            let d = NumScale.toMicros(currentSet.params.defaultValue(rule: originalIndex(compiled), param: idx))
            report.currentIndex = values.firstIndex(of: d)
        }
        return report
    }

    func describeCurrent(_ set: CompiledRuleSet, _ compiled: CompiledRule) -> String {
        let n = set.params.overrides.filter { $0.name == parameter && ($0.rule == nil || $0.rule == rule) }.count
        var text: String
        if ParameterResolver.builtins.contains(parameter) {
            text = "\(parameter) from village_limits per village (default \(parameter == "approval_limit" ? "10000" : "50000"))"
        } else if let idx = compiled.parameterNames.firstIndex(of: parameter) {
            // A subset keeps the compiler's parameter table, whose index is the rule's original one.
            text = "\(parameter) = \(DecimalNumber.format(micros: NumScale.toMicros(set.params.defaultValue(rule: originalIndex(compiled), param: idx)))) (the rule's default)"
        } else {
            text = parameter
        }
        if n > 0 { text += ", with \(n) override\(n == 1 ? "" : "s") from \(ParameterFile.name)" }
        return text
    }

    func originalIndex(_ compiled: CompiledRule) -> Int {
        let all = RuleSetCompiler.compile(bundle.ruleFiles.map { SourceFile(path: bundle.displayPrefix + $0.path, text: $0.text) })
        return all.ruleSet?.rule(named: rule)?.index ?? compiled.index
    }
}

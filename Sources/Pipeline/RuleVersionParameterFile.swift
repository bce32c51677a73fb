import EventModel
import RuleCompiler
import RuleLanguage

/// The parameters file of a rule folder (`Rules/parameters.csv`): values of
/// rule parameters per village, township or district (or everywhere),
/// without copying rules.
///
/// ```
/// # rule,parameter,scope,code,value[,note]
/// rule,parameter,scope,code,value,note
/// split-payments,min_payments,township,330521101,4,busy market town
/// *,approval_limit,village,330521101202,8000,
/// repeat-reimbursement,max_claims,everywhere,,6,
/// ```
/// - `rule`: a rule name, or `*` for every rule that has the parameter;
/// - `parameter`: a `param` of the rule, or a built-in (`approval_limit`, `decision_limit`);
/// - `scope`: `village` (12-digit code), `township` (9), `district` (6) or `everywhere` (no code);
/// - `value`: a number; amounts in yuan (`8000`, `8000.50`);
/// - `note`: optional free text. Lines starting with `#` are comments.
///
/// The most specific scope wins (village, then township, district,
/// everywhere); then, for the built-ins, `village_limits`; then the rule's
/// default. Within one scope a later row wins.
public enum ParameterFile {
    /// The file's name inside a rule folder.
    public static let name = "parameters.csv"

    /// One row, with its line for diagnostics.
    public struct Row: Sendable, Hashable {
        public var override: ParameterResolver.Override
        public var line: Int
    }

    /// Parses the file. Problems are diagnostics (E0401–E0405), never throws.
    public static func parse(_ text: String, path: String) -> ([Row], [Diagnostic]) {
        // Comment lines become blank lines, so that line numbers stay right.
        let cleaned = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#") ? "" : String($0) }
            .joined(separator: "\n")
        var diags: [Diagnostic] = []
        func problem(_ code: String, _ line: Int, _ message: String, notes: [String] = []) {
            diags.append(Diagnostic(code: code, severity: .error, message: message, path: path, line: line, notes: notes))
        }
        guard !cleaned.allSatisfy({ $0 == "\n" || $0 == " " || $0 == "\r" }) else { return ([], []) }
        let table: CSVTable
        do {
            table = try CSVTable(parsing: cleaned)
        } catch {
            problem("E0401", error.line, "not CSV: \(error.message)")
            return ([], diags)
        }
        let needed = ["rule", "parameter", "scope", "code", "value"]
        let columns = needed.map { table.column($0) }
        guard columns.allSatisfy({ $0 != nil }) else {
            problem("E0401", 1, "the header must name the columns rule,parameter,scope,code,value (and optionally note)",
                  notes: ["found: " + table.header.joined(separator: ",")])
            return ([], diags)
        }
        let (ci, cp, cs, cc, cv) = (columns[0]!, columns[1]!, columns[2]!, columns[3]!, columns[4]!)
        var rows: [Row] = []
        for (row, line) in zip(table.rows, table.lineNumbers) {
            func field(_ i: Int) -> String { i < row.count ? row[i].trimmingSpaces() : "" }
            let rule = field(ci), param = field(cp), scopeText = field(cs), code = field(cc), valueText = field(cv)
            guard !rule.isEmpty, !param.isEmpty else { problem("E0401", line, "a row needs a rule (or *) and a parameter"); continue }
            let scope: ParameterResolver.Override.Scope
            func digits(_ n: Int) -> UInt64? { code.count == n && code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber) ? UInt64(code) : nil }
            switch scopeText {
            case "village":
                guard let v = digits(12) else { problem("E0404", line, "a village code has 12 digits, got '\(code)'"); continue }
                scope = .village(v)
            case "township":
                guard let v = digits(9) else { problem("E0404", line, "a township code has 9 digits, got '\(code)'"); continue }
                scope = .township(v)
            case "district":
                guard let v = digits(6) else { problem("E0404", line, "a district code has 6 digits, got '\(code)'"); continue }
                scope = .district(v)
            case "everywhere":
                guard code.isEmpty else { problem("E0404", line, "scope 'everywhere' takes no code, got '\(code)'"); continue }
                scope = .everywhere
            default:
                problem("E0404", line, "unknown scope '\(scopeText)'", notes: ["use village, township, district or everywhere"])
                continue
            }
            guard let micros = ParameterFile.parseValue(valueText) else {
                problem("E0405", line, "'\(valueText)' is not a number (amounts in yuan, e.g. 8000 or 8000.50; at most 6 decimals)")
                continue
            }
            rows.append(Row(override: .init(rule: rule == "*" ? nil : rule, name: param, scope: scope, value: NumScale.fromMicros(micros)),
                            line: line))
        }
        return (rows, diags)
    }

    /// A plain decimal number (no exponent) as micro-units.
    static func parseValue(_ text: String) -> Int64? {
        var body = Substring(text)
        if body.hasPrefix("-") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard !body.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.count < 2 || parts[1].count <= 6 else { return nil }
        return DecimalNumber.parseMicros(text)
    }

    /// Rows that name a rule or a parameter that does not exist (a typo
    /// would otherwise silently change nothing).
    public static func check(_ rows: [Row], against ruleSet: CompiledRuleSet, path: String) -> [Diagnostic] {
        var diags: [Diagnostic] = []
        let names = Set(ruleSet.rules.map(\.name))
        for r in rows {
            let o = r.override
            if let rule = o.rule {
                guard let compiled = ruleSet.rule(named: rule) else {
                    diags.append(Diagnostic(code: "E0402", severity: .error, message: "no rule named '\(rule)'", path: path, line: r.line,
                                            notes: RuleVersionText.closest(rule, names).map { ["did you mean '\($0)'?"] } ?? []))
                    continue
                }
                if !compiled.parameterNames.contains(o.name) {
                    diags.append(Diagnostic(code: "E0403", severity: .error, message: "rule '\(rule)' has no parameter '\(o.name)'", path: path, line: r.line,
                                            notes: ["its parameters: " + compiled.parameterNames.joined(separator: ", ")]))
                }
            } else if !ruleSet.rules.contains(where: { $0.parameterNames.contains(o.name) }) {
                diags.append(Diagnostic(code: "E0403", severity: .error, message: "no rule has a parameter '\(o.name)'", path: path, line: r.line))
            }
        }
        return diags
    }
}

/// Small text helpers of the rule tools.
enum RuleVersionText {
    /// The candidate closest to `word` (edit distance ≤ 3), for "did you mean".
    static func closest(_ word: String, _ candidates: Set<String>) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return prev[b.count]
        }
        let w = Array(word)
        let best = candidates.map { ($0, distance(w, Array($0))) }.min { ($0.1, $0.0) < ($1.1, $1.0) }
        return best.flatMap { $0.1 <= 3 ? $0.0 : nil }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

import ArgumentParser
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check, test and explain rule files.",
        subcommands: [RulesCheck.self]
    )
}

/// Output format shared by rule commands.
enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct RulesCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate rule files; print every problem with file:line:col.",
        discussion: """
        Parses and type-checks every *.rule file under the given paths and reports all
        errors and warnings of all files in one run, e.g.

          Rules/finance/split.rule:12:7: error[E0201]: unknown name 'amout'
             |
          12 |   on finance.payment where amout < approval_limit
             |                            ^^^^^
            note: did you mean 'amount'?

        Exit status: 0 when there is no error (warnings are allowed unless --strict),
        1 otherwise.
        """
    )

    @Argument(help: "Rule files or folders (default: Rules).")
    var paths: [String] = ["Rules"]

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    @Option(help: "Output format: text or json (for editors and CI).")
    var format: DiagnosticFormat = .text

    func run() async throws {
        let out = RuleLoader.compile(paths: paths)
        printDiagnostics(out.diagnostics, sources: out.sources, format: format)
        let errors = out.diagnostics.filter { $0.severity == .error }.count
        let warnings = out.diagnostics.filter { $0.severity == .warning }.count
        if format == .text {
            if let rs = out.ruleSet {
                FileHandle.standardError.write("\(rs.rules.count) rules OK (\(warnings) warning\(warnings == 1 ? "" : "s"))\n")
            } else {
                FileHandle.standardError.write("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n")
            }
        }
        if errors > 0 || (strict && warnings > 0) { throw ExitCode(1) }
    }
}

func printDiagnostics(_ diags: [Diagnostic], sources: [String: SourceFile], format: DiagnosticFormat) {
    switch format {
    case .text:
        for d in diags { print(d.rendered(source: sources[d.path]) + "\n") }
    case .json:
        let items = diags.map { d in
            "{\"path\":\(jsonQuote(d.path)),\"line\":\(d.line),\"column\":\(d.column),\"severity\":\"\(d.severity.rawValue)\",\"code\":\"\(d.code)\",\"message\":\(jsonQuote(d.message)),\"notes\":[\(d.notes.map(jsonQuote).joined(separator: ","))]}"
        }
        print("[" + items.joined(separator: ",\n") + "]")
    }
}

func jsonQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

extension FileHandle {
    func write(_ s: String) { write(Data(s.utf8)) }
}

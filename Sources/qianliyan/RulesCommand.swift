import ArgumentParser
import DetectionTesting
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check, test and explain rule files.",
        subcommands: [RulesCheck.self, RulesTest.self]
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

struct RulesTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run every rule's example cases (*.cases next to the *.rule files).",
        discussion: """
        A .cases file lists example events and the alerts they must and must not give:

          rule split-payments
          defaults {"type": "finance.payment", "village": "330521101202", …}
          case "three small payments reaching the limit fire at the third"
            event {"event_id": "p1", "occurred_at": "2023-03-01T10:00:00+08:00", "amount": 4000}
            …
            expect alerts p3          # exactly these anchors (or: expect no alerts)
            expect fire p3            # at least these
            expect nofire p1 p2       # none of these
          end

        Cases run with replay semantics: duplicates dropped, events sorted into the total
        order, and at the end the watermark reaches the last event's time. The coverage
        report lists rules without a case that fires or without one that must not.
        Exit status 1 when a case fails (or, with --strict, when coverage is incomplete).
        """
    )

    @Argument(help: "Rule files or folders (default: Rules).")
    var paths: [String] = ["Rules"]

    @Option(help: "Folder of reference CSV files every case starts from.")
    var reference: String?

    @Flag(help: "Fail when a rule lacks a firing case or a non-firing case.")
    var strict = false

    func run() async throws {
        let out = RuleLoader.compile(paths: paths)
        guard let rs = out.ruleSet else {
            printDiagnostics(out.diagnostics, sources: out.sources, format: .text)
            throw ExitCode(1)
        }
        var base: [String: String] = [:]
        if let dir = reference {
            for t in ["people", "vendors", "reference_prices", "village_limits"] {
                let p = (dir as NSString).appendingPathComponent(t + ".csv")
                if let d = FileManager.default.contents(atPath: p) { base[t] = String(decoding: d, as: UTF8.self) }
            }
        }
        let runner = CaseRunner(ruleSet: rs, baseTables: base)
        var report = CaseRunner.Report()
        var parseFailed = false
        for path in paths.flatMap({ RuleLoader.ruleFiles(at: $0, ext: "cases") }) {
            guard let d = FileManager.default.contents(atPath: path) else { continue }
            do {
                let file = try CaseFile(path: path, text: String(decoding: d, as: UTF8.self))
                let before = report.failures.count
                runner.run(file, into: &report)
                let failed = report.failures.count - before
                print("\(failed == 0 ? "ok  " : "FAIL") \(path): \(file.cases.count) cases")
            } catch {
                print("\(error)")
                parseFailed = true
            }
        }
        for f in report.failures { print("  " + f.description) }
        print("\nrule coverage (cases that fire / that must not):")
        var incomplete = 0
        for r in rs.rules {
            let c = report.coverage[r.name] ?? (0, 0)
            let ok = c.fires > 0 && c.silent > 0
            if !ok { incomplete += 1 }
            print("  \(ok ? "✓" : "✗") \(r.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(c.fires) / \(c.silent)")
        }
        print("\n\(report.cases) cases, \(report.passed) passed, \(report.cases - report.passed) failed; \(incomplete) rule\(incomplete == 1 ? "" : "s") without full coverage")
        if parseFailed || !report.failures.isEmpty || (strict && incomplete > 0) { throw ExitCode(1) }
    }
}

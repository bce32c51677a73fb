import AlertStore
import ArgumentParser
import DetectionTesting
import EventModel
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Write, test, backtest, tune and deploy rules.",
        discussion: prose("""
        The rule author's loop (docs/rule-authoring.md):
          rules check Rules              every error as file:line:col
          rules test Rules               the example cases, with coverage
          rules fmt Rules                the one canonical layout
          rules explain split-payments   the compiled plan in words
          rules backtest --candidate Rules --ledger L.jsonl.gz --reference REF
          rules sweep split-payments --param min_payments=2..6 --ledger L.jsonl.gz
          rules deploy Rules -m "split-payments: 4 payments in 330521101"
          rules history
          rules rollback 3
        """),
        subcommands: [RulesCheck.self, RulesTest.self, RulesFmt.self, RulesExplain.self, RulesBacktest.self, RulesSweep.self,
                      RulesDeploy.self, RulesHistory.self, RulesRollback.self]
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
        discussion: prose("""
        Parses and type-checks every *.rule file under the given paths and reports all
        errors and warnings of all files in one run, e.g.

          Rules/finance/split.rule:12:7: error[E0201]: unknown name 'amout'
             |
          12 |   on finance.payment where amout < approval_limit
             |                            ^^^^^
            note: did you mean 'amount'?

        Exit status: 0 when there is no error (warnings are allowed unless --strict),
        1 otherwise.
        """)
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
        discussion: prose("""
        A .cases file lists example events and the alerts they must and must not give:

          rule split-payments
          defaults {"type": "finance.payment", "amount": 4000, …}
          case "three small payments reaching the limit fire at the third"
            event {"event_id": "p1", "occurred_at": "2023-03-01T10:00:00+08:00"}
            …
            expect alerts p3          # exactly these anchors (or: expect no alerts)
            expect fire p3            # at least these
            expect nofire p1 p2       # none of these
          end

        Cases run with replay semantics: duplicates dropped, events sorted into the total
        order, and at the end the watermark reaches the last event's time. The coverage
        report lists rules without a case that fires or without one that must not.
        Exit status 1 when a case fails (or, with --strict, when coverage is incomplete).
        """)
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
        var files: [(path: String, text: String)] = []
        for path in paths.flatMap({ RuleLoader.ruleFiles(at: $0, ext: "cases") }) {
            guard let d = FileManager.default.contents(atPath: path) else { continue }
            files.append((path, String(decoding: d, as: UTF8.self)))
        }
        let run = CaseCheck.run(ruleSet: rs, files: files, baseTables: CaseCheck.baseTables(reference))
        for f in run.perFile { print("\(f.failed == 0 ? "ok  " : "FAIL") \(f.path): \(f.cases) cases") }
        for e in run.parseErrors { print(e) }
        let report = run.report
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
        if !run.parseErrors.isEmpty || !report.failures.isEmpty || (strict && incomplete > 0) { throw ExitCode(1) }
    }
}

/// Runs `.cases` files against a rule set: `rules test`, and the check `rules deploy` makes.
enum CaseCheck {
    struct Run {
        var report = CaseRunner.Report()
        var parseErrors: [String] = []
        var perFile: [(path: String, cases: Int, failed: Int)] = []
    }

    /// Reference CSVs every case starts from.
    static func baseTables(_ reference: String?) -> [String: String] {
        var base: [String: String] = [:]
        if let dir = reference {
            for t in ["people", "vendors", "reference_prices", "village_limits"] {
                let p = (dir as NSString).appendingPathComponent(t + ".csv")
                if let d = FileManager.default.contents(atPath: p) { base[t] = String(decoding: d, as: UTF8.self) }
            }
        }
        return base
    }

    static func run(ruleSet: CompiledRuleSet, files: [(path: String, text: String)], baseTables: [String: String]) -> Run {
        let runner = CaseRunner(ruleSet: ruleSet, baseTables: baseTables)
        var out = Run()
        for (path, text) in files {
            do {
                let file = try CaseFile(path: path, text: text)
                let before = out.report.failures.count
                runner.run(file, into: &out.report)
                out.perFile.append((path, file.cases.count, out.report.failures.count - before))
            } catch {
                out.parseErrors.append("\(error)")
            }
        }
        return out
    }

    /// The deploy check: the bundle's cases against its rules as written
    /// (the parameters file is for places, the cases for the rule's logic).
    static func deployCheck(reference: String?) -> RuleDeployer.Check {
        let base = baseTables(reference)
        return { _, bundle in
            var plain = bundle
            plain.files[ParameterFile.name] = nil
            guard let rs = plain.compile().ruleSet else { return ["the rules do not compile without the parameters file"] }
            let run = CaseCheck.run(ruleSet: rs, files: bundle.caseFiles.map { (bundle.displayPrefix + $0.path, $0.text) }, baseTables: base)
            return run.parseErrors + run.report.failures.map(\.description)
        }
    }
}


// MARK: - fmt

struct RulesFmt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Lay rule files out the one canonical way (in place).",
        discussion: prose("""
        Each clause on its own line indented 2 (the parts of require/expect indented 4), one space
        between tokens, comments and the blank lines between clauses kept. Only layout changes: the
        tokens, and so the compiled rules, stay the same; formatting twice changes nothing. Files
        with syntax errors are left alone and their errors printed.

        Examples:
          qianliyan rules fmt Rules          rewrite every *.rule file under Rules
          qianliyan rules fmt --check Rules  CI: exit 1, list the files it would change
          qianliyan rules fmt --stdout Rules/finance/split-payments.rule
        """)
    )

    @Argument(help: "Rule files or folders (default: Rules).") var paths: [String] = ["Rules"]
    @Flag(help: "Change nothing; exit 1 when a file is not formatted.") var check = false
    @Flag(help: "Print the formatted text instead of writing the files.") var stdout = false

    func run() async throws {
        let files = paths.flatMap { RuleLoader.ruleFiles(at: $0) }
        if files.isEmpty {
            FileHandle.standardError.write("no .rule files under \(paths.joined(separator: ", "))\n")
            throw ExitCode(1)
        }
        let (sources, unreadable) = RuleLoader.read(files)
        printDiagnostics(unreadable, sources: [:], format: .text)
        var failed = !unreadable.isEmpty
        var unformatted: [String] = []
        for file in sources {
            let out = RuleFormatter.format(file)
            if !out.diagnostics.isEmpty {
                printDiagnostics(out.diagnostics, sources: [file.path: file], format: .text)
                failed = true
                continue
            }
            if stdout {
                print(out.text, terminator: "")
            } else if out.changed {
                unformatted.append(file.path)
                if !check {
                    do { try out.text.write(toFile: file.path, atomically: true, encoding: .utf8) } catch {
                        FileHandle.standardError.write("\(file.path): cannot write: \(error)\n")
                        failed = true
                    }
                }
            }
        }
        if !stdout {
            for p in unformatted { print(check ? "not formatted: \(p)" : "formatted: \(p)") }
            FileHandle.standardError.write("\(sources.count) file\(sources.count == 1 ? "" : "s"), \(unformatted.count) \(check ? "not formatted" : "rewritten")\n")
            if check && !unformatted.isEmpty {
                FileHandle.standardError.write("run `qianliyan rules fmt \(paths.joined(separator: " "))` to fix the layout\n")
                throw ExitCode(1)
            }
        }
        if failed { throw ExitCode(1) }
    }
}

// MARK: - explain

struct RulesExplain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show a rule's compiled plan in words.",
        discussion: prose("""
        Kind, the events it reads, filter, key, the state the engine keeps and for how long, window,
        lookback or deadline, parameters with their defaults and the overrides of parameters.csv,
        and whether village shards evaluate it alone (village-local) or one worker over every
        partition (cross-village).

        Examples:
          qianliyan rules explain split-payments
          qianliyan rules explain --rules Rules payee-fund-concentration \\
              lease-rent-overdue
          qianliyan rules explain --all
        """)
    )

    @Argument(help: "Rule names.") var names: [String] = []
    @Option(help: "Rule folder (its parameters.csv too).") var rules = "Rules"
    @Flag(help: "Explain every rule.") var all = false

    func validate() throws {
        if names.isEmpty && !all { throw ValidationError("name a rule (e.g. split-payments), or give --all") }
    }

    func run() async throws {
        let bundle = try loadBundle(rules)
        let out = bundle.compile()
        guard let rs = out.ruleSet else {
            printDiagnostics(out.diagnostics, sources: out.sources, format: .text)
            throw ExitCode(1)
        }
        var missing = false
        let picked = all ? rs.rules.map(\.name) : names
        for (i, name) in picked.enumerated() {
            guard let rule = rs.rule(named: name) else {
                let suggestion = rs.rules.map(\.name).min { levenshtein($0, name) < levenshtein($1, name) }
                FileHandle.standardError.write("no rule named '\(name)' in \(rules)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "") + "\n")
                missing = true
                continue
            }
            if i > 0 { print("") }
            print(PlanExplanation(rule, in: rs).text, terminator: "")
        }
        if missing { throw ExitCode(1) }
    }
}

func levenshtein(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    guard !x.isEmpty else { return y.count }
    guard !y.isEmpty else { return x.count }
    var prev = Array(0...y.count)
    for i in 1...x.count {
        var cur = [i] + Array(repeating: 0, count: y.count)
        for j in 1...y.count { cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)) }
        prev = cur
    }
    return prev[y.count]
}

func loadBundle(_ path: String) throws -> RuleBundle {
    do { return try RuleBundle.load(directory: path) } catch {
        FileHandle.standardError.write("\(error)\n")
        throw ExitCode(64)
    }
}

// MARK: - backtest

/// Output format of reports.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, html
}

/// Writes a report to --out or standard output.
func emit(_ text: String, to out: String?) throws {
    guard let out else { print(text, terminator: ""); return }
    do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
        FileHandle.standardError.write("cannot write \(out): \(error)\n")
        throw ExitCode(1)
    }
    FileHandle.standardError.write("wrote \(out)\n")
}

/// The dispositions analysts gave, or nothing when the database cannot be reached.
func loadDispositions(_ store: PostgresAlertStore?, rules: [String]) async -> [AlertIdentity: String]? {
    guard let store else { return nil }
    do {
        return try await store.withConnection { c in try BacktestDispositions.load(c, rules: rules) }
    } catch {
        FileHandle.standardError.write("dispositions not looked up: \(error)\n")
        return nil
    }
}

func progressPrinter(_ enabled: Bool) -> (@Sendable (ReplayProgress) -> Void)? {
    guard enabled else { return nil }
    return { p in
        let pct = p.bytesTotal > 0 && p.bytesRead > 0 ? String(format: " %3.0f%%", 100 * Double(p.bytesRead) / Double(p.bytesTotal)) : ""
        FileHandle.standardError.write("\r\(p.phase)\(pct): \(p.events) events, \(p.alerts) alerts   ")
    }
}

struct RulesBacktest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Compare a candidate rule set with a baseline on a ledger, rule by rule.",
        discussion: prose("""
        Replays the ledger once, feeding both rule sets (read, deduplicate and order once), and
        reports per rule: alerts before and after, the alerts added and removed (with examples),
        alerts whose figures or evidence changed, and — where analysts have judged the baseline's
        alerts in the database (alerts.disposition) — the confirmed alerts the candidate would lose
        and the false positives it would drop. Each folder's parameters.csv applies to its rules.

        Examples:
          qianliyan rules backtest --candidate Rules --ledger /data/2023.jsonl.gz \\
              --reference /data/ref
          qianliyan rules backtest --candidate Rules --baseline /tmp/old-rules \\
              --ledger a.jsonl --ledger b.jsonl --no-database
          qianliyan rules backtest --candidate Rules --ledger 2023.jsonl.gz \\
              --format html --out backtest.html

        Exit status: 0 (the report is the result), 1 when a rule set does not compile, 64 for usage errors.
        """)
    )

    @Option(help: ArgumentHelp("The rule folder to try.", valueName: "dir")) var candidate: String
    @Option(help: ArgumentHelp("A rule folder, or 'deployed' for the version in force (default).", valueName: "dir|deployed"))
    var baseline = "deployed"
    @Option(help: ArgumentHelp("Ledger file (JSON Lines, plain or gzip); repeat for several.", valueName: "file")) var ledger: [String] = []
    @Option(help: ArgumentHelp("Reference CSV folder (people, vendors, reference_prices, village_limits).", valueName: "dir")) var reference: String?
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Do not use a database (no dispositions; the baseline must be a folder).") var noDatabase = false
    @Option(help: "table, json or html.") var format: ReportFormat = .table
    @Option(help: ArgumentHelp("Write the report to this file.", valueName: "file")) var out: String?
    @Option(help: "Examples of added and removed alerts per rule.") var examples = 5
    @Flag(help: "Show progress on standard error.") var progress = false

    func validate() throws {
        if ledger.isEmpty { throw ValidationError("give at least one --ledger FILE") }
        if noDatabase && baseline == "deployed" { throw ValidationError("without a database, give --baseline DIR") }
        for l in ledger where !FileManager.default.fileExists(atPath: l) { throw ValidationError("no such ledger: \(l)") }
    }

    func run() async throws {
        let candidateBundle = try loadBundle(candidate)
        let cand = candidateBundle.compile()
        guard let candidateSet = cand.ruleSet else {
            printDiagnostics(cand.diagnostics, sources: cand.sources, format: .text)
            FileHandle.standardError.write("the candidate does not compile\n")
            throw ExitCode(1)
        }
        let store: PostgresAlertStore? = noDatabase ? nil : try await db.store(announce: false)
        var baselineBundle: RuleBundle
        var baselineLabel = baseline
        if baseline == "deployed" {
            guard let latest = try await store!.withConnection({ c in try RuleVersionStore(connection: c).latest() }) else {
                FileHandle.standardError.write("no rule version is deployed yet: give --baseline DIR (e.g. the folder as it was)\n")
                throw ExitCode(64)
            }
            baselineBundle = latest.bundle
            baselineLabel = "\(latest.label) (deployed)"
        } else {
            baselineBundle = try loadBundle(baseline)
        }
        let base = baselineBundle.compile()
        guard let baselineSet = base.ruleSet else {
            printDiagnostics(base.diagnostics, sources: base.sources, format: .text)
            FileHandle.standardError.write("the baseline does not compile with this build\n")
            throw ExitCode(1)
        }
        let tables: ReferenceTables
        do { tables = try ReferenceLoader.load(directory: reference) } catch {
            FileHandle.standardError.write("\(error)\n")
            throw ExitCode(64)
        }
        var backtest = Backtest(baseline: baselineSet, candidate: candidateSet, baselineLabel: baselineLabel, candidateLabel: candidate, tables: tables)
        backtest.examples = examples
        let names = Array(Set(baselineSet.rules.map(\.name) + candidateSet.rules.map(\.name)))
        if let d = await loadDispositions(store, rules: names) {
            backtest.dispositions = d
            backtest.dispositionsKnown = true
        }
        let printer = progressPrinter(progress)
        backtest.configure = { $0.progress = printer }
        let report = try backtest.run(ledgers: ledger)
        if progress { FileHandle.standardError.write("\n") }
        await store?.close()
        switch format {
        case .table: try emit(report.text(), to: out)
        case .json: try emit(try report.json(), to: out)
        case .html: try emit(report.html(), to: out)
        }
    }
}

// MARK: - sweep

struct RulesSweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "A rule's alert counts for each value of a parameter, in one pass over a ledger.",
        discussion: prose("""
        Compiles one variant of the rule per value — the value applies in every village, replacing
        parameters.csv overrides of that parameter (and village_limits for the built-ins) — and
        evaluates them all in one pass, with the rule as configured now for comparison. Per value:
        alerts, added/removed against now, and, where analysts judged them, confirmed and
        false-positive counts. The threshold curve to pick a value from.

        Examples:
          qianliyan rules sweep split-payments --param min_payments=2..6 \\
              --ledger 2023.jsonl.gz --reference ref
          qianliyan rules sweep quote-above-reference --param markup=1.1..1.6:0.1 \\
              --ledger 2023.jsonl.gz
          qianliyan rules sweep split-payments --param approval_limit=6000..14000:1000 \\
              --ledger 2023.jsonl.gz --format html --out sweep.html
        """)
    )

    @Argument(help: "The rule.") var name: String
    @Option(help: ArgumentHelp("The parameter and its values.", valueName: "name=low..high[:step]")) var param: String
    @Option(help: ArgumentHelp("Ledger file; repeat for several.", valueName: "file")) var ledger: [String] = []
    @Option(help: "Rule folder (its parameters.csv too).") var rules = "Rules"
    @Option(help: ArgumentHelp("Reference CSV folder.", valueName: "dir")) var reference: String?
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Do not use a database (no dispositions).") var noDatabase = false
    @Option(help: "table, json or html.") var format: ReportFormat = .table
    @Option(help: ArgumentHelp("Write the report to this file.", valueName: "file")) var out: String?
    @Flag(help: "Show progress on standard error.") var progress = false

    func validate() throws {
        if ledger.isEmpty { throw ValidationError("give at least one --ledger FILE") }
        for l in ledger where !FileManager.default.fileExists(atPath: l) { throw ValidationError("no such ledger: \(l)") }
        do { _ = try Sweep.parseRange(param) } catch { throw ValidationError("\((error as? RuleVersionError)?.message ?? "\(error)")") }
    }

    func run() async throws {
        let (parameter, values) = try Sweep.parseRange(param)
        let bundle = try loadBundle(rules)
        let compiled = bundle.compile()
        guard let rs = compiled.ruleSet else {
            printDiagnostics(compiled.diagnostics, sources: compiled.sources, format: .text)
            throw ExitCode(1)
        }
        guard let rule = rs.rule(named: name) else {
            FileHandle.standardError.write("no rule named '\(name)' in \(rules)\n")
            throw ExitCode(64)
        }
        guard rule.parameterNames.contains(parameter) else {
            FileHandle.standardError.write("rule \(name) has no parameter '\(parameter)'; its parameters: \(rule.parameterNames.joined(separator: ", "))\n")
            throw ExitCode(64)
        }
        let tables: ReferenceTables
        do { tables = try ReferenceLoader.load(directory: reference) } catch {
            FileHandle.standardError.write("\(error)\n")
            throw ExitCode(64)
        }
        var sweep = Sweep(bundle: bundle, rule: name, parameter: parameter, values: values, tables: tables)
        let store: PostgresAlertStore? = noDatabase ? nil : try? await db.store(announce: false)
        if let d = await loadDispositions(store, rules: [name]) {
            sweep.dispositions = d
            sweep.dispositionsKnown = true
        }
        await store?.close()
        let printer = progressPrinter(progress)
        sweep.configure = { $0.progress = printer }
        let report: SweepReport
        do { report = try sweep.run(ledgers: ledger) } catch let e as RuleVersionError {
            FileHandle.standardError.write("\(e.message)\n")
            throw ExitCode(1)
        }
        if progress { FileHandle.standardError.write("\n") }
        switch format {
        case .table: try emit(report.text(), to: out)
        case .json: try emit(try report.json(), to: out)
        case .html: try emit(report.html(), to: out)
        }
    }
}

// MARK: - deploy, history, rollback

func currentAuthor(_ given: String?) -> String {
    if let given, !given.isEmpty { return given }
    let env = ProcessInfo.processInfo.environment
    return env["USER"] ?? env["LOGNAME"] ?? "unknown"
}

/// Prints what a deploy or rollback did; exit 1 when it was refused.
func report(_ outcome: RuleDeployer.Outcome, what: String) throws {
    if !outcome.diagnostics.isEmpty {
        printDiagnostics(outcome.diagnostics, sources: outcome.sources, format: .text)
    }
    for p in outcome.problems { print("  ✗ \(p)") }
    switch outcome.status {
    case .refused:
        let errors = outcome.diagnostics.filter { $0.severity == .error }.count
        FileHandle.standardError.write("\(what) refused (\(errors) error\(errors == 1 ? "" : "s"), \(outcome.problems.count) failed check\(outcome.problems.count == 1 ? "" : "s")); nothing was stored\(outcome.previous.map { ", \($0.label) stays in force" } ?? "")\n")
        throw ExitCode(1)
    case .unchanged(let v):
        print("nothing to deploy: the rules and parameters are those of \(v.label) (hash \(v.hash.prefix(12)))")
    case .deployed(let v):
        print("deployed \(v.label): hash \(v.hash.prefix(12)), author \(v.author), \(v.createdAt)\(v.restores.map { ", restores v\($0)" } ?? "")")
        for c in outcome.changes where c.kind != .unchanged {
            let versions = [c.oldVersion, c.newVersion].map { $0.map(String.init) ?? "—" }.joined(separator: " → ")
            print("  \(c.rule.padding(toLength: 34, withPad: " ", startingAt: 0)) \(versions.padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.kind.rawValue)")
        }
        let unchanged = outcome.changes.filter { $0.kind == .unchanged }.count
        if unchanged > 0 { print("  (\(unchanged) rule\(unchanged == 1 ? "" : "s") unchanged)") }
        print("running workers switch to \(v.label) at their next batch boundary (they check every few seconds)")
    }
}

struct RulesDeploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Check and test a rule folder, then store it as the new version in force.",
        discussion: prose("""
        Compiles the folder's *.rule files with its parameters.csv, runs its *.cases (as `rules
        test`), and refuses — storing nothing — on any error, any failing case, or a rule whose text
        changed since the version in force while its `version` stayed the same (alerts carry that
        number as rule_version). Otherwise it stores a new immutable version in rule_versions (hash,
        author, time, message, every file). Running workers (`qianliyan run`) pick it up within a few
        seconds and switch at a batch boundary: rules whose kind, filters, key, window and
        correlation are unchanged keep their state, changed rules start fresh.

        Examples:
          qianliyan rules deploy Rules -m "split-payments: min_payments 3 → 4"
          qianliyan rules deploy Rules -m "…" --author zhang.wei \\
              --reference /etc/qianliyan/ref
        """)
    )

    @Argument(help: "The rule folder.") var directory: String
    @Option(name: .shortAndLong, help: "Why: shown in `rules history`.") var message: String
    @Option(help: "Who deploys (default: $USER).") var author: String?
    @Option(help: ArgumentHelp("Reference CSV folder the cases start from.", valueName: "dir")) var reference: String?
    @Flag(help: "Accept a changed rule whose version number did not change.") var allowSameVersion = false
    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        if message.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("say why with -m MESSAGE") }
    }

    func run() async throws {
        let bundle = try loadBundle(directory)
        let store = try await db.store()
        let (who, why, allow) = (currentAuthor(author), message, allowSameVersion)
        let check = CaseCheck.deployCheck(reference: reference)
        let outcome = try await store.withConnection { c in
            var deployer = RuleDeployer(store: RuleVersionStore(connection: c), check: check)
            deployer.allowSameVersion = allow
            return try deployer.deploy(bundle, author: who, message: why)
        }
        await store.close()
        try report(outcome, what: "deploy")
    }
}

struct RulesHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the deployed rule versions, newest first, with what changed in each.",
        discussion: prose("""
        The newest version is the one in force. Examples:
          qianliyan rules history
          qianliyan rules history --limit 5 --rule split-payments
          qianliyan rules history --format json
        """)
    )

    @Option(help: "How many versions.") var limit = 20
    @Option(help: "Only versions that changed this rule.") var rule: String?
    @Option(help: "text or json.") var format: DiagnosticFormat = .text
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await db.store()
        let n = limit
        let versions = try await store.withConnection { c in try RuleVersionStore(connection: c).history(limit: n + 1) }
        await store.close()
        var rows: [(RuleVersion, [RuleChange])] = []
        for (i, v) in versions.prefix(limit).enumerated() {
            let older = i + 1 < versions.count ? versions[i + 1] : nil
            let changes = v.changes(since: older).filter { $0.kind != .unchanged }
            if let r = rule, !changes.contains(where: { $0.rule == r }) && older != nil { continue }
            rows.append((v, changes))
        }
        if format == .json {
            let items = rows.map { v, changes in
                "{\"version\":\(v.number),\"hash\":\(jsonQuote(v.hash)),\"author\":\(jsonQuote(v.author)),\"created_at\":\(jsonQuote(v.createdAt)),"
                    + "\"message\":\(jsonQuote(v.message)),\"restores\":\(v.restores.map(String.init) ?? "null"),\"rules\":\(v.rules.count),"
                    + "\"in_force\":\(v.number == versions.first?.number ? "true" : "false"),\"changes\":["
                    + changes.map { "{\"rule\":\(jsonQuote($0.rule)),\"change\":\(jsonQuote($0.kind.rawValue)),\"old_version\":\($0.oldVersion.map(String.init) ?? "null"),\"new_version\":\($0.newVersion.map(String.init) ?? "null")}" }.joined(separator: ",")
                    + "]}"
            }
            print("[" + items.joined(separator: ",\n") + "]")
            return
        }
        if versions.isEmpty {
            print("no rule version deployed yet (qianliyan rules deploy Rules -m MESSAGE)")
            return
        }
        for (v, changes) in rows {
            let mark = v.number == versions.first?.number ? "  ← in force" : ""
            print("\(v.label)  \(v.createdAt.prefix(19))  \(v.author)  \(v.hash.prefix(12))  \(v.rules.count) rules\(mark)")
            print("    \(v.message)")
            for c in changes {
                let versions = [c.oldVersion, c.newVersion].map { $0.map(String.init) ?? "—" }.joined(separator: " → ")
                print("    \(c.rule.padding(toLength: 34, withPad: " ", startingAt: 0)) \(versions.padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.kind.rawValue)")
            }
        }
    }
}

struct RulesRollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put an earlier version back in force, as a new version with its files.",
        discussion: prose("""
        Rollback never rewrites history: it stores a new version (restores_version = VERSION) whose
        rule files and parameters are those of VERSION, after the same checks as a deploy (it must
        compile with this build, its cases must pass). Workers switch to it like to any deploy.

        Examples:
          qianliyan rules rollback 3
          qianliyan rules rollback 3 -m "v4 flooded the queue in 330521"
        """)
    )

    @Argument(help: "The version to restore (see `rules history`).") var version: Int
    @Option(name: .shortAndLong, help: "Why (optional).") var message: String?
    @Option(help: "Who (default: $USER).") var author: String?
    @Option(help: ArgumentHelp("Reference CSV folder the cases start from.", valueName: "dir")) var reference: String?
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await db.store()
        let check = CaseCheck.deployCheck(reference: reference)
        let (n, who, why) = (version, currentAuthor(author), message)
        let outcome: RuleDeployer.Outcome
        do {
            outcome = try await store.withConnection { c in
                try RuleDeployer(store: RuleVersionStore(connection: c), check: check).rollback(to: n, author: who, message: why)
            }
        } catch let e as RuleVersionError {
            FileHandle.standardError.write("\(e.message)\n")
            await store.close()
            throw ExitCode(1)
        }
        await store.close()
        try report(outcome, what: "rollback")
    }
}

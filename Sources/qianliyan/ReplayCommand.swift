import AlertStore
import ArgumentParser
import EventModel
import Foundation
import Pipeline
import RuleCompiler

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay historical ledgers (JSON Lines, plain or .gz) through the rules into PostgreSQL.",
        discussion: prose("""
        Every line is decoded and checked against the event contract; lines that break it go to
        the dead_letters table with file, line and reason. Re-sent events (same event_id) count
        once. Events are put into the total order (occurred_at, then event_id) — files may be in
        any order — and run through the compiled rules; alerts go to the alerts table. Running the
        same ledger again changes nothing: (rule_id, anchor_event_id) and dead letters are unique,
        and an analyst's status, assignee and disposition are never overwritten.

        Examples:
          qianliyan replay --reference ref/ 2023-*.jsonl.gz
          qianliyan replay --database postgresql:///qianliyan?host=/run/postgresql \\
              ledger.jsonl
          # no database: the alerts' ids as CSV on stdout
          qianliyan replay --dry-run --reference ref/ ledger.jsonl
          qianliyan replay --json --quiet ledger.jsonl > summary.json
        """)
    )

    @Option(help: "Rule files or folders (repeatable).")
    var rules: [String] = ["Rules"]

    @Option(help: "Folder with people.csv, vendors.csv, reference_prices.csv, village_limits.csv.")
    var reference: String?

    @OptionGroup var db: DatabaseOptions

    @Flag(help: "Do not write to a database; print the alert identities (rule_id,anchor_event_id) as CSV on stdout.")
    var dryRun = false

    @Option(help: ArgumentHelp("How far back in event time a ledger may be out of order and still be replayed in one pass (hours).", valueName: "hours"))
    var reorderHours: Int = 48

    @Option(help: ArgumentHelp("Threads that evaluate rules (default: one per core, less the one that reads the ledgers; at least one). The rules are split into parts of about equal cost, one engine per part, each on its own thread; the alerts are the same for any number.", valueName: "n"))
    var threads: Int?

    @Flag(help: "Keep remembered events (evidence) in memory instead of a temporary file in $TMPDIR: faster on small ledgers, more memory on large ones.")
    var evidenceInMemory = false

    @Flag(help: "No progress bar and no summary table.")
    var quiet = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    @Argument(help: "Ledger files (JSON Lines, plain or gzip).")
    var ledgers: [String]

    func validate() throws {
        guard !ledgers.isEmpty else { throw ValidationError("give at least one ledger file") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        for l in ledgers where !FileManager.default.fileExists(atPath: l) {
            throw ValidationError("no such ledger file: \(l)")
        }
    }

    func run() async throws {
        let compiled = RuleLoader.compile(paths: rules)
        guard let rs = compiled.ruleSet else {
            printDiagnostics(compiled.diagnostics, sources: compiled.sources, format: .text)
            FileHandle.standardError.write("the rules do not compile; fix them (qianliyan rules check) and replay again\n")
            throw ExitCode(1)
        }
        // The reference tables load on another thread while PostgreSQL is
        // readied (the schema's migrations run in the server): ≈ 0.1 s each
        // on a fresh database, one after the other before.
        let reference = self.reference
        let loading = Task.detached { try ReferenceLoader.load(directory: reference) }
        // The results go to PostgreSQL while the replay hands them out, in
        // batches over two connections (two backends keep both cores busy).
        var url: String? = nil
        if !dryRun {
            let u = try await db.resolve(announce: !quiet)
            let store = PostgresAlertStore(url: u)
            _ = try await store.migrate()
            await store.close()
            url = u
        }
        let tables = try await loading.value
        let replay = Replay(ruleSet: rs, tables: tables)
        replay.reorderWindow = Int64(reorderHours) * TimeUnit.hour
        if let threads { replay.threads = threads }
        if evidenceInMemory { replay.evidenceSpill = nil }
        replay.keepStateUntilExit = true
        let bar = (quiet || json) ? nil : ProgressBar()
        replay.progress = bar.map { b in { @Sendable p in b.update(p) } }
        let writer = url.map { PostgresReplaySink(url: $0, connections: 2) }
        let identities = IdentitySink()
        var summary: ReplaySummary
        do {
            summary = try replay.run(ledgers: ledgers, sink: (writer as ReplaySink?) ?? identities)
        } catch {
            // Nothing of a failed replay is stored.
            writer?.cancel()
            throw error
        }
        bar?.finish()
        for w in summary.warnings { FileHandle.standardError.write("warning: \(w)\n") }
        var written: AlertWriteSummary? = nil
        if let writer {
            let start = Date()
            written = try writer.finish()
            summary.seconds += Date().timeIntervalSince(start)
        }
        if dryRun {
            print("rule_id,anchor_event_id")
            for id in identities.identities.sorted() { print("\(id.ruleID),\(id.anchorEventID)") }
        }
        if json {
            print(SummaryText.json(summary, written: written))
        } else if !quiet {
            FileHandle.standardError.write(SummaryText.table(summary, written: written))
        }
    }
}

/// The end-of-replay summary, as a table or JSON.
enum SummaryText {
    static func table(_ s: ReplaySummary, written: AlertWriteSummary?) -> String {
        var out = "\n"
        func row(_ k: String, _ v: String) { out += "  " + k.padding(toLength: 34, withPad: " ", startingAt: 0) + v + "\n" }
        row("files", "\(s.files)")
        row("lines", "\(s.lines)")
        row("events", "\(s.events)")
        row("duplicates (ignored)", "\(s.duplicates)")
        row("dead letters", "\(s.deadLetters)" + (s.deadLettersByKind.isEmpty ? "" : "  (" + s.deadLettersByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
        row("alerts", "\(s.alerts)")
        for (rule, n) in s.alertsByRule.sorted(by: { $0.key < $1.key }) { row("  " + rule, "\(n)") }
        if let w = written { row("new rows written", "\(w.alertsInserted) alerts, \(w.deadLettersInserted) dead letters") }
        row("order", s.mode + (s.spilledRuns > 0 ? " (\(s.spilledRuns) runs spilled to disk)" : ""))
        if s.evidenceSpilledBytes > 0 { row("evidence spilled", String(format: "%.1f MiB (temporary file, removed)", Double(s.evidenceSpilledBytes) / 1_048_576)) }
        row("rule evaluation", s.ruleParts == 1 ? "1 thread" : "\(s.ruleParts) threads (rules split into \(s.ruleParts) parts)")
        row("wall time", String(format: "%.2f s (evaluating %.2f s, writing alerts %.2f s)", s.seconds, s.passSeconds, max(0, s.seconds - s.passSeconds)))
        row("throughput", String(format: "%.0f events/s", s.eventsPerSecond))
        return out
    }

    static func json(_ s: ReplaySummary, written: AlertWriteSummary?) -> String {
        let rules = s.alertsByRule.sorted { $0.key < $1.key }.map { "\(jsonQuote($0.key)):\($0.value)" }.joined(separator: ",")
        let kinds = s.deadLettersByKind.sorted { $0.key < $1.key }.map { "\(jsonQuote($0.key)):\($0.value)" }.joined(separator: ",")
        var out = "{\"files\":\(s.files),\"lines\":\(s.lines),\"events\":\(s.events),\"duplicates\":\(s.duplicates),"
        out += "\"dead_letters\":\(s.deadLetters),\"dead_letters_by_kind\":{\(kinds)},\"alerts\":\(s.alerts),\"alerts_by_rule\":{\(rules)},"
        if let w = written { out += "\"alerts_inserted\":\(w.alertsInserted),\"dead_letters_inserted\":\(w.deadLettersInserted)," }
        out += "\"mode\":\(jsonQuote(s.mode)),\"rule_parts\":\(s.ruleParts),\"seconds\":\(String(format: "%.3f", s.seconds)),"
        out += "\"pass_seconds\":\(String(format: "%.3f", s.passSeconds)),\"events_per_second\":\(Int(s.eventsPerSecond))}"
        return out
    }
}

/// A one-line progress bar on stderr (only on a terminal).
final class ProgressBar: @unchecked Sendable {
    // Touched only from the thread that reports progress, under `lock`.
    private let lock = NSLock()
    private let start = Date()
    private let tty = isatty(2) != 0
    private var shown = false

    func update(_ p: ReplayProgress) {
        guard tty else { return }
        lock.lock()
        defer { lock.unlock() }
        let secs = max(Date().timeIntervalSince(start), 0.001)
        var line = "\r\(p.phase): "
        if p.bytesTotal > 0 && p.bytesRead > 0 {
            let frac = min(1, Double(p.bytesRead) / Double(p.bytesTotal))
            let width = 24
            let filled = Int(frac * Double(width))
            line += "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] "
            line += String(format: "%3.0f%% %.0f/%.0f MB ", frac * 100, Double(p.bytesRead) / 1e6, Double(p.bytesTotal) / 1e6)
        }
        line += "\(p.events) events, \(String(format: "%.0f", Double(p.events) / secs))/s, \(p.alerts) alerts   "
        FileHandle.standardError.write(line)
        shown = true
    }

    func finish() {
        if shown { FileHandle.standardError.write("\r" + String(repeating: " ", count: 100) + "\r") }
    }
}

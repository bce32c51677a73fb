import ArgumentParser
import EventModel
import Foundation
import Pipeline
import RuleCompiler

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay historical ledgers (JSON Lines, plain or .gz) through the rules into PostgreSQL."
    )

    @Option(help: "Rule files or folder.")
    var rules: [String] = ["Rules"]

    @Option(help: "Folder with people.csv, vendors.csv, reference_prices.csv, village_limits.csv.")
    var reference: String?

    @Flag(help: "Do not write to a database; print the alert identities as CSV.")
    var dryRun = false

    @Argument(help: "Ledger files.")
    var ledgers: [String]

    func run() async throws {
        let compiled = RuleLoader.compile(paths: rules)
        guard let rs = compiled.ruleSet else {
            printDiagnostics(compiled.diagnostics, sources: compiled.sources, format: .text)
            throw ExitCode(1)
        }
        let tables = try ReferenceLoader.load(directory: reference)
        let replay = Replay(ruleSet: rs, tables: tables)
        let sink = MemorySink()
        let summary = try replay.run(ledgers: ledgers, sink: sink)
        if dryRun {
            print("rule_id,anchor_event_id")
            for id in sink.alerts.map(\.identity).sorted() { print("\(id.ruleID),\(id.anchorEventID)") }
            for d in sink.deadLetters { FileHandle.standardError.write("dead letter \(d.source.name):\(d.source.position) \(d.reason)\n") }
        }
        FileHandle.standardError.write("events \(summary.events), duplicates \(summary.duplicates), dead letters \(summary.deadLetters), alerts \(summary.alerts), \(String(format: "%.2f", summary.seconds)) s, \(summary.mode)\n")
    }
}

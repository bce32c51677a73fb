import EventModel
import Foundation
import LedgerFiles
import Pipeline
import RuleCompiler
import Testing

/// The conformance sample of ../shared/conformance: an independent
/// implementation's exact alerts and dead letters.
@Suite struct ConformanceTests {
    static func expectedAlerts() throws -> Set<AlertIdentity> {
        let csv = try CSVTable(parsing: String(contentsOfFile: RepoPaths.conformance + "/alerts_expected.csv", encoding: .utf8))
        return Set(csv.rows.map { AlertIdentity(ruleID: $0[0], anchorEventID: $0[1]) })
    }

    static func replay(_ ledger: String, configure: (Replay) -> Void = { _ in }) throws -> (MemorySink, ReplaySummary) {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let sink = MemorySink()
        let replay = Replay(ruleSet: rs, tables: tables)
        configure(replay)
        let path = ledger.hasPrefix("/") ? ledger : RepoPaths.conformance + "/" + ledger
        let summary = try replay.run(ledgers: [path], sink: sink)
        return (sink, summary)
    }

    @Test func sortedAndSpilledPassesGiveTheSameAlerts() throws {
        let (sorted, s1) = try Self.replay("events.jsonl.gz") { $0.alwaysSort = true }
        #expect(s1.mode == "sorted")
        // The summary splits its time: until every event was evaluated, then handing out the alerts.
        #expect(s1.passSeconds > 0 && s1.passSeconds <= s1.seconds)
        #expect(Set(sorted.alerts.map(\.identity)) == (try Self.expectedAlerts()))
        let (spilled, s2) = try Self.replay("events.jsonl.gz") { $0.alwaysSort = true; $0.runCapacity = 1_000 }
        #expect(s2.spilledRuns >= 14)
        #expect(Set(spilled.alerts.map(\.identity)) == (try Self.expectedAlerts()))
    }

    @Test func aLedgerInAnyOrderGivesTheSameAlerts() throws {
        // Reverse the ledger, and split it in two files given in the "wrong" order.
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events.jsonl.gz")
        var lines: [[UInt8]] = []
        try reader.forEachLine { l, _ in lines.append(Array(l)); return true }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reversed = dir.appendingPathComponent("reversed.jsonl")
        try Data(lines.reversed().flatMap { $0 + [10] }).write(to: reversed)
        let (sink, summary) = try Self.replay(reversed.path)
        #expect(summary.mode == "sorted", "a reversed ledger cannot be evaluated in one pass")
        #expect(Set(sink.alerts.map(\.identity)) == (try Self.expectedAlerts()))
        // Duplicates keep the first copy in file order; here the copies are identical.
        #expect(summary.duplicates == 71)
    }

    @Test func cleanLedgerGivesExactlyTheExpectedAlerts() throws {
        let (sink, summary) = try Self.replay("events.jsonl.gz")
        let got = sink.alerts.map(\.identity)
        #expect(Set(got).count == got.count, "an alert was emitted twice")
        let expected = try Self.expectedAlerts()
        #expect(expected.count == 143)
        #expect(Set(got).subtracting(expected).isEmpty, "unexpected: \(Set(got).subtracting(expected).sorted())")
        #expect(expected.subtracting(got).isEmpty, "missing: \(expected.subtracting(got).sorted())")
        #expect(summary.duplicates == 71)
        #expect(summary.deadLetters == 0)
    }

    @Test func malformedLedgerGivesTheSameAlertsAndExactlyTheListedDeadLetters() throws {
        let (sink, _) = try Self.replay("events_malformed.jsonl.gz")
        #expect(Set(sink.alerts.map(\.identity)) == (try Self.expectedAlerts()))
        let csv = try CSVTable(parsing: String(contentsOfFile: RepoPaths.conformance + "/dead_letters_expected.csv", encoding: .utf8))
        let expected = Dictionary(uniqueKeysWithValues: csv.rows.map { (Int64($0[0])!, $0[1]) })
        let got = Dictionary(uniqueKeysWithValues: sink.deadLetters.map { ($0.source.position, $0.kind) })
        #expect(Set(got.keys) == Set(expected.keys))
        // The kinds are ours to name; they happen to use the sample's words.
        for (line, kind) in expected { #expect(got[line] == kind, "line \(line)") }
        for d in sink.deadLetters { #expect(!d.raw.isEmpty && !d.reason.isEmpty) }
    }

    @Test func engineeredBoundaryCasesBehave() throws {
        let (sink, _) = try Self.replay("events.jsonl.gz")
        let got = Set(sink.alerts.map(\.identity))
        let csv = try CSVTable(parsing: String(contentsOfFile: RepoPaths.conformance + "/engineered_cases.csv", encoding: .utf8))
        #expect(csv.rows.count > 0)
        for row in csv.rows {
            let id = AlertIdentity(ruleID: row[0], anchorEventID: row[1])
            if row[2] == "fire" { #expect(got.contains(id), "\(row[3]): \(id)") } else { #expect(!got.contains(id), "\(row[3]): \(id)") }
        }
    }

    @Test func alertsCarryEvidenceFiguresAndSummaries() throws {
        let (sink, _) = try Self.replay("events.jsonl.gz")
        for a in sink.alerts {
            #expect(a.evidenceEventIDs.contains(a.anchorEventID), "\(a.identity)")
            #expect(a.evidence.count == a.evidenceEventIDs.count)
            #expect(a.firstEvidenceAt <= a.lastEvidenceAt)
            #expect(!a.summaryZH.isEmpty && !a.summaryEN.isEmpty)
            #expect(!a.summaryZH.contains("{"), "\(a.summaryZH)")
        }
        let split = try #require(sink.alerts.first { $0.ruleID == "split-payments" })
        #expect(split.evidenceEventIDs.count >= 3)
        #expect(split.figures.contains { $0.name == "count" })
        #expect(split.figures.contains { $0.name == "approval_limit" })
        #expect(split.key.hasPrefix("village=\(split.village.description), payee_id="))
    }

    @Test(arguments: [2, 3, 5])
    func rulesSplitOverThreadsGiveTheSameAlertsAsOneEngine(threads: Int) throws {
        // Alerts come out in one order (anchor time, anchor id, rule) whatever the split,
        // so the whole alerts — evidence, figures, summaries — must be equal, not just their ids.
        let (one, s1) = try Self.replay("events.jsonl.gz") { $0.threads = 1 }
        #expect(s1.ruleParts == 1)
        for sample in [1, 500, PartitionedEvaluation.defaultSample] {
            let (many, s) = try Self.replay("events.jsonl.gz") { $0.threads = threads; $0.splitSample = sample }
            #expect(s.ruleParts == threads, "sample \(sample)")
            #expect(many.alerts == one.alerts, "sample \(sample)")
        }
        let (sorted, s2) = try Self.replay("events.jsonl.gz") { $0.threads = threads; $0.splitSample = 700; $0.alwaysSort = true }
        #expect(s2.mode == "sorted" && s2.ruleParts == threads)
        #expect(sorted.alerts == one.alerts)
    }

    @Test func aSinglePassGivenUpAfterTheLanesStartedStillGivesTheExpectedAlerts() throws {
        // The ledger in order, except that its very first event comes last: the single
        // pass runs (with the rules split over threads) until the last line, then gives up.
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events.jsonl.gz")
        var lines: [[UInt8]] = []
        try reader.forEachLine { l, _ in lines.append(Array(l)); return true }
        let decoder = EventDecoder()
        var events: [(Event, [UInt8])] = []
        for l in lines { if case .event(let e) = decoder.decode(l) { events.append((e, l)) } }
        events.sort { $0.0.precedes($1.0) }
        let reordered = events.dropFirst().map(\.1) + [events[0].1]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-late-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("late-first.jsonl")
        try Data(reordered.flatMap { $0 + [10] }).write(to: path)
        let (sink, summary) = try Self.replay(path.path) { $0.threads = 2; $0.splitSample = 100 }
        #expect(summary.mode == "sorted")
        #expect(summary.ruleParts == 2)
        #expect(Set(sink.alerts.map(\.identity)) == (try Self.expectedAlerts()))
    }
}

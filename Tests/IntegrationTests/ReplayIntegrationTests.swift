import AlertStore
import EventModel
import Foundation
import LedgerGenerator
import Pipeline
import RuleCompiler
import TestSupport
import Testing

/// Issue "Nightly replay", done-when: generate → replay into a real
/// PostgreSQL → the injected cases; replay again → no change; a malformed
/// ledger → every bad line in dead_letters and exactly the clean alerts.
@Suite struct ReplayIntegrationTests {
    static var root: String {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Rules").path) && url.path != "/" { url.deleteLastPathComponent() }
        return url.path
    }

    struct Generated {
        var dir: URL
        var ledger: String
        var clean: String
        var groundTruth: [GroundTruthCase]
        var malformed: [MalformedLine]
    }

    /// A generated ledger with malformed lines and re-sends, plus the same ledger without the malformed lines.
    static func generate(seed: UInt64) throws -> Generated {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var gen = LedgerGenerator(GeneratorConfig(villages: 8, days: 120, seed: seed, eventsPerVillageDay: 6, malformedRate: 0.01, duplicateRate: 0.01))
        var bytes: [UInt8] = []
        gen.generate { bytes.append(contentsOf: $0) }
        let ledger = dir.appendingPathComponent("events.jsonl")
        try Data(bytes).write(to: ledger)
        for (name, text) in gen.referenceCSVs() { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let bad = Set(gen.malformedLines.map(\.lineNumber))
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let cleanLines = lines.enumerated().filter { !bad.contains($0.offset + 1) }.map(\.element)
        let clean = dir.appendingPathComponent("clean.jsonl")
        try Data(cleanLines.flatMap { $0 + [10] }).write(to: clean)
        return Generated(dir: dir, ledger: ledger.path, clean: clean.path, groundTruth: gen.groundTruth, malformed: gen.malformedLines)
    }

    static func replay(_ ledger: String, reference: URL, url: String) async throws -> ReplaySummary {
        let rs = RuleLoader.compile(paths: [root + "/Rules"]).ruleSet!
        let tables = try ReferenceLoader.load(directory: reference.path)
        let store = PostgresAlertStore(url: url)
        _ = try await store.migrate()
        await store.close()
        // As `qianliyan replay` does: the results go to PostgreSQL while the replay hands them out.
        let sink = PostgresReplaySink(url: url)
        let summary = try Replay(ruleSet: rs, tables: tables).run(ledgers: [ledger], sink: sink)
        _ = try sink.finish()
        return summary
    }

    static func rows(_ url: String, _ sql: String) throws -> [[String?]] {
        let c = try PostgresConnection(url)
        defer { c.close() }
        return try c.execute(sql).rows
    }

    @Test func generatedLedgerIntoPostgres() async throws {
        let g = try Self.generate(seed: 11)
        defer { try? FileManager.default.removeItem(at: g.dir) }
        #expect(g.groundTruth.count > 50)
        #expect(Set(g.groundTruth.map(\.rule)).count == 14, "every rule has injected cases")
        try await TestPostgres.withDatabase { url in
            let first = try await Self.replay(g.ledger, reference: g.dir, url: url)
            #expect(first.deadLetters == g.malformed.count)
            let alerts = Set(try Self.rows(url, "SELECT rule_id, anchor_event_id FROM alerts").map { AlertIdentity(ruleID: $0[0]!, anchorEventID: $0[1]!) })
            #expect(alerts.count == first.alerts)
            for c in g.groundTruth {
                let id = AlertIdentity(ruleID: c.rule.name, anchorEventID: c.anchorEventID)
                if c.expect == .fire { #expect(alerts.contains(id), "\(c.caseName): \(id)") } else { #expect(!alerts.contains(id), "\(c.caseName): \(id)") }
            }
            // Analysts' work survives a re-run, which changes nothing.
            _ = try Self.rows(url, "UPDATE alerts SET status = 'closed', disposition = 'confirmed', assignee = 'li' WHERE id = (SELECT min(id) FROM alerts) RETURNING id")
            let before = try Self.rows(url, "SELECT count(*), max(id), sum(length(summary_zh)) FROM alerts")
            let deadBefore = try Self.rows(url, "SELECT count(*) FROM dead_letters")
            _ = try await Self.replay(g.ledger, reference: g.dir, url: url)
            #expect(try Self.rows(url, "SELECT count(*), max(id), sum(length(summary_zh)) FROM alerts") == before)
            #expect(try Self.rows(url, "SELECT count(*) FROM dead_letters") == deadBefore)
            #expect(try Self.rows(url, "SELECT count(*) FROM alerts WHERE status = 'closed' AND disposition = 'confirmed' AND assignee = 'li'") == [["1"]])
            // Every bad line is in dead_letters with its line number and a reason.
            let dead = try Self.rows(url, "SELECT position, kind, reason, length(raw) FROM dead_letters ORDER BY position")
            #expect(dead.map { Int($0[0]!)! } == g.malformed.map(\.lineNumber).sorted())
            for m in g.malformed {
                let row = dead.first { Int($0[0]!) == m.lineNumber }
                #expect(row?[1] == m.kind, "line \(m.lineNumber) (\(m.variant))")
                #expect((row?[2] ?? "").isEmpty == false)
            }
        }
    }

    /// A sink that holds what it is given (PostgreSQL) takes the alerts
    /// while the pass runs; when the single pass is abandoned (an event far
    /// older than those evaluated), what it wrote is rolled back and only
    /// the sorted pass's alerts are stored.
    @Test func anAbandonedSinglePassLeavesOnlyTheSortedPassesAlerts() async throws {
        let g = try Self.generate(seed: 13)
        defer { try? FileManager.default.removeItem(at: g.dir) }
        var lines = try String(contentsOfFile: g.clean, encoding: .utf8).split(separator: "\n").map(String.init)
        func fields(_ line: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
        // An approval that a later seal use needs, moved to the end: the single pass sees the
        // use without it (an alert), then the approval months late, and is abandoned.
        let approvals = lines.indices.filter { fields(lines[$0])["type"] as? String == "seal.approval" && fields(lines[$0])["decision"] as? String == "approved" }
        let moved = try #require(approvals.first { i in
            let a = fields(lines[i])
            return lines[(i + 1)...].contains { l in
                let u = fields(l)
                return u["type"] as? String == "seal.usage" && u["application_id"] as? String == a["application_id"] as? String && u["village"] as? String == a["village"] as? String
            }
        })
        let approval = lines.remove(at: moved)
        let withoutApproval = g.dir.appendingPathComponent("without-approval.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: withoutApproval, atomically: true, encoding: .utf8)
        lines.append(approval)
        let late = g.dir.appendingPathComponent("late-approval.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: late, atomically: true, encoding: .utf8)

        let rs = RuleLoader.compile(paths: [Self.root + "/Rules"]).ruleSet!
        let tables = try ReferenceLoader.load(directory: g.dir.path)
        func inMemory(_ ledger: String) throws -> (Set<AlertIdentity>, ReplaySummary) {
            let sink = MemorySink()
            let summary = try Replay(ruleSet: rs, tables: tables).run(ledgers: [ledger], sink: sink)
            return (Set(sink.alerts.map(\.identity)), summary)
        }
        let (expected, sorted) = try inMemory(late)
        #expect(sorted.mode == "sorted")
        // What the abandoned pass saw first: alerts that the approval, once in order, prevents.
        let (seenFirst, _) = try inMemory(withoutApproval)
        let prevented = seenFirst.subtracting(expected).filter { $0.ruleID == "seal-use-without-approval" }
        #expect(!prevented.isEmpty)

        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url)
            _ = try await store.migrate()
            await store.close()
            let sink = PostgresReplaySink(url: url)
            let replay = Replay(ruleSet: rs, tables: tables)
            replay.forwardBatchSize = 1
            let summary = try replay.run(ledgers: [late], sink: sink)
            _ = try sink.finish()
            #expect(summary.mode == "sorted")
            let stored = Set(try Self.rows(url, "SELECT rule_id, anchor_event_id FROM alerts").map { AlertIdentity(ruleID: $0[0]!, anchorEventID: $0[1]!) })
            #expect(stored == expected)
            #expect(stored.isDisjoint(with: prevented))
            #expect(summary.alerts == expected.count)
        }
    }

    @Test func malformedLinesChangeNoAlert() async throws {
        let g = try Self.generate(seed: 12)
        defer { try? FileManager.default.removeItem(at: g.dir) }
        try await TestPostgres.withDatabase { dirty in
            try await TestPostgres.withDatabase { clean in
                _ = try await Self.replay(g.ledger, reference: g.dir, url: dirty)
                let s = try await Self.replay(g.clean, reference: g.dir, url: clean)
                #expect(s.deadLetters == 0)
                let a = try Self.rows(dirty, "SELECT rule_id, anchor_event_id, figures::text FROM alerts ORDER BY 1, 2")
                let b = try Self.rows(clean, "SELECT rule_id, anchor_event_id, figures::text FROM alerts ORDER BY 1, 2")
                #expect(a.count > 0)
                #expect(a == b)
            }
        }
    }
}

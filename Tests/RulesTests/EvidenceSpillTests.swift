import DetectionRuntime
import EventModel
import Foundation
import LedgerFiles
@testable import Pipeline
import RuleCompiler
import Testing

/// Replays keep remembered events' ids and raw JSON in a temporary file:
/// the alerts, evidence included, are exactly those of evidence in memory.
@Suite struct EvidenceSpillTests {
    @Test func recordsComeBackFromTheBufferAndFromTheFile() throws {
        let spill = EvidenceSpillFile(bufferBytes: 100)
        #expect(spill.problem == nil)
        var refs: [(UInt64, String, [UInt8])] = []
        for i in 0..<500 {
            let id = "evt-\(i)-" + String(repeating: "x", count: i % 7)
            let raw = Array("{\"event_id\":\"\(id)\",\"n\":\(i),\"note\":\"村务\"}".utf8) + Array(repeating: UInt8(ascii: " "), count: i % 13)
            let ref = spill.append(id: id, raw: raw)
            #expect(ref != 0)
            refs.append((ref, id, raw))
        }
        #expect(spill.size > 100 * 50)
        // Old records from the file, the newest from the buffer, in any order.
        for (ref, id, raw) in refs.reversed() + refs {
            let got = spill.read(ref)
            #expect(got.id == id && got.raw == raw)
        }
        // An empty id and an empty raw are records too.
        let empty = spill.append(id: "", raw: [])
        #expect(empty != 0 && spill.read(empty).id == "" && spill.read(empty).raw == [])
    }

    /// A record the file no longer holds (the disk failed under the process)
    /// does not stop the process: the read gives nothing, and the pass
    /// fails at its end with what happened.
    @Test func aRecordThatCannotBeReadBackFailsThePassNotTheProcess() throws {
        let spill = EvidenceSpillFile(bufferBytes: 100)
        var refs: [UInt64] = []
        for i in 0..<50 { refs.append(spill.append(id: "evt-\(i)", raw: Array("{\"event_id\":\"evt-\(i)\"}".utf8))) }
        #expect(spill.fd >= 0)
        try spill.checkReads()
        #expect(ftruncate(spill.fd, 0) == 0)
        let got = spill.read(refs[0])
        #expect(got.id == "" && got.raw.isEmpty)
        #expect(throws: EvidenceSpillFile.SpillReadError.self) { try spill.checkReads() }
        #expect(spill.readFailure?.description.contains("could not be read back") == true)
        // Records still in the buffer come back.
        #expect(spill.read(refs[49]).id == "evt-49")
    }

    /// Alerts wait in a spill file of their own until the pass ends: every
    /// field comes back, and they come out in the order of RULES.md.
    @Test func alertsComeBackWholeAndInOrderFromTheFileAndFromMemory() throws {
        let values: [Figure.Value] = [.integer(-3), .money(fen: 1_234_567), .number(micros: 2_500_000), .text("村委会 \"A\""),
                                      .instant(1_700_000_000_000_000), .duration(86_400_000_000), .date(day: 19_700), .month(24_300), .bool(true)]
        func alert(_ i: Int) -> Alert {
            Alert(ruleID: ["r-b", "r-a"][i % 2], ruleVersion: i, severity: Severity.allCases[i % 4], anchorEventID: "evt-\(i % 5)",
                  anchorTime: Int64(1_000 - i / 2), village: VillageCode(value: 330_521_101_200 + UInt64(i)), key: "village=\(i) payee_id=张三",
                  evidenceEventIDs: (0..<(i % 4)).map { "e\($0)" }, firstEvidenceAt: Int64(i), lastEvidenceAt: Int64(i + 7),
                  figures: values.enumerated().map { Figure("f\($0.offset)", $0.element) }.shuffled(),
                  summaryZH: "第 \(i) 条", summaryEN: "alert \(i)", evidence: (0..<(i % 4)).map { Array("{\"n\":\($0)}".utf8) })
        }
        let all = (0..<300).map(alert)
        for a in all { #expect(try AlertCoding.decode(AlertCoding.encode(a)) == a) }
        let expected = all.sorted { ($0.anchorTime, $0.anchorEventID, $0.ruleID) < ($1.anchorTime, $1.anchorEventID, $1.ruleID) }
        // Spilled, kept in memory up to a budget and spilled after it, in memory.
        var spilled: [Int64] = []
        for (file, budget) in [(EvidenceSpillFile(bufferBytes: 700), 0), (EvidenceSpillFile(bufferBytes: 700), 20_000), (nil, 0)] {
            let collector = AlertCollector(file: file, memoryBudget: budget, moveAfter: 1_000)
            for chunk in stride(from: 0, to: all.count, by: 37) { collector.add(Array(all[chunk..<min(chunk + 37, all.count)])) }
            #expect(collector.count == all.count)
            var batches: [Int] = []
            var out: [Alert] = []
            try collector.forEachSortedBatch(of: 64) { batches.append($0.count); out += $0 }
            #expect(out == expected)
            #expect(batches == [64, 64, 64, 64, 44])
            spilled.append(file?.size ?? 0)
        }
        // The budget kept the first alerts out of the file, and only those.
        #expect(spilled[0] > spilled[1] && spilled[1] > 0 && spilled[2] == 0, "\(spilled)")
        // Once the file holds more than `moveAfter` times what memory holds, memory's alerts go there too
        // (after it, alerts are only added to the file); not before.
        for (moveAfter, moves) in [(4, true), (1_000, false)] {
            let file = EvidenceSpillFile(bufferBytes: 700)
            let collector = AlertCollector(file: file, memoryBudget: 20_000, moveAfter: moveAfter)
            for chunk in stride(from: 0, to: all.count, by: 37) { collector.add(Array(all[chunk..<min(chunk + 37, all.count)])) }
            var out: [Alert] = []
            try collector.forEachSortedBatch(of: 64) { out += $0 }
            #expect(out == expected)
            #expect((collector.inMemory == 0) == moves, "moveAfter \(moveAfter): \(collector.inMemory) in memory")
            #expect(moves ? file.size > spilled[1] : file.size == spilled[1])
        }
        // A file that cannot be made keeps them in memory.
        let unusable = AlertCollector(file: EvidenceSpillFile(directory: "/proc/no-such-folder", bufferBytes: 10))
        unusable.add(all)
        var fromMemory: [Alert] = []
        try unusable.forEachSortedBatch(of: 100) { fromMemory += $0 }
        #expect(fromMemory == expected)
    }

    @Test func anUnusableFolderKeepsTheRecordsInMemoryAndSaysWhy() throws {
        let spill = EvidenceSpillFile(directory: "/proc/no-such-folder", bufferBytes: 10)
        #expect(spill.problem?.contains("/proc/no-such-folder") == true)
        let ref = spill.append(id: "a", raw: Array("{}".utf8))
        for i in 0..<100 { _ = spill.append(id: "b\(i)", raw: Array(repeating: 1, count: 50)) }
        #expect(spill.read(ref).id == "a" && spill.read(ref).raw == Array("{}".utf8))
    }

    @Test(arguments: [1, 2])
    func spilledEvidenceGivesTheSameAlertsAsEvidenceInMemory(threads: Int) throws {
        let (inMemory, s1) = try ConformanceTests.replay("events.jsonl.gz") { $0.evidenceSpill = nil; $0.threads = threads }
        #expect(s1.evidenceSpilledBytes == 0)
        // A tiny buffer, so that almost every record is read back from the file.
        let (spilled, s2) = try ConformanceTests.replay("events.jsonl.gz") {
            $0.evidenceSpill = EvidenceSpill(bufferBytes: 512)
            $0.threads = threads
        }
        #expect(s2.evidenceSpilledBytes > 100_000)
        #expect(s2.warnings.isEmpty)
        #expect(spilled.alerts == inMemory.alerts)
        #expect(spilled.alerts.contains { $0.evidence.count >= 3 })
        let (sorted, s3) = try ConformanceTests.replay("events.jsonl.gz") {
            $0.evidenceSpill = EvidenceSpill(bufferBytes: 512)
            $0.alwaysSort = true
            $0.threads = threads
        }
        #expect(s3.mode == "sorted")
        #expect(sorted.alerts == inMemory.alerts)
    }

    @Test func backtestsSpillTooAndCompareTheSame() throws {
        let base = try BacktestTests.bundle().compile().ruleSet!
        let cand = try BacktestTests.candidate().compile().ruleSet!
        var results: [[[Alert]]] = []
        for spill in [nil, EvidenceSpill(bufferBytes: 256)] {
            let pass = BacktestPass(ruleSets: [base, cand], tables: try BacktestTests.tables())
            pass.evidenceSpill = spill
            let run = try pass.run(ledgers: [BacktestTests.ledger])
            #expect((run.summary.evidenceSpilledBytes > 0) == (spill != nil))
            #expect(run.summary.warnings.isEmpty)
            results.append(run.alerts)
        }
        #expect(results[0] == results[1])
    }
}

extension EvidenceSpillTests {
    @Test func aSnapshotOfAnEngineThatSpillsHoldsTheEvidenceItself() throws {
        let events = try SnapshotTests.orderedEvents()
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let whole = Engine(ruleSet: rs, tables: tables)
        for e in events { whole.process(e) }
        whole.finish(lastEventTime: events.last!.time)

        // Spill for the first half, snapshot, restore into an engine that keeps evidence in memory.
        let first = Engine(ruleSet: rs, tables: tables)
        first.evidenceStore = EvidenceSpillFile(bufferBytes: 300)
        let half = events.count / 2
        for e in events[..<half] { first.process(e) }
        let second = Engine(ruleSet: rs, tables: tables)
        #expect(try second.restore(first.snapshot()).isEmpty)
        for e in events[half...] { second.process(e) }
        second.finish(lastEventTime: events.last!.time)
        #expect(first.alerts + second.alerts == whole.alerts)
    }
}

/// Plain-text ledgers are their own evidence store: remembered events keep
/// their position there and are read back from the ledger.
extension EvidenceSpillTests {
    /// The conformance ledger's lines, split over a plain file with CRLF line
    /// ends and blank lines, a gzip file and a plain file without a final newline.
    static func mixedLedgers(in dir: URL) throws -> [String] {
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events.jsonl.gz")
        var lines: [[UInt8]] = []
        try reader.forEachLine { l, _ in lines.append(Array(l)); return true }
        let a = lines.count / 3, b = 2 * lines.count / 3
        var first: [UInt8] = []
        for (i, l) in lines[..<a].enumerated() { first += l + [13, 10] + (i % 50 == 0 ? [10] : []) }
        let plainCRLF = dir.appendingPathComponent("first.jsonl")
        try Data(first).write(to: plainCRLF)
        let gz = dir.appendingPathComponent("second.jsonl")
        try Data(lines[a..<b].flatMap { $0 + [10] }).write(to: gz)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-f", gz.path]
        try gzip.run()
        gzip.waitUntilExit()
        let last = dir.appendingPathComponent("third.jsonl")
        try Data(Array(lines[b...].map { $0 }.joined(separator: [10]))).write(to: last)
        return [plainCRLF.path, gz.path + ".gz", last.path]
    }

    @Test(arguments: [false, true])
    func evidenceReadBackFromPlainLedgersIsTheEvidenceInMemory(sorted: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-positions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledgers = try Self.mixedLedgers(in: dir)
        func run(_ configure: (Replay) -> Void) throws -> (MemorySink, ReplaySummary) {
            let replay = Replay(ruleSet: RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!,
                                tables: try ReferenceLoader.load(directory: RepoPaths.conformance))
            replay.alwaysSort = sorted
            replay.threads = 2
            configure(replay)
            let sink = MemorySink()
            let summary = try replay.run(ledgers: ledgers, sink: sink)
            return (sink, summary)
        }
        let (inMemory, _) = try run { $0.evidenceSpill = nil }
        let (fromLedgers, s) = try run { $0.evidenceSpill = EvidenceSpill(bufferBytes: 512) }
        #expect(Set(inMemory.alerts.map(\.identity)) == (try ConformanceTests.expectedAlerts()))
        #expect(fromLedgers.alerts == inMemory.alerts)
        #expect(s.warnings.isEmpty)
        // Evidence of the alerts names events of all three files.
        let evidenceIDs = Set(fromLedgers.alerts.flatMap(\.evidenceEventIDs))
        #expect(evidenceIDs.count > 100)
        // Only the gzip third (and the alerts) went to the spill file: with
        // every ledger gzip-compressed far more does.
        let gz = dir.appendingPathComponent("all.jsonl.gz").path
        try FileManager.default.copyItem(atPath: RepoPaths.conformance + "/events.jsonl.gz", toPath: gz)
        let allSpilled = try ConformanceTests.replay(gz) { $0.evidenceSpill = EvidenceSpill(bufferBytes: 512); $0.alwaysSort = sorted }.1
        #expect(s.evidenceSpilledBytes > 0 && s.evidenceSpilledBytes < allSpilled.evidenceSpilledBytes * 3 / 4,
                "\(s.evidenceSpilledBytes) vs \(allSpilled.evidenceSpilledBytes)")
    }

    @Test func aLedgerReadFromAPipeIsSpilled() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("ledger.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events.jsonl.gz")
        var text: [UInt8] = []
        try reader.forEachLine { l, _ in text += Array(l) + [10]; return true }
        let bytes = text
        let writer = Thread {
            let h = FileHandle(forWritingAtPath: fifo)!
            h.write(Data(bytes))
            h.closeFile()
        }
        writer.start()
        #expect(LedgerPositions(ledgers: [fifo]).origin(file: 0, offset: 0, length: 10) == 0)
        let (sink, summary) = try ConformanceTests.replay(fifo) { $0.evidenceSpill = EvidenceSpill(bufferBytes: 512) }
        #expect(Set(sink.alerts.map(\.identity)) == (try ConformanceTests.expectedAlerts()))
        #expect(summary.evidenceSpilledBytes > 100_000, "a pipe cannot be read again: its events are spilled")
        #expect(sink.alerts.allSatisfy { $0.evidence.count == $0.evidenceEventIDs.count && !$0.evidence.contains([]) })
    }

    @Test func aLedgerThatChangedDuringTheReplayIsReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-changed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("l.jsonl").path
        let line = Array(#"{"event_id": "e1", "type": "seal.application", "occurred_at": "2023-01-01T11:02:17+08:00", "village": "330521101211", "application_id": "YY20230101-001", "seal_id": "S101211-2", "applicant_id": "330521197511265234", "document_type": "contract", "purpose": "用印申请"}"#.utf8)
        try Data([10] + line + [10]).write(to: URL(fileURLWithPath: path))
        let positions = LedgerPositions(ledgers: [path])
        let origin = positions.origin(file: 0, offset: 1, length: line.count)
        #expect(origin != 0)
        #expect(positions.read(origin).id == "e1" && positions.read(origin).raw == line)
        try positions.checkUnchanged()
        // Out of range: no position, the event is spilled instead.
        #expect(positions.origin(file: 0, offset: 1, length: 1 << 22) == 0)
        #expect(positions.origin(file: 1, offset: 0, length: 10) == 0)

        // Rewritten with other bytes at the same place: the read is noticed.
        try Data([10] + Array(repeating: UInt8(ascii: " "), count: line.count) + [10]).write(to: URL(fileURLWithPath: path))
        _ = positions.read(origin)
        #expect(throws: LedgerReader.ReadError.self) { try positions.checkUnchanged() }
        // Grown (an appended line): the size says so.
        let grown = LedgerPositions(ledgers: [path])
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: line + [10])
        try h.close()
        #expect(throws: LedgerReader.ReadError.self) { try grown.checkUnchanged() }
    }
}

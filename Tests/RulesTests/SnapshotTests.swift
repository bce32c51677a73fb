import DetectionRuntime
import EventModel
import Foundation
import LedgerFiles
import Pipeline
import RuleCompiler
import RuleLanguage
import Synchronization
import Testing

/// A streaming worker checkpoints the engine and resumes from it: the
/// alerts must be exactly those of one uninterrupted run.
@Suite struct SnapshotTests {
    static func orderedEvents() throws -> [Event] {
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events.jsonl.gz")
        var dedupe = Deduplicator()
        var events: [Event] = []
        let decoder = EventDecoder()
        try reader.forEachLine { line, _ in
            if case .event(let e) = decoder.decode(line), dedupe.firstSighting(of: e) { events.append(e) }
            return true
        }
        events.sort { $0.precedes($1) }
        return events
    }

    @Test(arguments: [1, 3, 7])
    func resumingFromASnapshotGivesTheSameAlerts(_ cuts: Int) throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let alerts = Self.expectResumedRunEqualsWholeRun(rs, tables, try Self.orderedEvents(), cuts: cuts)
        #expect(alerts.count == 143)
    }

    /// Runs the events once whole and once cut `cuts` times (snapshot, fresh engine,
    /// restore); expects the same alerts, none twice. Returns the alerts.
    static func expectResumedRunEqualsWholeRun(_ rs: CompiledRuleSet, _ tables: ReferenceTables, _ events: [Event], cuts: Int) -> Set<AlertIdentity> {
        let whole = Engine(ruleSet: rs, tables: tables)
        for e in events { whole.process(e) }
        whole.finish(lastEventTime: events.last!.time)

        var alerts: [AlertIdentity] = []
        var engine = Engine(ruleSet: rs, tables: tables)
        let step = events.count / (cuts + 1)
        for (i, e) in events.enumerated() {
            if i > 0 && i % step == 0 {
                let snap = engine.snapshot()
                alerts += engine.alerts.map(\.identity)
                engine = Engine(ruleSet: rs, tables: tables)
                #expect((try? engine.restore(snap))?.isEmpty == true)
            }
            engine.process(e)
        }
        engine.finish(lastEventTime: events.last!.time)
        alerts += engine.alerts.map(\.identity)
        #expect(alerts.count == Set(alerts).count)
        #expect(Set(alerts) == Set(whole.alerts.map(\.identity)))
        return Set(alerts)
    }

    /// A streaming worker writes a copying image on another thread while the
    /// engine goes on: it must write the state as it was when taken.
    @Test func aCopiedImageKeepsItsInstantWhileTheEngineGoesOn() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let events = try Self.orderedEvents()
        let engine = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(events.count / 2) { engine.process(e) }
        let then = engine.snapshot()
        let image = engine.image(copying: true)
        let alertsThen = engine.alerts.count
        // Written on another thread while the engine evaluates the rest.
        let written = Mutex<[UInt8]?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread { written.withLock { $0 = image.bytes() }; done.signal() }.start()
        for e in events.dropFirst(events.count / 2) { engine.process(e) }
        engine.finish(lastEventTime: events.last!.time)
        done.wait()
        #expect(written.withLock { $0 } == then)
        #expect(image.bytes() == then)
        #expect(engine.snapshot() != then, "the engine went on")
        // And an engine resumed from it gives the rest of the alerts.
        let resumed = Engine(ruleSet: rs, tables: tables)
        #expect(try resumed.restore(image.bytes()).isEmpty)
        for e in events.dropFirst(events.count / 2) { resumed.process(e) }
        resumed.finish(lastEventTime: events.last!.time)
        #expect(!resumed.alerts.isEmpty)
        #expect(engine.alerts.prefix(alertsThen).map(\.identity) + resumed.alerts.map(\.identity) == engine.alerts.map(\.identity))
    }

    /// Checkpoints written before the evidence table (version 1: each entry with its
    /// event's id and raw JSON) still restore: the fixture is the engine after the
    /// conformance ledger's first 600 events in order, written at 56ba7ab.
    @Test func aVersion1SnapshotStillRestores() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let events = try Self.orderedEvents()
        let v1 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: RepoPaths.root + "/Tests/Fixtures/snapshots/engine-v1-600-events.snapshot")))
        let whole = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(600) { whole.process(e) }
        let before = whole.alerts.count
        #expect(whole.snapshot() != v1, "now written as version 2")
        for e in events.dropFirst(600) { whole.process(e) }
        whole.finish(lastEventTime: events.last!.time)

        let resumed = Engine(ruleSet: rs, tables: tables)
        // A rule whose state signature changed since the fixture starts fresh: compare the others.
        let dropped = Set(try resumed.restore(v1))
        #expect(resumed.liveKeys().values.reduce(0, +) > 0)
        for e in events.dropFirst(600) { resumed.process(e) }
        resumed.finish(lastEventTime: events.last!.time)
        let kept = { (a: Alert) in !dropped.contains(a.ruleID) }
        #expect(!resumed.alerts.isEmpty)
        #expect(resumed.alerts.filter(kept).map(\.identity) == whole.alerts.dropFirst(before).filter(kept).map(\.identity))
    }

    /// An event remembered by several rules is written once (version 2) and
    /// restored once: the snapshot is smaller than the sum of its entries' evidence.
    @Test func rememberedEventsAreWrittenOnce() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let events = try Self.orderedEvents()
        let engine = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(600) { engine.process(e) }
        let v1 = try Data(contentsOf: URL(fileURLWithPath: RepoPaths.root + "/Tests/Fixtures/snapshots/engine-v1-600-events.snapshot"))
        let v2 = engine.snapshot()
        #expect(v2.count < v1.count * 3 / 4, "\(v2.count) bytes against \(v1.count) in version 1")
        // Restored, each remembered event is kept once (version 1 kept one copy per
        // entry naming it), and written again the same size.
        let restored = Engine(ruleSet: rs, tables: tables), fromV1 = Engine(ruleSet: rs, tables: tables)
        #expect(try restored.restore(v2).isEmpty)
        try fromV1.restore([UInt8](v1))
        #expect(restored.evidenceInMemory <= engine.evidenceInMemory)
        #expect(restored.evidenceInMemory < fromV1.evidenceInMemory * 3 / 4, "\(restored.evidenceInMemory) against \(fromV1.evidenceInMemory)")
        #expect(restored.snapshot().count == v2.count)
    }

    @Test func aChangedRuleStartsFreshAndTheOthersKeepTheirState() throws {
        let paths = RuleLoader.ruleFiles(at: RepoPaths.rules)
        let (files, _) = RuleLoader.read(paths)
        let rs = RuleSetCompiler.compile(files).ruleSet!
        // A new version of split-payments with a different window, and a new threshold for repeat-reimbursement.
        let changed = files.map { f in
            SourceFile(path: f.path, text: f.text
                .replacingOccurrences(of: "within 7 days", with: "within 8 days")
                .replacingOccurrences(of: "param max_claims = 5", with: "param max_claims = 4"))
        }
        let rs2 = RuleSetCompiler.compile(changed).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let engine = Engine(ruleSet: rs, tables: tables)
        for e in try Self.orderedEvents().prefix(5_000) { engine.process(e) }
        let next = Engine(ruleSet: rs2, tables: tables)
        let dropped = try next.restore(engine.snapshot())
        #expect(dropped == ["split-payments"], "a threshold change keeps the state; a window change does not")
        #expect(next.liveKeys()["split-payments"] == 0)
        #expect(next.liveKeys()["repeat-reimbursement"] == engine.liveKeys()["repeat-reimbursement"])
        #expect(next.pendingDeadlines == engine.pendingDeadlines)
    }

    @Test func aCorruptSnapshotIsAnErrorNotACrash() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        for e in try Self.orderedEvents().prefix(2_000) { engine.process(e) }
        let snap = engine.snapshot()
        for cut in [0, 7, 100, snap.count / 2, snap.count - 1] {
            #expect(throws: (any Error).self) { try Engine(ruleSet: rs, tables: ReferenceTables()).restore(Array(snap.prefix(cut))) }
        }
    }

    /// Expiry looks name keys by slot: a restore that stops half-way in an
    /// engine that already had state must leave one look per live key, or
    /// a look would prune and drop whatever key reused its slot.
    @Test func anEngineKeepsWorkingAfterATruncatedRestore() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let events = try Self.orderedEvents()
        let third = events.count / 3
        let saved = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(third) { saved.process(e) }
        let snap = saved.snapshot()
        let engine = Engine(ruleSet: rs, tables: tables)
        for e in events.prefix(2 * third) { engine.process(e) }
        #expect(throws: (any Error).self) { try engine.restore(Array(snap.prefix(snap.count / 2))) }
        var processed = 0
        for e in events.dropFirst(2 * third) where engine.process(e) == .processed { processed += 1 }
        engine.finish(lastEventTime: events.last!.time)
        #expect(processed == events.count - 2 * third)
        #expect(engine.liveKeys().values.reduce(0, +) > 0)
    }
}

import DetectionRuntime
import EventModel
import Foundation
import LedgerFiles
import Pipeline
import RuleCompiler
import Testing

/// Streaming semantics without Kafka: events spread over village-keyed
/// partitions, read at uneven speeds, with local disorder; village-local
/// rules run per partition, cross-village rules in one global shard. The
/// union of alerts must be the replay's.
@Suite struct StreamShardTests {
    static func lines() throws -> [[UInt8]] {
        let reader = try LedgerReader(path: RepoPaths.conformance + "/events_malformed.jsonl.gz")
        var out: [[UInt8]] = []
        try reader.forEachLine { l, _ in out.append(Array(l)); return true }
        return out
    }

    static func topic(_ line: [UInt8]) -> String {
        let s = String(decoding: line.prefix(400), as: UTF8.self)
        for t in EventType.allCases where s.contains("\"\(t.name)\"") { return t.topic }
        return "village.finance"
    }

    static func partition(_ line: [UInt8], of n: Int) -> Int32 {
        let s = String(decoding: line, as: UTF8.self)
        guard let r = s.range(of: "\"village\": \""), s.distance(from: r.upperBound, to: s.endIndex) > 12 else { return 0 }
        let v = String(s[r.upperBound...].prefix(12))
        return Int32(UInt64(v).map { $0 % UInt64(n) } ?? 0)
    }

    @Test(arguments: [false, true])
    func partitionedShardsAndAGlobalShardGiveTheReplayAlerts(_ checkpointMidway: Bool) throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let local = rs.subset { $0.villageLocal }
        let global = rs.subset { !$0.villageLocal }
        #expect(Set(global.rules.map(\.name)) == ["payee-fund-concentration", "wage-without-attendance", "double-attendance"])
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let n = 4
        var config = StreamShard.Config()
        config.lateness = 10 * TimeUnit.minute
        func parts(_ p: Int32) -> [StreamShard.Partition] { EventType.topics.map { .init(topic: $0, partition: p) } }
        var shards = (0..<n).map { StreamShard(name: "p\($0)", ruleSet: local, tables: tables, partitions: parts(Int32($0)), config: config) }
        var globalShard = StreamShard(name: "global", ruleSet: global, tables: tables,
                                      partitions: (0..<n).flatMap { parts(Int32($0)) }, config: config)
        var alerts: [Alert] = []
        var dead: [DeadLetter] = []
        func collect(_ s: StreamShard) {
            let o = s.takeOutput()
            alerts += o.alerts
            dead += o.deadLetters
        }
        let lines = try Self.lines()
        var offsets: [StreamShard.Partition: Int64] = [:]
        var now: Instant = 0
        for (i, line) in lines.enumerated() {
            let p = StreamShard.Partition(topic: Self.topic(line), partition: Self.partition(line, of: n))
            let off = offsets[p, default: 0]
            offsets[p] = off + 1
            shards[Int(p.partition)].ingest(p, offset: off, value: line, now: now)
            // The global shard sees the same record; its dead letters duplicate the local ones and are dropped here.
            globalShard.ingest(p, offset: off, value: line, now: now)
            now += TimeUnit.millisecond
            if i % 200 == 0 {
                for s in shards { s.advance(now: now); collect(s) }
                globalShard.advance(now: now)
                alerts += globalShard.takeOutput().alerts
            }
            if checkpointMidway && i == lines.count / 2 {
                shards = try shards.map { old in
                    let fresh = StreamShard(name: old.name, ruleSet: local, tables: tables, partitions: [], config: config)
                    try fresh.restore(old.snapshot())
                    collect(old)
                    return fresh
                }
                let g = StreamShard(name: "global", ruleSet: global, tables: tables, partitions: [], config: config)
                try g.restore(globalShard.snapshot())
                alerts += globalShard.takeOutput().alerts
                globalShard = g
            }
        }
        for s in shards + [globalShard] {
            for p in s.offsets.keys { s.caughtUp(p, now: now) }
            s.drain()
        }
        for s in shards { collect(s) }
        alerts += globalShard.takeOutput().alerts
        let expected = try ConformanceTests.expectedAlerts()
        let got = Set(alerts.map(\.identity))
        #expect(got.subtracting(expected).isEmpty, "unexpected \(got.subtracting(expected).sorted())")
        #expect(expected.subtracting(got).isEmpty, "missing \(expected.subtracting(got).sorted())")
        #expect(dead.filter { $0.error.kind != .late }.count == 28)
        #expect(dead.filter { $0.error.kind == .late }.isEmpty, "the sample's disorder stays within 10 minutes per partition")
    }

    @Test func eventsOlderThanTheWatermarkAreLateDeadLetters() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let p = StreamShard.Partition(topic: "village.seal", partition: 0)
        let shard = StreamShard(name: "p0", ruleSet: rs, tables: ReferenceTables(), partitions: [p])
        func usage(_ id: String, _ t: String) -> [UInt8] {
            Array(#"{"event_id":"\#(id)","type":"seal.usage","occurred_at":"\#(t)","village":"330521101202","seal_id":"S","operator_id":"O","document_type":"x","application_id":"A"}"#.utf8)
        }
        shard.ingest(p, offset: 0, value: usage("a", "2023-05-01T12:00:00+08:00"), now: 0)
        shard.ingest(p, offset: 1, value: usage("b", "2023-05-01T13:00:00+08:00"), now: 1)
        shard.advance(now: 2)
        #expect(shard.watermark == (try Timestamp.parse("2023-05-01T12:50:00+08:00").get()))
        shard.ingest(p, offset: 2, value: usage("c", "2023-05-01T12:49:59+08:00"), now: 3)
        shard.ingest(p, offset: 3, value: usage("d", "2023-05-01T12:50:00+08:00"), now: 4)
        shard.ingest(p, offset: 4, value: usage("b", "2023-05-01T13:00:00+08:00"), now: 5)
        let out = shard.takeOutput()
        #expect(out.deadLetters.map(\.kind) == ["late"])
        #expect(out.deadLetters.first?.source == .kafka(topic: "village.seal", partition: 0, offset: 2))
        #expect(shard.counters.duplicates == 1)
        #expect(shard.offsets[p] == 5)
    }

    @Test func anIdlePartitionStopsHoldingTheWatermarkBack() throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let busy = StreamShard.Partition(topic: "village.seal", partition: 0)
        let quiet = StreamShard.Partition(topic: "village.lease", partition: 0)
        var config = StreamShard.Config()
        config.idleTimeout = 5 * TimeUnit.second
        let shard = StreamShard(name: "p0", ruleSet: rs, tables: ReferenceTables(), partitions: [busy, quiet], config: config)
        let e = #"{"event_id":"a","type":"seal.usage","occurred_at":"2023-05-01T12:00:00+08:00","village":"330521101202","seal_id":"S","operator_id":"O","document_type":"x"}"#
        shard.ingest(busy, offset: 0, value: Array(e.utf8), now: 0)
        shard.advance(now: 1)
        #expect(shard.watermark == .min, "the quiet partition has told nothing yet")
        shard.caughtUp(quiet, now: 1)
        shard.advance(now: 2 * TimeUnit.second)
        #expect(shard.watermark == .min, "caught up, but not quiet for long enough")
        shard.advance(now: 7 * TimeUnit.second)
        #expect(shard.watermark != .min)
    }
}

import DetectionRuntime
import EventModel
@testable import Pipeline
import RuleCompiler
import Testing

/// A worker evaluates a poll's shards side by side (`ShardWork.evaluate`); the
/// alerts and dead letters must be those of the shards evaluated one by one.
@Suite struct ShardWorkTests {
    @Test(arguments: [1_000, 100])
    func shardsEvaluatedSideBySideGiveTheReplayAlerts(pollSize: Int) throws {
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let local = rs.subset { $0.villageLocal }
        let global = rs.subset { !$0.villageLocal }
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let n = 4
        func parts(_ p: Int32) -> [StreamShard.Partition] { EventType.topics.map { .init(topic: $0, partition: p) } }
        let shards = (0..<n).map { StreamShard(name: "p\($0)", ruleSet: local, tables: tables, partitions: parts(Int32($0))) }
        let globalShard = StreamShard(name: "global", ruleSet: global, tables: tables, partitions: (0..<n).flatMap { parts(Int32($0)) })
        let all = shards + [globalShard]
        var alerts: [Alert] = []
        var dead: [DeadLetter] = []
        func collect() {
            for s in shards {
                let o = s.takeOutput()
                alerts += o.alerts
                dead += o.deadLetters
            }
            alerts += globalShard.takeOutput().alerts
        }
        let lines = try StreamShardTests.lines()
        var offsets: [StreamShard.Partition: Int64] = [:]
        var now: Instant = 0
        var polls = 0
        for poll in stride(from: 0, to: lines.count, by: pollSize) {
            var work = all.map { ShardWork(shard: $0, now: now) }
            for line in lines[poll..<min(poll + pollSize, lines.count)] {
                let p = StreamShard.Partition(topic: StreamShardTests.topic(line), partition: StreamShardTests.partition(line, of: n))
                let off = offsets[p, default: 0]
                offsets[p] = off + 1
                for i in [Int(p.partition), n] {
                    work[i].items.append(.record(p, offset: off, value: line))
                    work[i].records += 1
                }
            }
            now += TimeUnit.second
            // Behind a backlog the shards run on the pool while the worker polls again; it joins them.
            let running = ShardWork.evaluate(&work, advanceTo: now)
            #expect((running != nil) == (min(pollSize, lines.count - poll) >= ShardWork.parallelFrom))
            running?.wait()
            #expect(work.allSatisfy { $0.items.isEmpty })
            collect()
            polls += 1
        }
        // Every partition read to its end, then quiet past the idle timeout: the watermarks pass every event.
        var last = all.map { s in
            var w = ShardWork(shard: s, now: now)
            w.items = s.offsets.keys.map { .caughtUp($0) }
            return w
        }
        ShardWork.evaluate(&last, advanceTo: now + StreamShard.Config().idleTimeout)?.wait()
        for s in all { s.drain() }
        collect()
        #expect(polls > 1)
        // With 1,000 records a poll the shards ran on several threads.
        #expect((pollSize >= ShardWork.parallelFrom) == (pollSize == 1_000))
        let expected = try ConformanceTests.expectedAlerts()
        let got = Set(alerts.map(\.identity))
        #expect(got.subtracting(expected).isEmpty, "unexpected \(got.subtracting(expected).sorted())")
        #expect(expected.subtracting(got).isEmpty, "missing \(expected.subtracting(got).sorted())")
        #expect(alerts.count == got.count, "each alert once")
        #expect(dead.filter { $0.error.kind != .late }.count == 28)
        #expect(dead.filter { $0.error.kind == .late }.isEmpty)
        #expect(shards.map { $0.counters.records }.reduce(0, +) == lines.count)
    }

    /// Rebalance callbacks run inside a poll: a partition revoked and assigned again within
    /// one poll has a new shard, and the records routed before belong to the old one.
    @Test func aShardReplacedWithinAPollGetsOnlyTheRecordsAfter() {
        let p = StreamShard.Partition(topic: "village.seal", partition: 3)
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let old = StreamShard(name: "p3", ruleSet: rs, tables: ReferenceTables(), partitions: [p])
        let new = StreamShard(name: "p3", ruleSet: rs, tables: ReferenceTables(), partitions: [p])
        let other = StreamShard(name: "p1", ruleSet: rs, tables: ReferenceTables(), partitions: [])
        var r = PollRouting()
        r.add(.record(p, offset: 0, value: [1]), key: 3, shard: old, now: 0)
        r.add(.record(p, offset: 1, value: [2]), key: 3, shard: old, now: 0)
        r.add(.record(p, offset: 2, value: [3]), key: 1, shard: other, now: 0)
        r.add(.record(p, offset: 0, value: [1]), key: 3, shard: nil, now: 0)  // revoked: no shard
        r.add(.record(p, offset: 0, value: [1]), key: 3, shard: new, now: 0)  // assigned again
        r.add(.caughtUp(p), key: 3, shard: new, now: 0)
        #expect(r.take(3, for: old) == nil)
        let w = r.take(3, for: new)
        #expect(w?.records == 1)
        #expect(w?.items.count == 2)
        #expect(r.take(3, for: new) == nil, "taken once")
        #expect(r.take(1, for: other)?.records == 1)
    }

    /// Where a retention gap starts: after the records this poll routed to the
    /// partition's shard, which its own offsets do not count yet.
    @Test func theOffsetAfterARoutedPartitionCountsOnlyItsShard() {
        let p = StreamShard.Partition(topic: "village.seal", partition: 3)
        let q = StreamShard.Partition(topic: "village.labor", partition: 3)
        let rs = RuleLoader.compile(paths: [RepoPaths.rules]).ruleSet!
        let shard = StreamShard(name: "p3", ruleSet: rs, tables: ReferenceTables(), partitions: [p, q])
        let replaced = StreamShard(name: "p3", ruleSet: rs, tables: ReferenceTables(), partitions: [p, q])
        var r = PollRouting()
        #expect(r.offset(after: p, in: shard) == nil)
        r.add(.record(p, offset: 90, value: [1]), key: 3, shard: replaced, now: 0)
        r.add(.record(p, offset: 40, value: [1]), key: 3, shard: shard, now: 0)
        r.add(.record(q, offset: 70, value: [1]), key: 3, shard: shard, now: 0)
        r.add(.record(p, offset: 41, value: [1]), key: 3, shard: shard, now: 0)
        r.add(.caughtUp(p), key: 3, shard: shard, now: 0)
        #expect(r.offset(after: p, in: shard) == 42)
        #expect(r.offset(after: q, in: shard) == 71)
        #expect(r.offset(after: p, in: replaced) == 91)
    }
}

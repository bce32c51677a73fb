import AlertStore
import DetectionRuntime
import EventModel
import Foundation
import LedgerFiles
import Logging
@testable import Pipeline
import RuleCompiler
import TestSupport
import Testing

/// The worker's periodic checkpoints are compressed and written on a thread of
/// their own (`CheckpointWriter`): a finished write is committed exactly as the
/// worker's own would be, and a failed one hands its alerts back.
@Suite("Checkpoint writer")
struct CheckpointWriterTests {
    static let logger = Logger(label: "test.checkpoint-writer")

    /// A shard with some state: the conformance ledger's first events.
    static func shard(events: Int) throws -> StreamShard {
        let rs = try #require(RuleLoader.compile(paths: [StreamingTests.root + "/Rules"]).ruleSet)
        let tables = try ReferenceLoader.load(directory: StreamingTests.conformance)
        let shard = StreamShard(name: "p0", ruleSet: rs, tables: tables, partitions: [.init(topic: "finance.payment", partition: 0)])
        try feed(shard, from: 0, to: events)
        return shard
    }

    /// Hands the shard the conformance ledger's lines `from..<to` (as offsets of one partition), and moves its watermark.
    static func feed(_ shard: StreamShard, from: Int, to: Int) throws {
        var line = 0
        try LedgerReader(path: StreamingTests.conformance + "/events.jsonl.gz").forEachLine { bytes, _ in
            if line >= from { shard.ingest(.init(topic: "finance.payment", partition: 0), offset: Int64(line), value: Array(bytes), now: 0) }
            line += 1
            return line < to
        }
        shard.advance(now: 0)
    }

    @Test func aWriteInFlightLandsWhatTheWorkerTook() async throws {
        try await TestPostgres.withDatabase { url in
            let c = try PostgresConnection(url)
            defer { c.close() }
            _ = try Migrator().migrate(c)
            let shard = try Self.shard(events: 2_000)
            let then = shard.snapshot(), offsetsThen = shard.offsets
            let job = CheckpointWriter.Job(alerts: PostgresFixtures.alerts(0..<3), deadLetters: [], shards: [ShardCheckpoint(shard)])
            let writer = CheckpointWriter(store: CheckpointStore(group: "g"), connection: ReconnectingConnection(
                url: url, purpose: "test", logger: Self.logger, metrics: WorkerMetrics(), stopping: { false }))
            #expect(!writer.busy)
            writer.start(job)
            #expect(writer.busy)
            // The worker goes on while the checkpoint is written.
            try Self.feed(shard, from: 2_000, to: 4_000)
            let done = try #require(writer.take(wait: true))
            #expect(done.error == nil)
            #expect(!writer.busy && writer.take(wait: false) == nil)
            // What was written is what the worker took: the same state and offsets load back.
            let saved = try #require(try CheckpointStore(group: "g").load(c, shard: "p0"))
            #expect(saved.state == then)
            #expect(saved.offsets == offsetsThen)
            #expect(shard.offsets != offsetsThen && shard.snapshot() != then, "the shard went on")
            #expect(try c.execute("SELECT count(*) FROM alerts").rows.first?[0] == "3")
            #expect(try c.execute("SELECT events FROM ingest_checkpoints WHERE group_id = 'g'").rows.first?[0] == "\(job.shards[0].events)")
            // A second checkpoint of the same shard counts only the events since the first.
            let second = ShardCheckpoint(shard).events
            #expect(second > 0 && second == shard.counters.events - job.shards[0].events)
            #expect(ShardCheckpoint(shard).events == 0)
        }
    }

    @Test func aFailedWriteGivesItsAlertsBack() throws {
        // Nothing listens on port 1: every attempt fails; a stopping worker gives up.
        let stop = StopFlag()
        let writer = CheckpointWriter(store: CheckpointStore(group: "g"), connection: ReconnectingConnection(
            url: "postgresql://127.0.0.1:1/none?connect_timeout=1", purpose: "test", logger: Self.logger, metrics: WorkerMetrics(),
            stopping: { stop.isSet }))
        let alerts = PostgresFixtures.alerts(0..<2)
        writer.start(.init(alerts: alerts, deadLetters: [], shards: [ShardCheckpoint(try Self.shard(events: 50))]))
        stop.set()
        let done = try #require(writer.take(wait: true))
        #expect(done.error != nil)
        #expect(done.job.alerts == alerts)
        #expect(!writer.busy)
    }
}

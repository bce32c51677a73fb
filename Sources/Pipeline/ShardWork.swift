import DetectionRuntime
import EventModel
import Foundation

/// What one poll brought one shard, and the shard's turn to evaluate it.
///
/// Shards are independent (each has its own decoder, reorder buffer and
/// engine), so the worker evaluates a poll's shards side by side: a worker
/// that holds several partitions uses more than one core, and each shard
/// still sees its partitions' records in the order Kafka gave them.
struct ShardWork {
    enum Item {
        case record(StreamShard.Partition, offset: Int64, value: [UInt8])
        case caughtUp(StreamShard.Partition)
    }

    let shard: StreamShard
    /// The worker's listening clock when the records were polled.
    var now: Instant
    var items: [Item] = []
    var records = 0

    init(shard: StreamShard, now: Instant) {
        self.shard = shard
        self.now = now
    }

    /// Takes the records in, then moves the watermark by the clock `advanceTo`.
    mutating func run(advanceTo: Instant) {
        for i in items.indices {
            // Swapped out, not copied: a copy would retain and release each record's bytes.
            var item = Item.caughtUp(StreamShard.Partition(topic: "", partition: 0))
            swap(&item, &items[i])
            switch consume item {
            case .record(let p, let offset, let value): shard.ingest(p, offset: offset, value: value, now: now)
            case .caughtUp(let p): shard.caughtUp(p, now: now)
            }
        }
        items.removeAll()
        shard.advance(now: advanceTo)
    }

    /// Fewer records than this in a poll are evaluated on the worker's thread
    /// alone: handing a few records to another thread costs more than it saves.
    static let parallelFrom = 512

    /// Runs every shard's work; on the machine's cores when the poll brought enough records.
    static func runAll(_ work: inout [ShardWork], advanceTo: Instant) {
        let records = work.reduce(0) { $0 + $1.records }
        guard work.count > 1, records >= parallelFrom else {
            for i in work.indices { work[i].run(advanceTo: advanceTo) }
            return
        }
        work.withUnsafeMutableBufferPointer { buf in
            // Each index is taken by exactly one thread; `concurrentPerform` returns when all are done.
            nonisolated(unsafe) let all = buf
            DispatchQueue.concurrentPerform(iterations: all.count) { i in all[i].run(advanceTo: advanceTo) }
        }
    }
}

import DetectionRuntime
import EventModel
import Foundation

/// What one poll brought one shard, and the shard's turn to evaluate it.
///
/// Shards are independent (each has its own decoder, reorder buffer and
/// engine), so the worker evaluates a poll's shards side by side
/// (`evaluate`): a worker that holds several partitions uses more than one
/// core, and each shard still sees its partitions' records in the order
/// Kafka gave them.
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
            // The bytes of the record after next were copied on the worker's thread (another
            // core): fetch them while this one is decoded and evaluated.
            if i + 2 < items.count, case .record(_, _, let ahead) = items[i + 2] { Prefetch.bytes(of: ahead) }
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
    /// alone (a caught-up worker's polls bring a few records; waking pool threads
    /// for them buys nothing). Chosen, not tuned: at full speed polls bring ≈ 18,000.
    static let parallelFrom = 512

    /// Runs a poll's work: on the worker's thread when it is small (nil: done when this
    /// returns), else on the pool's threads while the worker polls again (the caller joins
    /// the returned shards before it touches any of them). `batch` is left with no items.
    static func evaluate(_ batch: inout [ShardWork], advanceTo: Instant) -> RunningShards? {
        let records = batch.reduce(0) { $0 + $1.records }
        guard batch.count > 1, records >= parallelFrom else {
            for i in batch.indices { batch[i].run(advanceTo: advanceTo) }
            return nil
        }
        defer { batch = [] }
        return RunningShards(batch, advanceTo: advanceTo)
    }
}

/// Shards evaluating a poll's records on the pool's threads while the worker polls again.
final class RunningShards: @unchecked Sendable {
    // Each element is touched by exactly one job until `wait()` returns; then only by the caller.
    private let work: UnsafeMutableBufferPointer<ShardWork>
    private let group = DispatchGroup()
    private var joined = false

    init(_ batch: [ShardWork], advanceTo: Instant) {
        work = .allocate(capacity: batch.count)
        _ = work.initialize(from: batch)
        nonisolated(unsafe) let all = work
        for i in all.indices {
            DispatchQueue.global().async(group: group) { all[i].run(advanceTo: advanceTo) }
        }
    }

    /// Waits until every shard's work is done.
    func wait() {
        guard !joined else { return }
        group.wait()
        joined = true
        work.deinitialize()
        work.deallocate()
    }

    deinit { wait() }
}

/// A poll's records and notices sorted by the shard that takes them: keyed by
/// partition number, -1 for the cross-village shard.
struct PollRouting {
    private(set) var work: [ShardWork] = []
    private var index: [Int32: Int] = [:]
    /// Records of one partition tend to come in runs.
    private var last: (key: Int32, at: Int) = (.min, 0)
    /// Records and bytes per topic (for metrics), in a list: a poll reads a few topics.
    private(set) var topics: [(topic: String, records: Int, bytes: Int)] = []
    private(set) var records = 0

    /// Adds a record or notice for `shard`, the shard that holds `key` now. Rebalance callbacks
    /// run inside the poll: a partition revoked and assigned again within one poll has a new
    /// shard (restored from the checkpoint taken at the revoke), and the records that came
    /// before belong to the old one, whose work is never run (their offsets were not committed;
    /// Kafka gives them again from the assigned offset).
    mutating func add(_ item: consuming ShardWork.Item, key: Int32, shard: StreamShard?, now: Instant) {
        guard let shard else { return }
        let at: Int
        if last.key == key && work[last.at].shard === shard {
            at = last.at
        } else if let i = index[key], work[i].shard === shard {
            at = i
        } else {
            at = work.count
            work.append(ShardWork(shard: shard, now: now))
            index[key] = at
        }
        last = (key, at)
        if case .record = item { work[at].records += 1 }
        work[at].items.append(item)
    }

    /// Counts a record of `topic` for the metrics.
    mutating func count(topic: String, bytes: Int) {
        records += 1
        if let i = topics.firstIndex(where: { $0.topic == topic }) {
            topics[i].records += 1
            topics[i].bytes += bytes
        } else {
            topics.append((topic, 1, bytes))
        }
    }

    /// The offset after the last record of `p` this poll has routed to `shard` so
    /// far, if any (not evaluated yet: the shard's own offsets do not count them).
    func offset(after p: StreamShard.Partition, in shard: StreamShard) -> Int64? {
        var last: Int64? = nil
        for w in work where w.shard === shard {
            for case .record(let q, let offset, _) in w.items where q == p && offset >= (last ?? offset) { last = offset }
        }
        return last.map { $0 + 1 }
    }

    /// The work of `shard`, under `key`, taken out (nil when the poll brought it nothing).
    mutating func take(_ key: Int32, for shard: StreamShard) -> ShardWork? {
        guard let i = index[key], work[i].shard === shard else { return nil }
        index[key] = nil
        var w = ShardWork(shard: work[i].shard, now: work[i].now)
        swap(&w, &work[i])
        return w
    }
}

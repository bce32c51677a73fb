import AlertStore
import DetectionRuntime
import EventModel

/// A shard's checkpoint as taken on the worker thread (a consistent cut of
/// its state and offsets), to be compressed and written later from any thread.
struct ShardCheckpoint: Sendable {
    let shard: String
    /// The shard's state, written out where the checkpoint is written (`StreamShard.Image`).
    let image: StreamShard.Image
    let watermark: Instant
    /// Events the shard took in since its previous checkpoint was taken.
    let events: Int
    let offsets: [StreamShard.Partition: Int64]

    /// Takes the shard's checkpoint now: a copy of its state (the pause a
    /// checkpoint costs the worker), written out later on the writer's thread.
    init(_ s: StreamShard) {
        shard = s.name
        image = s.image(copying: true)
        watermark = s.watermark
        events = s.takeEventsSinceCheckpoint()
        offsets = s.offsets
    }
}

/// Reads and writes shard checkpoints (`ingest_checkpoints`, `ingest_offsets`).
struct CheckpointStore {
    let group: String

    /// The saved state of a shard and its next offsets; nil when none.
    func load(_ conn: PostgresConnection, shard: String) throws -> (state: [UInt8], offsets: [StreamShard.Partition: Int64])? {
        guard let compressed = try conn.queryBytes("SELECT state FROM ingest_checkpoints WHERE group_id = $1 AND shard = $2",
                                                   params: [group, shard]) else { return nil }
        let state = try CheckpointCompression.decompress(compressed)
        var offsets: [StreamShard.Partition: Int64] = [:]
        let o = try conn.execute("SELECT topic, kafka_partition, next_offset FROM ingest_offsets WHERE group_id = $1 AND shard = $2",
                                 params: [group, shard])
        for r in o.rows {
            guard let t = r[0], let p = r[1].flatMap({ Int32($0) }), let n = r[2].flatMap({ Int64($0) }) else { continue }
            offsets[StreamShard.Partition(topic: t, partition: p)] = n
        }
        return (state, offsets)
    }

    /// Saves a shard's state (`compressed`, from `compress`) and offsets (call inside the caller's transaction).
    func save(_ conn: PostgresConnection, _ cp: ShardCheckpoint, compressed state: [UInt8]) throws {
        let wm: String? = cp.watermark == .min ? nil : PostgresText.timestamp(cp.watermark)
        _ = try conn.execute("""
            INSERT INTO ingest_checkpoints (group_id, shard, state, watermark, events, updated_at)
            VALUES ($1, $2, $5::bytea, $3::timestamptz, $4::bigint, now())
            ON CONFLICT (group_id, shard) DO UPDATE
              SET state = EXCLUDED.state, watermark = EXCLUDED.watermark, events = ingest_checkpoints.events + EXCLUDED.events, updated_at = now()
            """, params: [group, cp.shard, wm, String(cp.events)], bytes: state)
        for (p, next) in cp.offsets {
            _ = try conn.execute("""
                INSERT INTO ingest_offsets (group_id, shard, topic, kafka_partition, next_offset, updated_at)
                VALUES ($1, $2, $3, $4::integer, $5::bigint, now())
                ON CONFLICT (group_id, shard, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                """, params: [group, cp.shard, p.topic, String(p.partition), String(next)])
        }
    }

    /// The shards' states and offsets in one transaction (their alerts are written before, `CheckpointWriter`).
    func write(_ conn: PostgresConnection, shards: [(ShardCheckpoint, compressed: [UInt8])]) throws {
        try conn.transaction { t in
            for (s, state) in shards { try save(t, s, compressed: state) }
        }
    }

    /// A shard's state, serialised and compressed for `save`.
    static func compress(_ cp: ShardCheckpoint) -> [UInt8] { CheckpointCompression.compress(cp.image.bytes()) }
}

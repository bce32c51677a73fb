import EventModel
import Foundation

/// What the ingest worker counts, readable from any thread, rendered in
/// the Prometheus text format for `/metrics`.
public final class WorkerMetrics: @unchecked Sendable {
    // Every field is only touched under `lock`.
    private let lock = NSLock()
    private var recordsByTopic: [String: Int] = [:]
    private var bytesByTopic: [String: Int] = [:]
    private var alertsByRule: [String: Int] = [:]
    private var deadByKind: [String: Int] = [:]
    private var lag: [String: Int64] = [:]
    private var watermarkDelay: [String: Int64] = [:]
    private var commitSeconds: [Double] = []
    private var commits = 0
    private var checkpoints = 0
    private var retries = 0
    private var gaps = 0
    private let started = Date()

    public struct Snapshot: Sendable {
        public var events: Int
        public var alerts: Int
        public var deadLetters: Int
        public var checkpoints: Int
        public var gaps: Int
    }

    func record(topic: String, count: Int = 1, bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        recordsByTopic[topic, default: 0] += count
        bytesByTopic[topic, default: 0] += bytes
    }
    func alerts(_ a: [Alert]) {
        lock.lock(); defer { lock.unlock() }
        for x in a { alertsByRule[x.ruleID, default: 0] += 1 }
    }
    func deadLetters(_ d: [DeadLetter]) {
        lock.lock(); defer { lock.unlock() }
        for x in d { deadByKind[x.kind, default: 0] += 1 }
    }
    func setLag(_ partition: String, _ value: Int64, highWatermark: Int64) {
        lock.lock(); defer { lock.unlock() }
        lag[partition] = value
    }
    func setWatermarkDelay(_ shard: String, _ micros: Int64) {
        lock.lock(); defer { lock.unlock() }
        watermarkDelay[shard] = micros
    }
    func commit(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        commits += 1
        commitSeconds.append(seconds)
        if commitSeconds.count > 1024 { commitSeconds.removeFirst(512) }
    }
    func checkpointed() { lock.lock(); checkpoints += 1; lock.unlock() }
    func databaseRetry() { lock.lock(); retries += 1; lock.unlock() }
    func gap() { lock.lock(); gaps += 1; lock.unlock() }

    public func snapshot() -> Snapshot {
        lock.lock(); defer { lock.unlock() }
        return Snapshot(events: recordsByTopic.values.reduce(0, +), alerts: alertsByRule.values.reduce(0, +),
                        deadLetters: deadByKind.values.reduce(0, +), checkpoints: checkpoints, gaps: gaps)
    }

    /// The Prometheus text exposition.
    public func prometheusText() -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        family("qianliyan_records_total", "counter", "Kafka records read, per topic.")
        for (t, n) in recordsByTopic.sorted(by: { $0.key < $1.key }) { out += "qianliyan_records_total{topic=\"\(t)\"} \(n)\n" }
        family("qianliyan_record_bytes_total", "counter", "Bytes of Kafka records read, per topic.")
        for (t, n) in bytesByTopic.sorted(by: { $0.key < $1.key }) { out += "qianliyan_record_bytes_total{topic=\"\(t)\"} \(n)\n" }
        family("qianliyan_alerts_total", "counter", "Alerts raised, per rule.")
        for (r, n) in alertsByRule.sorted(by: { $0.key < $1.key }) { out += "qianliyan_alerts_total{rule=\"\(r)\"} \(n)\n" }
        family("qianliyan_dead_letters_total", "counter", "Records sent to the dead-letter store, per kind.")
        for (k, n) in deadByKind.sorted(by: { $0.key < $1.key }) { out += "qianliyan_dead_letters_total{kind=\"\(k)\"} \(n)\n" }
        family("qianliyan_consumer_lag", "gauge", "Messages behind the partition end (0 when caught up).")
        for (p, n) in lag.sorted(by: { $0.key < $1.key }) { out += "qianliyan_consumer_lag{partition=\"\(p)\"} \(n)\n" }
        family("qianliyan_watermark_delay_seconds", "gauge", "How far the watermark trails the newest event time, per shard.")
        for (s, d) in watermarkDelay.sorted(by: { $0.key < $1.key }) { out += "qianliyan_watermark_delay_seconds{shard=\"\(s)\"} \(Double(d) / 1e6)\n" }
        family("qianliyan_commits_total", "counter", "PostgreSQL commits (alert flushes and checkpoints).")
        out += "qianliyan_commits_total \(commits)\n"
        family("qianliyan_checkpoints_total", "counter", "Checkpoints (state and offsets) committed.")
        out += "qianliyan_checkpoints_total \(checkpoints)\n"
        family("qianliyan_commit_latency_seconds", "summary", "Latency of PostgreSQL commits.")
        let sorted = commitSeconds.sorted()
        for q in [0.5, 0.99] where !sorted.isEmpty {
            out += "qianliyan_commit_latency_seconds{quantile=\"\(q)\"} \(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))])\n"
        }
        out += "qianliyan_commit_latency_seconds_count \(sorted.count)\n"
        family("qianliyan_database_retries_total", "counter", "Retries while PostgreSQL was unavailable.")
        out += "qianliyan_database_retries_total \(retries)\n"
        family("qianliyan_offset_gaps_total", "counter", "Partitions found with messages deleted before they were read.")
        out += "qianliyan_offset_gaps_total \(gaps)\n"
        family("qianliyan_uptime_seconds", "gauge", "Seconds since the worker started.")
        out += "qianliyan_uptime_seconds \(Int(Date().timeIntervalSince(started)))\n"
        return out
    }
}

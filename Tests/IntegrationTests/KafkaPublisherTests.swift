import CZlib
import Foundation
@testable import KafkaIngest
import Testing

/// `qianliyan produce`'s engine: light parsing, routing, disorder, and publishing a ledger.
@Suite("Ledger publishing into Kafka")
struct KafkaPublisherTests {
    typealias Support = KafkaTestSupport

    private static func scan(_ line: String) -> (type: String?, village: String?, occurredAt: String?) {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { raw in
            let fields = LedgerEventFields.scan(raw)
            func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: raw[$0], as: UTF8.self) } }
            return (text(fields.type), text(fields.village), text(fields.occurredAt))
        }
    }

    @Test("the light scan reads top-level string fields only")
    func lightScan() {
        let plain = Self.scan(#"{"event_id":"e1","type":"seal.usage","occurred_at":"2022-03-14T10:22:05+08:00","village":"110101001001"}"#)
        #expect(plain.type == "seal.usage")
        #expect(plain.village == "110101001001")
        #expect(plain.occurredAt == "2022-03-14T10:22:05+08:00")

        let tricky = Self.scan(#"{ "purpose" : "type", "nested": {"type":"lease.contract","village":"999"}, "list":["type","village"], "amount": 12.5, "type" : "labor.wage", "note":"a \"village\": \"x\"", "village":"110101001002"}"#)
        #expect(tricky.type == "labor.wage")
        #expect(tricky.village == "110101001002")
        #expect(tricky.occurredAt == nil)

        #expect(Self.scan(#"{"type": 7, "village": null}"#).type == nil)
        #expect(Self.scan(#"{"type": 7, "village": null}"#).village == nil)
        #expect(Self.scan("not json at all").type == nil)
        #expect(Self.scan(#"{"type":"finance.pay"#).type == nil)
        #expect(Self.scan(#"["type","finance.payment"]"#).type == nil)
    }

    @Test("RFC 3339 timestamps become epoch milliseconds")
    func timestamps() {
        func ms(_ text: String) -> Int64? {
            Array(text.utf8).withUnsafeBytes { LedgerEventFields.epochMilliseconds($0) }
        }
        #expect(ms("1970-01-01T00:00:00Z") == 0)
        #expect(ms("2022-03-14T10:22:05+08:00") == 1_647_224_525_000)
        #expect(ms("2022-03-14T02:22:05.250Z") == 1_647_224_525_250)
        #expect(ms("2000-02-29T23:59:59-01:30") == 951_874_199_000)
        #expect(ms("2022-13-01T00:00:00Z") == nil)
        #expect(ms("2022-03-14 10:22:05") == nil)
    }

    @Test("the disorder buffer keeps disorder within its bound, deterministically")
    func disorderIsBounded() {
        func shuffled(seed: UInt64, maxDelay: Int64) -> [Int64] {
            var buffer = DisorderBuffer<Int64>(maxDelayMilliseconds: maxDelay, seed: seed)
            var out: [Int64] = []
            for time in stride(from: Int64(0), to: 3_600_000, by: 7_000) {  // an event every 7 s for an hour
                buffer.insert(time, eventTime: time, releasing: &out)
            }
            buffer.drain(into: &out)
            return out
        }
        let input = Array(stride(from: Int64(0), to: 3_600_000, by: 7_000))
        #expect(shuffled(seed: 1, maxDelay: 0) == input)
        let a = shuffled(seed: 42, maxDelay: 300_000)
        #expect(a == shuffled(seed: 42, maxDelay: 300_000))
        #expect(a != shuffled(seed: 43, maxDelay: 300_000))
        #expect(a.sorted() == input, "nothing lost or doubled")
        #expect(a != input, "some disorder")
        // Every event comes after all events more than 5 minutes older than it.
        var maxSeen: Int64 = 0
        for time in a {
            #expect(maxSeen - time < 300_000)
            maxSeen = max(maxSeen, time)
        }
    }

    private static func writeLedger(_ lines: [String], gzip: Bool) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("qianliyan-kafka-\(UUID().uuidString).jsonl\(gzip ? ".gz" : "")").path
        let text = lines.joined(separator: "\n") + "\n"
        if gzip {
            let file = try #require(gzopen(path, "wb"))
            let bytes = Array(text.utf8)
            #expect(gzwrite(file, bytes, UInt32(bytes.count)) == Int32(bytes.count))
            gzclose(file)
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    @Test("a ledger (plain + gzip) lands in the topics of its types, keyed by village, poison included", arguments: [false, true])
    func publishLedger(gzip: Bool) async throws {
        try await Support.onOwnThread {
            let families = ["finance.payment", "procurement.quote", "labor.wage", "lease.rent_due", "seal.usage"]
            var lines: [String] = []
            for index in 0..<100 {
                let village = String(110_101_001_000 + index % 9)
                lines.append(#"{"event_id":"e\#(index)","type":"\#(families[index % 5])","occurred_at":"2022-03-14T10:\#(String(format: "%02d", index / 2)):00+08:00","village":"\#(village)","n":\#(index)}"#)
            }
            lines.insert("", at: 10)
            lines.insert("   ", at: 20)
            lines.append("{broken json")
            lines.append(#"{"type":"bogus.kind","village":"110101001003"}"#)
            let path = try Self.writeLedger(lines, gzip: gzip)
            defer { try? FileManager.default.removeItem(atPath: path) }

            let cluster = try Support.cluster()
            let producer = try Support.producer(cluster)
            let publisher = LedgerPublisher(producer: producer, options: .init(shuffle: .seconds(600), seed: 9))
            let result = try publisher.publish(files: [path])
            #expect(result.published == 102)
            #expect(result.delivered == 102)
            #expect(result.blank == 2)
            #expect(result.unrouted == 2)
            #expect(result.unkeyed == 1)
            #expect(result.perTopic == ["village.finance": 22, "village.procurement": 20, "village.labor": 20, "village.lease": 20, "village.seal": 20])

            let consumer = try Support.consumer(cluster, group: "publisher")
            var drained = Support.Drained()
            #expect(Support.drain(consumer, into: &drained, expectedEnd: try Support.highWatermarks(consumer)))
            consumer.close()
            #expect(drained.records.count == 102)
            let values = Set(drained.records.map { String(decoding: $0.value, as: UTF8.self) })
            #expect(values == Set(lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }), "bytes unchanged, each once")
            for record in drained.records {
                let text = String(decoding: record.value, as: UTF8.self)
                if let family = families.first(where: { text.contains("\"\($0)\"") }) {
                    #expect(record.topic == "village." + family.prefix { $0 != "." })
                    #expect(record.key.map { String(decoding: $0, as: UTF8.self) } == Self.scan(text).village)
                } else {
                    #expect(record.topic == "village.finance")
                }
            }
            // One village, one partition number, in every topic.
            let partitionsByVillage = Dictionary(grouping: drained.records.filter { $0.key != nil }, by: { $0.key! }).mapValues { Set($0.map(\.partition)) }
            #expect(partitionsByVillage.values.allSatisfy { $0.count == 1 })
        }
    }

    /// The publisher reads ledgers as replays do (`LedgerReader`): every
    /// member of a multi-member gzip file (`cat a.gz b.gz`), and a file cut
    /// short is an error, not a silent end.
    @Test("a multi-member gzip ledger is published whole; one cut short is an error")
    func gzipMembers() async throws {
        try await Support.onOwnThread {
            let first = try Self.writeLedger((0..<30).map { #"{"type":"seal.usage","village":"11010100100\#($0 % 10)","n":\#($0)}"# }, gzip: true)
            let second = try Self.writeLedger((30..<50).map { #"{"type":"labor.wage","village":"11010100100\#($0 % 10)","n":\#($0)}"# }, gzip: true)
            let joined = first + ".joined.gz", cut = first + ".cut.gz"
            defer { for p in [first, second, joined, cut] { try? FileManager.default.removeItem(atPath: p) } }
            let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
            try (a + b).write(to: URL(fileURLWithPath: joined))
            try (a + b.prefix(b.count / 2)).write(to: URL(fileURLWithPath: cut))
            let cluster = try Support.cluster()
            let whole = try LedgerPublisher(producer: try Support.producer(cluster)).publish(files: [joined])
            #expect(whole.published == 50)
            #expect(whole.perTopic == ["village.seal": 30, "village.labor": 20])
            #expect(throws: KafkaError.self) { _ = try LedgerPublisher(producer: try Support.producer(cluster)).publish(files: [cut]) }
        }
    }

    @Test("--rate throttles publishing")
    func rateLimit() async throws {
        try await Support.onOwnThread {
            let path = try Self.writeLedger((0..<40).map { #"{"type":"seal.usage","village":"11010100100\#($0 % 10)"}"# }, gzip: false)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let cluster = try Support.cluster()
            let publisher = LedgerPublisher(producer: try Support.producer(cluster), options: .init(rate: 100))
            let start = ContinuousClock.now
            let result = try publisher.publish(files: [path])
            let elapsed = ContinuousClock.now - start
            #expect(result.delivered == 40)
            #expect(elapsed >= .milliseconds(390), "40 events at 100/s take ~0.4 s")
            #expect(elapsed < .seconds(5))
        }
    }
}

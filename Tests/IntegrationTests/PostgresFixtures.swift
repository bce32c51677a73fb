import AlertStore
import EventModel

/// Alerts and dead letters for the Postgres tests.
enum PostgresFixtures {
    static let baseTime: Instant = 1_709_600_000_123_456  // 2024-03-05T00:53:20.123456Z

    static let villages: [VillageCode] = [
        VillageCode(value: 330_521_101_202), VillageCode(value: 330_521_101_203),
        VillageCode(value: 330_521_102_001), VillageCode(value: 110_101_001_001),
    ]

    static func alert(_ i: Int, rule: String = "split-payments", village: VillageCode? = nil,
                      severity: Severity = .high, summaryEN: String? = nil) -> Alert {
        let v = village ?? villages[i % villages.count]
        let t = baseTime + Int64(i) * TimeUnit.minute + Int64(i % 997)
        let ids = ["E\(i)-a", "E\(i)-b", "E\(i)"]
        let evidence = ids.enumerated().map { k, id in
            Array(#"{"event_id":"\#(id)","type":"payment","village":"\#(v)","amount":"4650.00","payee_name":"王\#(k)\u0000 \"q\" \\ \t","n":\#(i)}"#.utf8)
        }
        return Alert(
            ruleID: rule, ruleVersion: 2, severity: severity, anchorEventID: "E\(i)", anchorTime: t, village: v,
            key: "village=\(v) payee_id=P\(i % 50)", evidenceEventIDs: ids,
            firstEvidenceAt: t - 2 * TimeUnit.day, lastEvidenceAt: t,
            figures: [Figure("count", .integer(3)), Figure("total", .money(fen: 1_395_000)),
                      Figure("window", .duration(7 * TimeUnit.day)), Figure("limit", .money(fen: 1_000_000))],
            summaryZH: "村\(v)在7天内向同一收款人拆分支付3笔，共¥13,950.00",
            summaryEN: summaryEN ?? "3 payments to one payee in 7 days, ¥13,950.00 in all (alert \(i))",
            evidence: evidence)
    }

    static func alerts(_ range: Range<Int>, rule: String = "split-payments") -> [Alert] {
        range.map { alert($0, rule: rule) }
    }

    static func deadLetter(_ i: Int, file: String = "ledger-2024-03.jsonl") -> DeadLetter {
        DeadLetter(source: .file(path: file, line: i + 1),
                   raw: Array(#"{"event_id":"bad\#(i)","amount":"-1"}"#.utf8) + [0x00, 0xFF, 0x0A],
                   error: DecodeError(.badAmount, field: "amount", "negative amount"), eventID: "bad\(i)")
    }
}

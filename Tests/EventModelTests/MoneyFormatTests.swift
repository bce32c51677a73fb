import EventModel
import Testing

/// `Money.formatYuan`, the money figure of alert summaries: `¥18,600.00`.
@Suite struct MoneyFormatTests {
    /// The rendering spelled out the slow, obvious way.
    static func expected(_ fen: Int64) -> String {
        let a = fen.magnitude
        let yuan = String(a / 100)
        var grouped = ""
        for (i, c) in yuan.enumerated() {
            if i > 0 && (yuan.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        let f = a % 100
        return (fen < 0 ? "-" : "") + "\u{A5}" + grouped + "." + (f < 10 ? "0" : "") + String(f)
    }

    @Test func examples() {
        #expect(Money.formatYuan(fen: 0) == "¥0.00")
        #expect(Money.formatYuan(fen: 5) == "¥0.05")
        #expect(Money.formatYuan(fen: 99_999) == "¥999.99")
        #expect(Money.formatYuan(fen: 100_000) == "¥1,000.00")
        #expect(Money.formatYuan(fen: 1_860_000) == "¥18,600.00")
        #expect(Money.formatYuan(fen: -123_456_789) == "-¥1,234,567.89")
        #expect(Money.formatYuan(fen: 1_000_000_000_000) == "¥10,000,000,000.00")
    }

    @Test func everyDigitCountAndTheExtremes() {
        var values: [Int64] = [Int64.max, Int64.min, Int64.min + 1, 1, -1, 100, -100, 10_000_000_00]
        var p: Int64 = 1
        for _ in 0..<18 {
            values += [p, p - 1, p + 1, -p, 9 * p + 7]
            p *= 10
        }
        for v in values { #expect(Money.formatYuan(fen: v) == Self.expected(v), "\(v)") }
    }
}

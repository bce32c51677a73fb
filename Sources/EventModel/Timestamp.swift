/// Strict RFC 3339 timestamps and ISO calendar dates.
public enum Timestamp {
    public struct ParseError: Error, Sendable { public let detail: String }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, upper-case `T` and `Z`,
    /// an offset always present, no 24:00 and no leap second. Fractions are
    /// kept to the microsecond (further digits are truncated).
    public static func parse(_ b: [UInt8]) -> Result<Instant, ParseError> {
        b.withUnsafeBufferPointer { parse($0) }
    }

    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<Instant, ParseError> {
        func err(_ s: String) -> Result<Instant, ParseError> { .failure(ParseError(detail: s)) }
        let n = b.count
        guard n >= 20 else { return err("not an RFC 3339 timestamp with offset") }
        func d2(_ i: Int) -> Int? {
            let a = b[i], c = b[i + 1]
            guard a >= 48 && a <= 57 && c >= 48 && c <= 57 else { return nil }
            return Int(a - 48) * 10 + Int(c - 48)
        }
        guard let y1 = d2(0), let y2 = d2(2), b[4] == UInt8(ascii: "-"), let mo = d2(5), b[7] == UInt8(ascii: "-"),
              let d = d2(8) else { return err("malformed date part") }
        guard b[10] == UInt8(ascii: "T") else { return err("date and time must be separated by upper-case 'T'") }
        guard let h = d2(11), b[13] == UInt8(ascii: ":"), let mi = d2(14), b[16] == UInt8(ascii: ":"), let s = d2(17) else {
            return err("malformed time part")
        }
        let y = y1 * 100 + y2
        guard y >= 1 else { return err("year 0000 is not allowed") }
        guard mo >= 1 && mo <= 12 else { return err("month out of range") }
        guard d >= 1 && d <= CivilDate.daysIn(year: y, month: mo) else { return err("day out of range") }
        guard h <= 23 else { return err("hour out of range (no 24:00)") }
        guard mi <= 59 else { return err("minute out of range") }
        guard s <= 59 else { return err("second out of range (no leap seconds)") }
        var i = 19
        var micros: Int64 = 0
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            var k = 0
            while i < n && b[i] >= 48 && b[i] <= 57 {
                if k < 6 { micros = micros * 10 + Int64(b[i] - 48); k += 1 }
                i += 1
            }
            guard i > start else { return err("empty fraction of a second") }
            while k < 6 { micros *= 10; k += 1 }
        }
        guard i < n else { return err("offset missing (Z or ±hh:mm required)") }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == n, let oh = d2(i + 1), b[i + 3] == UInt8(ascii: ":"), let om = d2(i + 4) else {
                return err("malformed offset")
            }
            guard oh <= 23 && om <= 59 else { return err("offset out of range") }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return err(b[i] == UInt8(ascii: "z") ? "the UTC designator must be upper-case 'Z'" : "offset missing (Z or ±hh:mm required)")
        }
        guard i == n else { return err("unexpected characters after the offset") }
        let days = CivilDate.days(year: y, month: mo, day: d)
        let secs = days * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        return .success(secs * TimeUnit.second + micros)
    }

    public static func parse(_ s: String) -> Result<Instant, ParseError> { parse(Array(s.utf8)) }

    /// `YYYY-MM-DD` → day number, nil when malformed or not a calendar date.
    public static func parseDate(_ b: [UInt8]) -> Int64? { b.withUnsafeBufferPointer { parseDate($0) } }

    public static func parseDate(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        guard let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        guard y >= 1, m >= 1 && m <= 12, d >= 1 && d <= CivilDate.daysIn(year: y, month: m) else { return nil }
        return CivilDate.days(year: y, month: m, day: d)
    }

    public static func parseDate(_ s: String) -> Int64? { parseDate(Array(s.utf8)) }

    /// `YYYY-MM` → month number (year × 12 + month − 1).
    public static func parseMonth(_ b: [UInt8]) -> Int64? { b.withUnsafeBufferPointer { parseMonth($0) } }

    public static func parseMonth(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count == 7, b[4] == UInt8(ascii: "-") else { return nil }
        guard let y = digits(b, 0, 4), let m = digits(b, 5, 2), y >= 1, m >= 1 && m <= 12 else { return nil }
        return Int64(y) * 12 + Int64(m - 1)
    }

    public static func parseMonth(_ s: String) -> Int64? { parseMonth(Array(s.utf8)) }

    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ k: Int) -> Int? {
        var v = 0
        for j in at..<(at + k) {
            let c = b[j]
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }
}

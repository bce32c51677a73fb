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
        if let p = b.baseAddress, let t = fastParse(p, b.count) { return .success(t) }
        return parseExplaining(b)
    }

    /// The full grammar, with a reason for every refusal.
    static func parseExplaining(_ b: UnsafeBufferPointer<UInt8>) -> Result<Instant, ParseError> {
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

    /// `parse` for well-formed input, in straight-line code: nil for anything
    /// it does not accept (then `parseExplaining` decides and says why).
    /// Accepts nothing `parseExplaining` refuses, with the same value.
    @inline(__always)
    static func fastParse(_ b: UnsafePointer<UInt8>, _ n: Int) -> Instant? {
        guard n >= 20 else { return nil }
        // "YYYY-MM-" and "DDTHH:MM" as two words: separators by mask, digits
        // by nibble tests, values by pairwise multiply-add.
        let raw = UnsafeRawPointer(b)
        let w0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        let w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let digits0: UInt64 = 0x00FF_FF00_FFFF_FFFF, digits1: UInt64 = 0xFFFF_00FF_FF00_FFFF
        guard w0 & ~digits0 == 0x2D00_002D_0000_0000, w1 & ~digits1 == 0x0000_3A00_0054_0000,
              JSONScanner.allDigits(w0, digits0), JSONScanner.allDigits(w1, digits1),
              b[16] == UInt8(ascii: ":") else { return nil }
        let s1 = Int(b[17] &- 48), s2 = Int(b[18] &- 48)
        guard s1 < 10 && s2 < 10 else { return nil }
        let p0 = JSONScanner.digitPairs(w0), p1 = JSONScanner.digitPairs(w1)
        let y = Int(p0 & 0xFF) &* 100 &+ Int((p0 &>> 16) & 0xFF), mo = Int((p0 &>> 40) & 0xFF)
        let d = Int(p1 & 0xFF), h = Int((p1 &>> 24) & 0xFF), mi = Int((p1 &>> 48) & 0xFF), s = s1 &* 10 &+ s2
        guard y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && h <= 23 && mi <= 59 && s <= 59 else { return nil }
        guard d <= 28 || d <= CivilDate.daysIn(year: y, month: mo) else { return nil }
        @inline(__always) func dig(_ k: Int) -> Int { Int(b[k] &- 48) } // ≥ 10 when not a digit
        var i = 19
        var micros: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var k = 0
            while i < n {
                let f = b[i] &- 48
                guard f < 10 else { break }
                if k < 6 { micros = micros &* 10 &+ Int64(f); k += 1 }
                i += 1
            }
            guard k > 0 else { return nil }
            while k < 6 { micros &*= 10; k += 1 }
        }
        var offset = 0
        if i + 1 == n {
            guard b[i] == UInt8(ascii: "Z") else { return nil }
        } else {
            guard i + 6 == n else { return nil }
            let sign = b[i]
            let oh1 = dig(i + 1), oh2 = dig(i + 2), om1 = dig(i + 4), om2 = dig(i + 5)
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: ":"),
                  max(max(oh1, oh2), max(om1, om2)) < 10 else { return nil }
            let oh = oh1 &* 10 &+ oh2, om = om1 &* 10 &+ om2
            guard oh <= 23 && om <= 59 else { return nil }
            offset = (oh &* 3600 &+ om &* 60) &* (sign == UInt8(ascii: "-") ? -1 : 1)
        }
        let days = Timestamp.days(year: y, month: mo, day: d)
        let secs = days &* 86400 &+ Int64(h &* 3600 &+ mi &* 60 &+ s) &- Int64(offset)
        return secs &* TimeUnit.second &+ micros
    }

    /// `CivilDate.days` for years 1–9999, in unsigned arithmetic (the
    /// divisions become multiplications).
    @inline(__always)
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = UInt(year &- (month <= 2 ? 1 : 0))
        let era = y / 400
        let yoe = y &- era &* 400
        let mp = UInt(month > 2 ? month &- 3 : month &+ 9)
        let doy = (153 &* mp &+ 2) / 5 &+ UInt(day) &- 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return Int64(era &* 146097 &+ doe) &- 719468
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

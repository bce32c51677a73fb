import EventModel

/// How an upstream system renders `occurred_at`. Every habit is valid
/// RFC 3339; the instant must be representable in the habit's precision.
enum TimeHabit: UInt8, Sendable, CaseIterable {
    /// `2023-03-14T10:22:05+08:00`
    case localSeconds
    /// `2023-03-14T10:22:05.123+08:00`
    case localMillis
    /// `2023-03-14T10:22:05.123456+08:00`
    case localMicros
    /// `2023-03-14T02:22:05Z`
    case utcSeconds
    /// `2023-03-14T02:22:05.123Z`
    case utcMillis
    /// `2023-03-14T02:22:05.123456Z`
    case utcMicros
    /// `2023-03-14T02:22:05+00:00`
    case zeroOffsetSeconds
    /// `2023-03-14T02:22:05.123+00:00`
    case zeroOffsetMillis

    /// The instant unit the habit can show.
    var resolution: Int64 {
        switch self {
        case .localSeconds, .utcSeconds, .zeroOffsetSeconds: TimeUnit.second
        case .localMillis, .utcMillis, .zeroOffsetMillis: TimeUnit.millisecond
        case .localMicros, .utcMicros: 1
        }
    }

    var isLocal: Bool { self == .localSeconds || self == .localMillis || self == .localMicros }
    var isZ: Bool { self == .utcSeconds || self == .utcMillis || self == .utcMicros }

    /// A habit of the same offset style that shows `t` exactly.
    func exact(for t: Instant) -> TimeHabit {
        if t % resolution == 0 { return self }
        let micro = t % TimeUnit.millisecond != 0
        if isLocal { return micro ? .localMicros : .localMillis }
        if isZ { return micro ? .utcMicros : .utcMillis }
        return micro ? .utcMicros : .zeroOffsetMillis
    }
}

/// How a system renders money: all valid per EVENTS.md.
enum MoneyHabit: UInt8, Sendable {
    /// `1250`, `1250.5`, `1250.55`
    case numberMinimal
    /// `1250.00`
    case numberFixed2
    /// `"1250.00"`
    case stringFixed2
    /// `"1250.5"`, `"1250"`
    case stringMinimal
    /// `1250.000` (a trailing zero past the cents is still 2 significant decimals)
    case numberFixed3
}

/// Builds JSON lines into a byte buffer, without Foundation and without
/// string interpolation on the hot path. `out` can be pointed at any buffer
/// (the generator writes events straight into the arena of their day).
struct LineWriter {
    var out: ByteBuffer
    /// `{"a":1,"b":2}` instead of `{"a": 1, "b": 2}`.
    var compact = false
    /// Escapes non-ASCII as `\uXXXX` (Python's `ensure_ascii`).
    var asciiEscape = false
    private var first = true
    private var cachedDay: Int64 = .min
    private var cachedDate: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var cachedDay2: Int64 = .min
    private var cachedDate2: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(capacity: Int = 256) { out = ByteBuffer(capacity: capacity) }

    /// The bytes written so far, copied.
    var bytes: [UInt8] { out.array }

    mutating func clear() { out.removeAll() }

    @inline(__always)
    mutating func byte(_ b: UInt8) { out.append(b) }

    @inline(__always)
    mutating func begin(compact: Bool, asciiEscape: Bool) {
        self.compact = compact
        self.asciiEscape = asciiEscape
        out.append(UInt8(ascii: "{"))
        first = true
    }

    /// Closes the object and the line.
    @inline(__always)
    mutating func end() {
        out.reserve(2)
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }

    @inline(__always)
    mutating func raw(_ s: StaticString) {
        out.append(s.utf8Start, s.utf8CodeUnitCount)
    }

    @inline(__always)
    mutating func raw(_ b: [UInt8]) { out.append(b) }

    /// `, "key": ` (or compact `,"key":`).
    @inline(__always)
    mutating func key(_ k: StaticString) {
        out.reserve(k.utf8CodeUnitCount + 6)
        if !first {
            out.append(UInt8(ascii: ","))
            if !compact { out.append(UInt8(ascii: " ")) }
        }
        first = false
        out.append(UInt8(ascii: "\""))
        out.append(k.utf8Start, k.utf8CodeUnitCount)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
        if !compact { out.append(UInt8(ascii: " ")) }
    }

    // MARK: strings

    @inline(__always)
    mutating func string(_ s: StaticString) {
        string(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func string(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { string($0) }
    }

    /// A string known to need no escaping (ids, codes, digits).
    @inline(__always)
    mutating func plain(_ b: [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(b)
        out.append(UInt8(ascii: "\""))
    }

    /// A string of the generator's own text. It never holds `"`, `\\` or
    /// control characters, so only `asciiEscape` systems need the slow path.
    mutating func string(_ b: UnsafeBufferPointer<UInt8>) {
        out.append(UInt8(ascii: "\""))
        if asciiEscape {
            var plain = true
            for c in b where c >= 0x80 || c == 0x22 || c == 0x5C || c < 0x20 { plain = false; break }
            if plain { out.append(b) } else { stringEscaped(b) }
        } else {
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    private mutating func stringEscaped(_ b: UnsafeBufferPointer<UInt8>) {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c == 0x22 || c == 0x5C {
                out.append(0x5C); out.append(c); i += 1
            } else if c < 0x20 {
                raw("\\u00"); hex2(c); i += 1
            } else if c >= 0x80 && asciiEscape {
                // Decode one UTF-8 scalar (our own strings are valid UTF-8).
                var cp: UInt32
                var k: Int
                if c >= 0xF0 { cp = UInt32(c & 0x07); k = 3 } else if c >= 0xE0 { cp = UInt32(c & 0x0F); k = 2 } else { cp = UInt32(c & 0x1F); k = 1 }
                for j in 1...k where i + j < n { cp = cp << 6 | UInt32(b[i + j] & 0x3F) }
                i += k + 1
                if cp >= 0x10000 {
                    let v = cp - 0x10000
                    uEscape(0xD800 + (v >> 10)); uEscape(0xDC00 + (v & 0x3FF))
                } else {
                    uEscape(cp)
                }
            } else {
                out.append(c); i += 1
            }
        }
    }

    private mutating func uEscape(_ cp: UInt32) {
        raw("\\u")
        hex2(UInt8(cp >> 8)); hex2(UInt8(cp & 0xFF))
    }

    @inline(__always)
    mutating func hex2(_ v: UInt8) {
        out.append(LineWriter.hexDigit(v >> 4))
        out.append(LineWriter.hexDigit(v & 15))
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    @inline(__always)
    mutating func null() { raw("null") }

    // MARK: numbers

    /// Decimal digits of v, no padding.
    @inline(__always)
    mutating func uint(_ v: UInt64) {
        var w = 1
        var p: UInt64 = 10
        while w < 20 && v >= p { w += 1; p = p &* 10 }
        uint(v, width: w)
    }

    /// Decimal digits of v, zero-padded to `width` (v must fit).
    @inline(__always)
    mutating func uint(_ v: UInt64, width: Int) {
        out.reserve(width)
        let start = out.count
        for _ in 0..<width { out.append(48) }
        var x = v
        var i = start + width - 1
        while i >= start {
            out.set(i, 48 + UInt8(truncatingIfNeeded: x % 10))
            x /= 10
            i -= 1
        }
    }
    /// A bare JSON number from fen with the habit's decimals.
    mutating func money(_ fen: Int64, _ habit: MoneyHabit) {
        let y = UInt64(fen / 100), f = UInt64(fen % 100)
        switch habit {
        case .numberMinimal:
            uint(y); minimalCents(f)
        case .numberFixed2:
            uint(y); out.append(UInt8(ascii: ".")); uint(f, width: 2)
        case .numberFixed3:
            uint(y); out.append(UInt8(ascii: ".")); uint(f, width: 2); out.append(48)
        case .stringFixed2:
            out.append(UInt8(ascii: "\"")); uint(y); out.append(UInt8(ascii: ".")); uint(f, width: 2); out.append(UInt8(ascii: "\""))
        case .stringMinimal:
            out.append(UInt8(ascii: "\"")); uint(y); minimalCents(f); out.append(UInt8(ascii: "\""))
        }
    }

    @inline(__always)
    private mutating func minimalCents(_ f: UInt64) {
        if f == 0 { return }
        out.append(UInt8(ascii: "."))
        if f % 10 == 0 { out.append(48 + UInt8(f / 10)) } else { uint(f, width: 2) }
    }

    /// A JSON number from micro-units (hours, quantity), e.g. `8`, `7.5`.
    mutating func micros(_ v: Int64) {
        uint(UInt64(v / 1_000_000))
        var f = v % 1_000_000
        if f == 0 { return }
        var width = 6
        while f % 10 == 0 { f /= 10; width -= 1 }
        out.append(UInt8(ascii: "."))
        uint(UInt64(f), width: width)
    }

    // MARK: dates and times

    /// Appends `YYYY-MM-DD` (unquoted) of a day number.
    @inline(__always)
    mutating func dateDigits(_ day: Int64) {
        if day != cachedDay {
            if day == cachedDay2 {
                swap(&cachedDay, &cachedDay2)
                swap(&cachedDate, &cachedDate2)
            } else {
            let (y, m, d) = CivilDate.date(fromDays: day)
            cachedDay2 = cachedDay
            cachedDate2 = cachedDate
            cachedDay = day
            cachedDate = (48 + UInt8(y / 1000), 48 + UInt8(y / 100 % 10), 48 + UInt8(y / 10 % 10), 48 + UInt8(y % 10), 45,
                          48 + UInt8(m / 10), 48 + UInt8(m % 10), 45, 48 + UInt8(d / 10), 48 + UInt8(d % 10))
            }
        }
        let o = out
        withUnsafeBytes(of: cachedDate) { o.append($0.bindMemory(to: UInt8.self).baseAddress!, 10) }
    }

    /// `"YYYY-MM-DD"`.
    mutating func date(_ day: Int64) {
        out.append(UInt8(ascii: "\"")); dateDigits(day); out.append(UInt8(ascii: "\""))
    }

    /// `"YYYY-MM"` of a day's month.
    mutating func month(ofDay day: Int64) {
        let (y, m, _) = CivilDate.date(fromDays: day)
        out.append(UInt8(ascii: "\"")); uint(UInt64(y), width: 4); out.append(45); uint(UInt64(m), width: 2); out.append(UInt8(ascii: "\""))
    }

    /// Compact `YYYYMMDD` of a day (for ids and voucher numbers).
    mutating func compactDate(_ day: Int64) {
        let (y, m, d) = CivilDate.date(fromDays: day)
        uint(UInt64(y), width: 4); uint(UInt64(m), width: 2); uint(UInt64(d), width: 2)
    }

    /// A quoted RFC 3339 timestamp in the habit. `t` must be a multiple of the habit's resolution.
    mutating func timestamp(_ t: Instant, _ habit: TimeHabit) {
        out.append(UInt8(ascii: "\""))
        timestampDigits(t, habit)
        out.append(UInt8(ascii: "\""))
    }

    mutating func timestampDigits(_ t: Instant, _ habit: TimeHabit) {
        let off: Int64 = habit.isLocal ? ShanghaiTime.offsetSeconds(at: t) : 0
        let l = t + off * TimeUnit.second
        let day = ShanghaiTime.floorDiv(l, TimeUnit.day)
        let rem = l - day * TimeUnit.day
        let secs = rem / TimeUnit.second
        let frac = rem % TimeUnit.second
        dateDigits(day)
        out.append(UInt8(ascii: "T"))
        uint(UInt64(secs / 3600), width: 2); out.append(58)
        uint(UInt64(secs / 60 % 60), width: 2); out.append(58)
        uint(UInt64(secs % 60), width: 2)
        switch habit.resolution {
        case TimeUnit.millisecond:
            out.append(UInt8(ascii: ".")); uint(UInt64(frac / 1000), width: 3)
        case 1:
            out.append(UInt8(ascii: ".")); uint(UInt64(frac), width: 6)
        default:
            break
        }
        switch habit {
        case .utcSeconds, .utcMillis, .utcMicros:
            out.append(UInt8(ascii: "Z"))
        case .zeroOffsetSeconds, .zeroOffsetMillis:
            raw("+00:00")
        default:
            out.append(UInt8(ascii: "+"))
            uint(UInt64(off / 3600), width: 2); out.append(58); uint(UInt64(off / 60 % 60), width: 2)
        }
    }
}

/// Money is held as an integer number of fen (0.01 yuan); it never passes
/// through binary floating point.
public enum Money {
    /// Largest accepted integer part, in yuan digits.
    static let maxIntegerDigits = 15

    /// Parses a JSON number: ≥ 0, no exponent, at most 2 significant decimals
    /// (`1.230` is fine, `1.235` is not).
    public static func parseNumber(_ s: UnsafeBufferPointer<UInt8>) -> Result<Int64, MoneyParseError> {
        guard let p = s.baseAddress else { return .success(0) }
        switch scanNumber(p, s.count) {
        case .fen(let fen): return .success(fen)
        case .fault(let f): return .failure(MoneyParseError(f.detail))
        }
    }

    /// Parses a decimal string: digits with an optional `.` and 1–2 decimals.
    public static func parseString(_ s: UnsafeBufferPointer<UInt8>) -> Result<Int64, MoneyParseError> {
        guard let p = s.baseAddress else { return .failure(MoneyParseError(Fault.notDecimal.detail)) }
        switch scanString(p, s.count) {
        case .fen(let fen): return .success(fen)
        case .fault(let f): return .failure(MoneyParseError(f.detail))
        }
    }

    /// Why an amount was refused, without building a message.
    enum Fault: UInt8 {
        case exponent, decimals, range, negative, notDecimal

        var detail: String {
            switch self {
            case .exponent: "exponents are not allowed in amounts"
            case .decimals: "more than 2 decimals"
            case .range: "amount out of range"
            case .negative: "negative amount"
            case .notDecimal: "not a decimal amount"
            }
        }
    }

    enum Scan {
        case fen(Int64)
        case fault(Fault)
    }

    /// `parseNumber` on `n` bytes at `p`, with no arrays and no strings.
    @inline(__always)
    static func scanNumber(_ p: UnsafePointer<UInt8>, _ n: Int) -> Scan {
        var i = 0
        var negative = false
        if i < n && p[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var yuan: Int64 = 0
        let intStart = i
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { break }
            yuan = yuan &* 10 &+ Int64(d)
            i += 1
        }
        let intDigits = i - intStart
        var frac: Int64 = 0 // the first two decimals, as fen
        var tooPrecise = false // a non-zero decimal after the second
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            var k = 0
            while i < n {
                let d = p[i] &- 48
                guard d < 10 else { break }
                if k == 0 { frac = Int64(d) &* 10 } else if k == 1 { frac &+= Int64(d) } else if d != 0 { tooPrecise = true }
                k += 1
                i += 1
            }
        }
        if i < n { return .fault(.exponent) }
        if tooPrecise { return .fault(.decimals) }
        if intDigits > maxIntegerDigits { return .fault(.range) }
        let fen = yuan * 100 + frac
        if negative && fen != 0 { return .fault(.negative) }
        return .fen(fen)
    }

    /// `parseString` on `n` bytes at `p`.
    @inline(__always)
    static func scanString(_ p: UnsafePointer<UInt8>, _ n: Int) -> Scan {
        var i = 0
        var yuan: Int64 = 0
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { break }
            yuan = yuan &* 10 &+ Int64(d)
            i += 1
        }
        let intDigits = i
        guard intDigits > 0 else {
            if n > 0 && p[0] == UInt8(ascii: "-") { return .fault(.negative) }
            return .fault(.notDecimal)
        }
        var fen: Int64 = 0
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < n && p[i] &- 48 < 10 { i += 1 }
            let k = i - start
            guard k == 1 || k == 2 else { return .fault(k == 0 ? .notDecimal : .decimals) }
            fen = Int64(p[start] - 48) * 10 + (k == 2 ? Int64(p[start + 1] - 48) : 0)
        }
        guard i == n else { return .fault(.notDecimal) }
        if intDigits > maxIntegerDigits { return .fault(.range) }
        return .fen(yuan * 100 + fen)
    }

    /// `12500.50` style rendering of fen.
    public static func format(fen: Int64) -> String {
        let neg = fen < 0
        let a = neg ? -fen : fen
        let y = a / 100, f = a % 100
        return (neg ? "-" : "") + String(y) + "." + (f < 10 ? "0" : "") + String(f)
    }

    /// `¥18,600.00` style rendering with thousands separators, written
    /// backwards into a buffer on the stack and made a `String` once (most
    /// fit a small string: no allocation at all). The string version
    /// counted the digits' characters once per digit, ≈ 3,500 instructions
    /// a figure of every alert summary; bytes in a growing array ≈ 1,450
    /// (`Benchmarks/instructions`).
    public static func formatYuan(fen: Int64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            var i = buf.count
            func put(_ b: UInt8) { i -= 1; buf[i] = b }
            var a = fen.magnitude
            let cents = a % 100
            a /= 100
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: cents % 10))
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: cents / 10))
            put(UInt8(ascii: "."))
            var digits = 0
            repeat {
                if digits > 0 && digits % 3 == 0 { put(UInt8(ascii: ",")) }
                put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: a % 10))
                a /= 10
                digits += 1
            } while a > 0
            put(0xA5) // "¥" is C2 A5 in UTF-8
            put(0xC2)
            if fen < 0 { put(UInt8(ascii: "-")) }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[i...]), as: UTF8.self)
        }
    }
}

public struct MoneyParseError: Error, Sendable {
    public let detail: String
    init(_ d: String) { detail = d }
}

/// Exact decimal numbers (hours, quantity, factors) held as micro-units (× 10⁶).
public enum DecimalNumber {
    public static let scale: Int64 = 1_000_000
    static let limit: Int64 = 9_000_000_000_000 * 1_000_000 // ±9×10¹² units

    /// Parses a JSON number (exponent allowed) into micro-units. Digits past
    /// the sixth decimal are truncated. nil when out of range.
    public static func parseMicros(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = s.count
        var negative = false
        if i < n && s[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var mant: Int64 = 0
        var exp10 = 0 // value = mant × 10^exp10
        var digits = 0
        func add(_ d: UInt8, fraction: Bool) {
            if mant == 0 && d == 0 { if fraction { exp10 -= 1 }; return }
            if digits < 18 {
                mant = mant * 10 + Int64(d)
                digits += 1
                if fraction { exp10 -= 1 }
            } else if !fraction {
                exp10 += 1 // dropped integer digit
            }
        }
        while i < n && s[i] >= 48 && s[i] <= 57 { add(s[i] - 48, fraction: false); i += 1 }
        if i < n && s[i] == UInt8(ascii: ".") {
            i += 1
            while i < n && s[i] >= 48 && s[i] <= 57 { add(s[i] - 48, fraction: true); i += 1 }
        }
        if i < n && (s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E")) {
            i += 1
            var eneg = false
            if i < n && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { eneg = s[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0
            while i < n && s[i] >= 48 && s[i] <= 57 { if e < 100_000 { e = e * 10 + Int(s[i] - 48) }; i += 1 }
            exp10 += eneg ? -e : e
        }
        if mant == 0 { return 0 }
        var shift = exp10 + 6
        var v = mant
        if shift >= 0 {
            while shift > 0 {
                let (r, o) = v.multipliedReportingOverflow(by: 10)
                if o || r > limit { return nil }
                v = r
                shift -= 1
            }
        } else {
            while shift < 0 && v != 0 { v /= 10; shift += 1 }
        }
        if v > limit { return nil }
        return negative ? -v : v
    }

    /// Parses decimal text such as `1.3` or `12` (no exponent) into micro-units.
    public static func parseMicros(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { parseMicros($0) }
    }

    /// `7.5` style rendering of micro-units.
    public static func format(micros: Int64) -> String {
        let neg = micros < 0
        let a = neg ? -micros : micros
        var s = String(a / scale)
        var f = a % scale
        if f != 0 {
            var digits = String(f)
            digits = String(repeating: "0", count: 6 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            s += "." + digits
            f = 0
        }
        return (neg ? "-" : "") + s
    }
}

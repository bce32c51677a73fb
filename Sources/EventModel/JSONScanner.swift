import CByteScan

/// A strict RFC 8259 scanner over raw bytes. It validates everything
/// (structure, string escapes, UTF-8, number grammar) and records where the
/// top-level members' values lie; it builds no tree.
///
/// Speed: strings are skipped 8 bytes at a time (a SWAR test finds the first
/// quote, backslash, control or non-ASCII byte exactly), runs of 2- and
/// 3-byte UTF-8 sequences (Chinese text) are validated a sequence per step,
/// and known member names are found with one hash probe on their packed
/// bytes. Every byte is still checked; on a fault, `i` stops at the byte the
/// message names.
struct JSONScanner {
    let p: UnsafePointer<UInt8>
    let n: Int
    let maxDepth: Int
    var i = 0
    var error: String?

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        p = base
        n = count
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { i >= n }
    var peek: UInt8 { i < n ? p[i] : 0 }

    @inline(__always)
    static func isWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    @inline(__always)
    mutating func skipWhitespace() {
        // One compare in the common case: the byte is no whitespace (all are <= 0x20).
        while i < n {
            let c = p[i]
            if c > 0x20 || !JSONScanner.isWhitespace(c) { return }
            i += 1
        }
    }

    @inline(never)
    mutating func fail(_ msg: String) -> Bool {
        if error == nil { error = msg + " at byte \(min(i, n) + 1)" }
        return false
    }

    /// Scans `{ ... }` at the top level, recording the members whose names
    /// `KeyIndex` knows (a repeated name: the last one wins, as in most JSON
    /// readers).
    ///
    /// The hot loop keeps its position in a local, looks for the expected
    /// byte before skipping whitespace, and handles plain names, plain
    /// strings and numbers inline; everything else goes through the
    /// out-of-line paths with `i` in step, so faults name the same byte.
    mutating func scanTopObject(into t: inout MemberTable) -> Bool {
        let base = p, end = n
        var j = i + 1 // past '{'
        JSONScanner.skipWhitespace(base, end, &j)
        if j < end && base[j] == UInt8(ascii: "}") { i = j + 1; return true }
        while true {
            if !(j < end && base[j] == UInt8(ascii: "\"")) {
                JSONScanner.skipWhitespace(base, end, &j)
                guard j < end && base[j] == UInt8(ascii: "\"") else { i = j; return fail("expected a member name") }
            }
            // The name: a plain one of up to 15 bytes is found and packed
            // from two word loads; any other goes the long way.
            let keyStart = j &+ 1
            var k = -1
            var found = false
            if keyStart &+ 16 <= end {
                let raw = UnsafeRawPointer(base + keyStart)
                let a = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
                let ma = JSONScanner.specialBytes(a)
                if ma != 0 {
                    let len = ma.trailingZeroBitCount &>> 3
                    if base[keyStart &+ len] == UInt8(ascii: "\"") {
                        found = true
                        j = keyStart &+ len &+ 1
                        if len > 0 {
                            k = KeyIndex.find(a & (~0 &>> UInt64(64 &- 8 &* len)), UInt64(len) &<< 56, in: t.keys)
                        }
                    }
                } else {
                    let b = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    let mb = JSONScanner.specialBytes(b)
                    if mb != 0 {
                        let len = mb.trailingZeroBitCount &>> 3 // bytes in the second word
                        if base[keyStart &+ 8 &+ len] == UInt8(ascii: "\"") {
                            found = true
                            j = keyStart &+ 9 &+ len
                            k = KeyIndex.find(a, (b & ((1 &<< UInt64(8 &* len)) &- 1)) | UInt64(8 &+ len) &<< 56, in: t.keys)
                        }
                    }
                }
            }
            if !found {
                var keyEsc = false
                j = keyStart
                if !JSONScanner.skipPlainString(base, end, &j) {
                    i = j
                    guard scanStringRest(escaped: &keyEsc) else { return false }
                    j = i
                }
                let keyLen = j - 1 - keyStart
                if keyEsc {
                    let key = JSONScanner.unescape(UnsafeBufferPointer(start: base + keyStart, count: keyLen))
                    k = key.withUnsafeBufferPointer { KeyIndex.lookup($0.baseAddress ?? base, $0.count, readable: $0.count, in: t.keys) }
                } else {
                    k = KeyIndex.lookup(base + keyStart, keyLen, readable: end - keyStart, in: t.keys)
                }
            }
            // ':'
            if j < end && base[j] == UInt8(ascii: ":") {
                j &+= 1
            } else {
                JSONScanner.skipWhitespace(base, end, &j)
                guard j < end && base[j] == UInt8(ascii: ":") else { i = j; return fail("expected ':'") }
                j &+= 1
            }
            if j < end && base[j] == 0x20 { j &+= 1 }
            // The value: strings and numbers here, the rest out of line.
            let c = j < end ? base[j] : 0
            if c == UInt8(ascii: "\"") {
                let start = j &+ 1
                var esc = false
                j = start
                if !JSONScanner.skipPlainString(base, end, &j) {
                    i = j
                    guard scanStringRest(escaped: &esc) else { return false }
                    j = i
                }
                if k >= 0 {
                    (t.slots + k).initialize(to: Member(start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: j &- 1),
                                                        kind: .string, hasEscape: esc))
                }
            } else if c == UInt8(ascii: "-") || c &- 48 < 10 {
                let start = j
                guard JSONScanner.skipNumber(base, end, &j) else { i = j; return fail("invalid number") }
                if k >= 0 {
                    (t.slots + k).initialize(to: Member(start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: j), kind: .number))
                }
            } else {
                JSONScanner.skipWhitespace(base, end, &j)
                i = j
                var m = Member()
                guard scanValue(depth: 1, member: &m) else { return false }
                j = i
                if k >= 0 { (t.slots + k).initialize(to: m) }
            }
            if k >= 0 { t.seen |= 1 &<< UInt64(k) }
            // ',' or '}'
            if j < end && base[j] == UInt8(ascii: ",") {
                j &+= 1
                if j < end && base[j] == 0x20 { j &+= 1 }
                continue
            }
            JSONScanner.skipWhitespace(base, end, &j)
            if j < end {
                let d = base[j]
                if d == UInt8(ascii: ",") { j &+= 1; continue }
                if d == UInt8(ascii: "}") { i = j &+ 1; return true }
            }
            i = j
            return fail("expected ',' or '}'")
        }
    }

    @inline(__always)
    static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ end: Int, _ j: inout Int) {
        // Fast: no whitespace, or one space before a token (`", "`, `": "`).
        if j < end {
            let c = base[j]
            if c > 0x20 { return }
            if c == 0x20 && j &+ 1 < end && base[j &+ 1] > 0x20 { j &+= 1; return }
        }
        while j < end {
            let c = base[j]
            if c > 0x20 || !isWhitespace(c) { return }
            j += 1
        }
    }

    /// Skips the rest of a string (`j` just past the opening quote) while it
    /// is plain ASCII with 8 bytes readable at a time; true with `j` past the
    /// closing quote, false with `j` at a byte the slow path must look at.
    @inline(__always)
    static func skipPlainString(_ base: UnsafePointer<UInt8>, _ end: Int, _ j: inout Int) -> Bool {
        // 16 bytes a step (SSE2), then 8 (SWAR) near the end of the line.
        while j + 16 <= end {
            let m = qly_json_special16(base + j)
            if m == 0 { j += 16; continue }
            j += m.trailingZeroBitCount
            if base[j] == UInt8(ascii: "\"") { j += 1; return true }
            return false
        }
        while j + 8 <= end {
            let m = specialBytes(UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
            if m == 0 { j += 8; continue }
            j += m.trailingZeroBitCount &>> 3
            if base[j] == UInt8(ascii: "\"") { j += 1; return true }
            return false
        }
        return false
    }

    /// Skips a number by the JSON grammar; false with `j` at the offending byte.
    @inline(__always)
    static func skipNumber(_ base: UnsafePointer<UInt8>, _ end: Int, _ j: inout Int) -> Bool {
        if base[j] == UInt8(ascii: "-") { j += 1 }
        guard j < end else { return false }
        let first = base[j] &- 48
        if first == 0 {
            j += 1
        } else if first < 10 {
            j += 1
            while j < end && base[j] &- 48 < 10 { j += 1 }
        } else {
            return false
        }
        if j < end && base[j] == UInt8(ascii: ".") {
            j += 1
            let s = j
            while j < end && base[j] &- 48 < 10 { j += 1 }
            guard j > s else { return false }
        }
        if j < end && (base[j] | 0x20) == UInt8(ascii: "e") {
            j += 1
            if j < end && (base[j] == UInt8(ascii: "+") || base[j] == UInt8(ascii: "-")) { j += 1 }
            let s = j
            while j < end && base[j] &- 48 < 10 { j += 1 }
            guard j > s else { return false }
        }
        return true
    }

    /// Scans one value, filling `member` with its kind and span.
    mutating func scanValue(depth: Int, member m: inout Member) -> Bool {
        guard i < n else { return fail("unexpected end of input") }
        let c = p[i]
        if c == UInt8(ascii: "\"") {
            m.kind = .string
            m.start = Int32(truncatingIfNeeded: i + 1)
            var esc = false
            guard scanString(escaped: &esc) else { return false }
            m.end = Int32(truncatingIfNeeded: i - 1)
            m.hasEscape = esc
            return true
        }
        if c == UInt8(ascii: "-") || (c &- 48) < 10 {
            m.kind = .number
            m.start = Int32(truncatingIfNeeded: i)
            guard scanNumber() else { return false }
            m.end = Int32(truncatingIfNeeded: i)
            return true
        }
        return scanOtherValue(depth: depth, member: &m)
    }

    /// Arrays, objects, literals and faults: the rarer values, out of line.
    @inline(never)
    mutating func scanOtherValue(depth: Int, member m: inout Member) -> Bool {
        let c = p[i]
        switch c {
        case UInt8(ascii: "["):
            m.kind = .array
            m.start = Int32(truncatingIfNeeded: i)
            guard depth < maxDepth else { return fail("nesting deeper than \(maxDepth)") }
            i += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { i += 1; m.end = Int32(truncatingIfNeeded: i); return true }
            while true {
                skipWhitespace()
                var inner = Member()
                guard scanValue(depth: depth + 1, member: &inner) else { return false }
                m.count += 1
                if inner.kind != .string { m.allStrings = false }
                skipWhitespace()
                let d = peek
                if d == UInt8(ascii: ",") { i += 1; continue }
                if d == UInt8(ascii: "]") { i += 1; m.end = Int32(truncatingIfNeeded: i); return true }
                return fail("expected ',' or ']'")
            }
        case UInt8(ascii: "{"):
            m.kind = .object
            m.start = Int32(truncatingIfNeeded: i)
            guard skipObject(depth: depth) else { return false }
            m.end = Int32(truncatingIfNeeded: i)
            return true
        case UInt8(ascii: "t"):
            m.kind = .trueValue
            return literal("true")
        case UInt8(ascii: "f"):
            m.kind = .falseValue
            return literal("false")
        case UInt8(ascii: "n"):
            m.kind = .null
            return literal("null")
        default:
            return fail("unexpected character")
        }
    }

    mutating func skipValue(depth: Int) -> Bool {
        var m = Member()
        return scanValue(depth: depth, member: &m)
    }

    mutating func skipObject(depth: Int) -> Bool {
        guard depth < maxDepth else { return fail("nesting deeper than \(maxDepth)") }
        i += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return true }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { return fail("expected a member name") }
            var esc = false
            guard scanString(escaped: &esc) else { return false }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return fail("expected ':'") }
            i += 1
            skipWhitespace()
            guard skipValue(depth: depth + 1) else { return false }
            skipWhitespace()
            let c = peek
            if c == UInt8(ascii: ",") { i += 1; continue }
            if c == UInt8(ascii: "}") { i += 1; return true }
            return fail("expected ',' or '}'")
        }
    }

    mutating func literal(_ s: StaticString) -> Bool {
        let len = s.utf8CodeUnitCount
        guard i + len <= n else { return fail("invalid literal") }
        let lp = s.utf8Start
        for j in 0..<len where p[i + j] != lp[j] { return fail("invalid literal") }
        i += len
        return true
    }

    /// Scans a string starting at the opening quote; leaves `i` after the closing quote.
    @inline(__always)
    mutating func scanString(escaped: inout Bool) -> Bool {
        var j = i + 1
        if JSONScanner.skipPlainString(p, n, &j) { i = j; return true }
        i = j
        return scanStringRest(escaped: &escaped)
    }

    /// Scans the rest of a string from `i` (inside it); leaves `i` after the closing quote.
    @inline(never)
    mutating func scanStringRest(escaped: inout Bool) -> Bool {
        while true {
            // Skip plain bytes 8 at a time, landing exactly on the first special one.
            while i + 8 <= n {
                let m = JSONScanner.specialBytes(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                if m != 0 {
                    i += m.trailingZeroBitCount &>> 3
                    break
                }
                i += 8
            }
            guard i < n else { return fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return true }
            if c >= 0x80 {
                guard validateUTF8Run() else { return fail("invalid UTF-8") }
                continue
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard scanEscape() else { return false }
                continue
            }
            if c < 0x20 { return fail("control character in string") }
            i += 1 // a plain byte in the last 7 of the input
        }
    }

    /// One escape sequence at `i` (a backslash); advances past it.
    @inline(never)
    mutating func scanEscape() -> Bool {
        guard i + 1 < n else { return fail("unterminated escape") }
        let e = p[i + 1]
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
        case UInt8(ascii: "u"):
            guard i + 5 < n else { return fail("truncated \\u escape") }
            for j in 2...5 where JSONScanner.hexValue(p[i + j]) < 0 { return fail("invalid \\u escape") }
            i += 6
        default:
            return fail("invalid escape")
        }
        return true
    }

    /// True when every byte of `w` selected by `mask` (0xFF bytes) is an ASCII digit.
    @inline(__always)
    static func allDigits(_ w: UInt64, _ mask: UInt64) -> Bool {
        let high = mask & 0xF0F0_F0F0_F0F0_F0F0, three = mask & 0x3030_3030_3030_3030
        // High nibble 3, and still 3 after adding 6 (no carry leaves a byte once the first test holds).
        return w & high == three && (w &+ (mask & 0x0606_0606_0606_0606)) & high == three
    }

    /// Byte k of the result is 10 × digit k + digit k+1 (bytes of `w` that
    /// are digits; other bytes give garbage in their own and the previous result byte).
    @inline(__always)
    static func digitPairs(_ w: UInt64) -> UInt64 {
        let v = w & 0x0F0F_0F0F_0F0F_0F0F
        return v &* 10 &+ (v &>> 8)
    }

    /// A mask with the high bit set in the lowest byte of `w` (in memory
    /// order) that is '"' (0x22), '\\' (0x5C), below 0x20, or 0x80 and above;
    /// zero when there is none. Bits above the lowest may be spurious
    /// (borrows), so use only `trailingZeroBitCount`.
    @inline(__always)
    static func specialBytes(_ w0: UInt64) -> UInt64 {
        let w = UInt64(littleEndian: w0)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let zq = (quote &- ones) & ~quote
        let zs = (slash &- ones) & ~slash
        let ctrl = w &- (ones &* 0x20) // borrows into the high bit of bytes < 0x20
        return (zq | zs | ctrl | w) & high
    }

    /// True when some byte of `w` is '"' (0x22), '\\' (0x5C), below 0x20, or 0x80 and above.
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool { specialBytes(w) != 0 }

    /// Validates the multi-byte UTF-8 sequences starting at `i` (a byte ≥ 0x80)
    /// and advances past them, up to the next ASCII byte. False, with `i` at
    /// the offending sequence's first byte, when one is invalid.
    @inline(__always)
    mutating func validateUTF8Run() -> Bool {
        // Fastest path: two 3-byte sequences (most CJK text) per 8-byte load.
        while i + 8 <= n {
            let v = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            guard v & 0x0000_C0C0_F0C0_C0F0 == 0x0000_8080_E080_80E0 else { break }
            let l0 = v & 0xFF, l3 = (v &>> 24) & 0xFF
            guard l0 != 0xE0 && l0 != 0xED && l3 != 0xE0 && l3 != 0xED else { break }
            i += 6
        }
        // Fast path: 2- and 3-byte sequences whose lead byte admits any
        // continuation (C2–DF; E1–EC, EE–EF), four bytes readable.
        while i + 4 <= n {
            let v = UInt32(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self))
            let lead = v & 0xFF
            if lead < 0x80 { return true }
            if lead &- 0xE1 < 0x0F && lead != 0xED && v & 0x00C0_C000 == 0x0080_8000 { i += 3; continue }
            if lead &- 0xC2 < 0x1E && v & 0xC000 == 0x8000 { i += 2; continue }
            break
        }
        return validateUTF8Sequence()
    }

    /// Validates one multi-byte UTF-8 sequence at `i` and advances past it.
    @inline(never)
    mutating func validateUTF8Sequence() -> Bool {
        let c = p[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        switch c {
        case 0x00...0x7F:
            return true // not a sequence: the caller goes on
        case 0xC2...0xDF:
            guard cont(1) else { return false }
            i += 2
        case 0xE0:
            guard cont(1, 0xA0, 0xBF), cont(2) else { return false }
            i += 3
        case 0xE1...0xEC, 0xEE...0xEF:
            guard cont(1), cont(2) else { return false }
            i += 3
        case 0xED:
            guard cont(1, 0x80, 0x9F), cont(2) else { return false }
            i += 3
        case 0xF0:
            guard cont(1, 0x90, 0xBF), cont(2), cont(3) else { return false }
            i += 4
        case 0xF1...0xF3:
            guard cont(1), cont(2), cont(3) else { return false }
            i += 4
        case 0xF4:
            guard cont(1, 0x80, 0x8F), cont(2), cont(3) else { return false }
            i += 4
        default:
            return false
        }
        return true
    }

    /// Scans a number by the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func scanNumber() -> Bool {
        var j = i
        let ok = JSONScanner.skipNumber(p, n, &j)
        i = j
        return ok ? true : fail("invalid number")
    }

    static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case 48...57: Int(c - 48)
        case 65...70: Int(c - 55)
        case 97...102: Int(c - 87)
        default: -1
        }
    }

    /// Unescapes the content of a (validated) JSON string into UTF-8 bytes.
    /// A lone surrogate becomes U+FFFD.
    static func unescape(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        let n = s.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for j in 0..<4 {
                let h = hexValue(s[at + j])
                if h < 0 { return nil }
                v = v << 4 | UInt32(h)
            }
            return v
        }
        while i < n {
            let c = s[i]
            if c != UInt8(ascii: "\\") || i + 1 >= n { out.append(c); i += 1; continue }
            let e = s[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var cp = hex4(i) else { out.append(contentsOf: [0xEF, 0xBF, 0xBD]); continue }
                i += 4
                if cp >= 0xD800 && cp <= 0xDBFF {
                    if i + 6 <= n && s[i] == UInt8(ascii: "\\") && s[i + 1] == UInt8(ascii: "u"),
                       let lo = hex4(i + 2), lo >= 0xDC00 && lo <= 0xDFFF {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else {
                        cp = 0xFFFD
                    }
                } else if cp >= 0xDC00 && cp <= 0xDFFF {
                    cp = 0xFFFD
                }
                appendUTF8(cp, &out)
            default: out.append(e)
            }
        }
        return out
    }

    static func appendUTF8(_ cp: UInt32, _ out: inout [UInt8]) {
        switch cp {
        case 0..<0x80: out.append(UInt8(cp))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (cp >> 6))); out.append(UInt8(0x80 | (cp & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (cp >> 12))); out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (cp >> 18))); out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }
}

/// A strict RFC 8259 scanner over raw bytes. It validates everything
/// (structure, string escapes, UTF-8, number grammar) and records where the
/// top-level members' values lie; it builds no tree.
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
    mutating func skipWhitespace() {
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
    }

    mutating func fail(_ msg: String) -> Bool {
        if error == nil { error = msg + " at byte \(min(i, n) + 1)" }
        return false
    }

    /// Scans `{ ... }` at the top level, recording known members.
    mutating func scanTopObject(into t: inout MemberTable) -> Bool {
        i += 1 // '{'
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return true }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { return fail("expected a member name") }
            let keyStart = i + 1
            var keyEsc = false
            guard scanString(escaped: &keyEsc) else { return false }
            let keyEnd = i - 1
            var k: Int
            if keyEsc {
                let key = JSONScanner.unescape(UnsafeBufferPointer(start: p + keyStart, count: keyEnd - keyStart))
                k = key.withUnsafeBufferPointer { KeyIndex.lookup($0.baseAddress ?? p, $0.count) }
            } else {
                k = KeyIndex.lookup(p + keyStart, keyEnd - keyStart)
            }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return fail("expected ':'") }
            i += 1
            skipWhitespace()
            var m = Member()
            guard scanValue(depth: 1, member: &m) else { return false }
            if k >= 0 { t[k] = m } // a repeated key: the last one wins, as in most JSON readers
            skipWhitespace()
            let c = peek
            if c == UInt8(ascii: ",") { i += 1; continue }
            if c == UInt8(ascii: "}") { i += 1; return true }
            return fail("expected ',' or '}'")
        }
    }

    /// Scans one value, filling `member` with its kind and span.
    mutating func scanValue(depth: Int, member m: inout Member) -> Bool {
        guard i < n else { return fail("unexpected end of input") }
        let c = p[i]
        switch c {
        case UInt8(ascii: "\""):
            m.kind = .string
            m.start = Int32(i + 1)
            var esc = false
            guard scanString(escaped: &esc) else { return false }
            m.end = Int32(i - 1)
            m.hasEscape = esc
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            m.kind = .number
            m.start = Int32(i)
            guard scanNumber() else { return false }
            m.end = Int32(i)
            return true
        case UInt8(ascii: "["):
            m.kind = .array
            m.start = Int32(i)
            guard depth < maxDepth else { return fail("nesting deeper than \(maxDepth)") }
            i += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") { i += 1; m.end = Int32(i); return true }
            while true {
                skipWhitespace()
                var inner = Member()
                guard scanValue(depth: depth + 1, member: &inner) else { return false }
                m.count += 1
                if inner.kind != .string { m.allStrings = false }
                skipWhitespace()
                let d = peek
                if d == UInt8(ascii: ",") { i += 1; continue }
                if d == UInt8(ascii: "]") { i += 1; m.end = Int32(i); return true }
                return fail("expected ',' or ']'")
            }
        case UInt8(ascii: "{"):
            m.kind = .object
            m.start = Int32(i)
            guard skipObject(depth: depth) else { return false }
            m.end = Int32(i)
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
        i += 1
        while true {
            // Skip 8 plain bytes at a time: none is '"', '\\', a control character or non-ASCII.
            while i + 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if JSONScanner.hasSpecialByte(w) { break }
                i += 8
            }
            guard i < n else { return fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return true }
            if c == UInt8(ascii: "\\") {
                escaped = true
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
                continue
            }
            if c < 0x20 { return fail("control character in string") }
            if c < 0x80 { i += 1; continue }
            guard validateUTF8Sequence() else { return fail("invalid UTF-8") }
        }
    }

    /// True when some byte of `w` is '"' (0x22), '\\' (0x5C), below 0x20, or 0x80 and above.
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let zq = (quote &- ones) & ~quote
        let zs = (slash &- ones) & ~slash
        let ctrl = w &- (ones &* 0x20) // borrows into the high bit of bytes < 0x20
        return ((zq | zs | ctrl | w) & high) != 0
    }

    /// Validates one multi-byte UTF-8 sequence at `i` and advances past it.
    mutating func validateUTF8Sequence() -> Bool {
        let c = p[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        switch c {
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
        if peek == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return fail("invalid number") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else if p[i] >= UInt8(ascii: "1") && p[i] <= UInt8(ascii: "9") {
            while i < n && p[i] >= 48 && p[i] <= 57 { i += 1 }
        } else {
            return fail("invalid number")
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < n && p[i] >= 48 && p[i] <= 57 { i += 1 }
            guard i > s else { return fail("invalid number") }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            let s = i
            while i < n && p[i] >= 48 && p[i] <= 57 { i += 1 }
            guard i > s else { return fail("invalid number") }
        }
        return true
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

/// Escaping for HTML text and attribute values. Every value that did not
/// come from this module's own literals passes through ``escape(_:)``.
enum HTMLText {
    /// The text with `& < > " '` replaced by character references, safe in
    /// element content and in quoted attribute values.
    static func escape(_ s: String) -> String {
        var needs = false
        for u in s.utf8 where u == 0x26 || u == 0x3C || u == 0x3E || u == 0x22 || u == 0x27 || u == 0 {
            needs = true
            break
        }
        if !needs { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Percent-encodes a value for a URL query (`application/x-www-form-urlencoded` rules, space as `%20`).
    static func urlEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count == 1 ? "0" : "") + h
            }
        }
        return out
    }

    /// Decodes `%XX` and `+` (as space) of a form or query component; invalid
    /// escapes stay as they are, invalid UTF-8 becomes U+FFFD.
    static func urlDecode<S: StringProtocol>(_ s: S) -> String {
        let u = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20); i += 1
            } else if c == UInt8(ascii: "%"), i + 2 < u.count, let h = hex(u[i + 1]), let l = hex(u[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(c); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

/// Parameters of a query string or an `application/x-www-form-urlencoded`
/// body, in order, repeated names kept.
struct FormData: Sendable {
    var pairs: [(String, String)] = []

    init(pairs: [(String, String)] = []) { self.pairs = pairs }

    /// Parses `a=1&b=2&b=3`.
    init<S: StringProtocol>(parsing text: S) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                pairs.append((HTMLText.urlDecode(part[..<eq]), HTMLText.urlDecode(part[part.index(after: eq)...])))
            } else {
                pairs.append((HTMLText.urlDecode(part), ""))
            }
        }
    }

    /// The first value of `name`, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        for (k, v) in pairs where k == name {
            let t = v.trimmed
            return t.isEmpty ? nil : t
        }
        return nil
    }

    /// Every non-empty value of `name`; comma-separated values are split.
    func all(_ name: String) -> [String] {
        var out: [String] = []
        for (k, v) in pairs where k == name {
            for piece in v.split(separator: ",") {
                let t = String(piece).trimmed
                if !t.isEmpty && !out.contains(t) { out.append(t) }
            }
        }
        return out
    }

    /// The raw first value of `name` (not trimmed), for free text.
    func raw(_ name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace || f.isNewline { s.removeFirst() }
        while let l = s.last, l.isWhitespace || l.isNewline { s.removeLast() }
        return String(s)
    }
}

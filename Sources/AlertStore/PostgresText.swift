import EventModel

/// Values to and from PostgreSQL's text representation. Pure functions.
public enum PostgresText {
    /// An instant as a `timestamptz` literal in UTC with microseconds,
    /// e.g. `2024-03-05 01:02:03.000004+00` (exact; no float on the way).
    public static func timestamp(_ t: Instant) -> String {
        let day = floorDiv(t, TimeUnit.day)
        var rest = t - day * TimeUnit.day
        let (y, m, d) = CivilDate.date(fromDays: day)
        let h = rest / TimeUnit.hour; rest -= h * TimeUnit.hour
        let mi = rest / TimeUnit.minute; rest -= mi * TimeUnit.minute
        let s = rest / TimeUnit.second; rest -= s * TimeUnit.second
        let date = y >= 1 ? pad(Int64(y), 4) : pad(Int64(1 - y), 4)
        var out = date + "-" + pad(Int64(m), 2) + "-" + pad(Int64(d), 2)
        out += " " + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(rest, 6) + "+00"
        return y >= 1 ? out : out + " BC"
    }

    /// SQL expression reading a timestamptz column as microseconds since the epoch (exact).
    static func micros(_ column: String) -> String {
        "(extract(epoch from \(column)) * 1000000)::int8"
    }

    /// A one-dimensional array literal, every element quoted: `{"a","b\"c"}`.
    public static func arrayLiteral(_ items: [String]) -> String {
        var out = "{"
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for u in sanitized(item).unicodeScalars {
                if u == "\"" || u == "\\" { out += "\\" }
                out.unicodeScalars.append(u)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Parses a one-dimensional array in PostgreSQL's output format
    /// (`{a,"b c",NULL}`); nil when malformed.
    public static func parseArray(_ text: String) -> [String?]? {
        let u = Array(text.utf8)
        guard u.first == UInt8(ascii: "{"), u.last == UInt8(ascii: "}") else { return nil }
        var items: [String?] = []
        var i = 1
        let end = u.count - 1
        if end == 1 { return [] }
        while i <= end {
            var bytes: [UInt8] = []
            var quoted = false
            if u[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < end, u[i] != UInt8(ascii: "\"") {
                    if u[i] == UInt8(ascii: "\\") { i += 1; guard i < end else { return nil } }
                    bytes.append(u[i]); i += 1
                }
                guard i < end else { return nil }
                i += 1  // closing quote
            } else {
                while i < end, u[i] != UInt8(ascii: ",") {
                    if u[i] == UInt8(ascii: "\\") { i += 1; guard i < end else { return nil } }
                    bytes.append(u[i]); i += 1
                }
            }
            let s = String(decoding: bytes, as: UTF8.self)
            items.append(!quoted && s == "NULL" ? nil : s)
            guard i == end || u[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return items
    }

    /// A `bytea` literal in hex format: `\x0a1b…`.
    public static func byteaHex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [0x5C, 0x78]
        CopyText.appendHex(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a `bytea` value in hex output format; nil when malformed.
    public static func parseBytea(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == 0x5C, u[1] == 0x78, u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity((u.count - 2) / 2)
        var i = 2
        while i < u.count {
            guard let hi = hexValue(u[i]), let lo = hexValue(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// A LIKE/ILIKE pattern matching `text` anywhere, with `%`, `_` and `\` escaped.
    public static func containsPattern(_ text: String) -> String {
        var out = "%"
        for u in sanitized(text).unicodeScalars {
            if u == "%" || u == "_" || u == "\\" { out += "\\" }
            out.unicodeScalars.append(u)
        }
        return out + "%"
    }

    /// The string with U+0000 (which PostgreSQL text cannot hold) replaced by U+FFFD.
    public static func sanitized(_ s: String) -> String {
        guard s.utf8.contains(0) else { return s }
        return String(s.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : Character($0) })
    }

    /// The text of UTF-8 bytes, with invalid sequences and U+0000 replaced by U+FFFD.
    static func text(of bytes: [UInt8]) -> String {
        sanitized(String(decoding: bytes, as: UTF8.self))
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// A parsed JSON value that keeps numbers as their source text (money
/// never passes through binary floating point) and objects in source order.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number exactly as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in source order (a repeated key keeps both; lookups take the last).
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let n): h.combine(n)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    /// The member `key` of an object (the last one when repeated).
    subscript(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// The members of an object, or an empty list.
    var members: [(String, JSONValue)] {
        if case .object(let m) = self { return m }
        return []
    }

    /// The elements of an array, or an empty list.
    var elements: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }

    /// A string's value, a number's text, `true`/`false`; nil otherwise.
    var scalarText: String? {
        switch self {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    /// The value as compact JSON text.
    var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): out += JSONWriter.quote(s)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                out += JSONWriter.quote(k) + ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    /// Parses JSON text; nil when malformed. Nesting deeper than 256 levels is refused.
    static func parse(_ text: String) -> JSONValue? {
        var p = Parser(bytes: Array(text.utf8))
        p.skipSpace()
        guard let v = p.value(depth: 0) else { return nil }
        p.skipSpace()
        return p.i == p.bytes.count ? v : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { return false }
            i += w.count
            return true
        }

        mutating func value(depth: Int) -> JSONValue? {
            guard depth < 256, i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard let k = string() else { return nil }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                    i += 1
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    members.append((k, v))
                    skipSpace()
                    guard i < bytes.count else { return nil }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    return nil
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skipSpace()
                    guard i < bytes.count else { return nil }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    return nil
                }
            case UInt8(ascii: "\""):
                return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default:
                let start = i
                if bytes[i] == UInt8(ascii: "-") { i += 1 }
                var digits = 0
                while i < bytes.count {
                    let c = bytes[i]
                    if (c >= 0x30 && c <= 0x39) { digits += 1; i += 1 }
                    else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                        || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { i += 1 }
                    else { break }
                }
                guard digits > 0 else { return nil }
                return .number(String(decoding: bytes[start..<i], as: UTF8.self))
            }
        }

        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if c == UInt8(ascii: "\\") {
                    guard i + 1 < bytes.count else { return nil }
                    let e = bytes[i + 1]
                    i += 2
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if scalar >= 0xD800 && scalar < 0xDC00, i + 1 < bytes.count,
                           bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            let save = i
                            i += 2
                            if let low = hex4(), low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = save
                            }
                        }
                        let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: out.append(e)
                    }
                } else {
                    out.append(c)
                    i += 1
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                guard let h = HTMLText.hex(bytes[i + k]) else { return nil }
                v = v << 4 | UInt32(h)
            }
            i += 4
            return v
        }
    }
}

/// Builds JSON text for the API: objects with fields in the order written.
struct JSONWriter {
    private(set) var text = "{"
    private var first = true

    init() {}

    /// A JSON string literal (control characters and U+2028/9 escaped; `<`
    /// escaped too, so the text is safe inside HTML as well).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{0}": out += "\u{FFFD}"  // jsonb and text cannot hold U+0000 (22P05)
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private mutating func key(_ k: String) {
        if !first { text += "," }
        first = false
        text += JSONWriter.quote(k) + ":"
    }

    /// A string field (null when nil).
    mutating func field(_ k: String, _ v: String?) {
        key(k)
        text += v.map(JSONWriter.quote) ?? "null"
    }

    /// An integer field.
    mutating func field(_ k: String, _ v: Int64?) {
        key(k)
        text += v.map { String($0) } ?? "null"
    }

    /// An integer field.
    mutating func field(_ k: String, _ v: Int) { field(k, Int64(v)) }

    /// A number field.
    mutating func field(_ k: String, _ v: Double?) {
        key(k)
        if let v, v.isFinite { text += String(v) } else { text += "null" }
    }

    /// A boolean field.
    mutating func field(_ k: String, _ v: Bool) {
        key(k)
        text += v ? "true" : "false"
    }

    /// An array of strings.
    mutating func field(_ k: String, _ v: [String]) {
        key(k)
        text += "[" + v.map(JSONWriter.quote).joined(separator: ",") + "]"
    }

    /// A field whose value is JSON text already.
    mutating func raw(_ k: String, _ json: String) {
        key(k)
        text += json
    }

    /// A parsed value.
    mutating func field(_ k: String, _ v: JSONValue) {
        key(k)
        v.write(to: &text)
    }

    /// The finished object.
    var json: String { text + "}" }

    /// `[a,b,…]` of JSON texts.
    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}

extension JSONValue {
    /// The top-level elements of a JSON array as their exact source texts;
    /// nil when `text` is not an array.
    static func rawElements(ofArray text: String) -> [String]? {
        let u = Array(text.utf8)
        var i = 0
        func space() { while i < u.count, u[i] == 0x20 || u[i] == 0x0A || u[i] == 0x0D || u[i] == 0x09 { i += 1 } }
        space()
        guard i < u.count, u[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var out: [String] = []
        var depth = 0
        var start: Int? = nil
        var inString = false
        while i < u.count {
            let c = u[i]
            if inString {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""):
                inString = true
                if start == nil { start = i }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if start == nil { start = i }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 {
                    // the closing bracket of the outer array
                    if let s = start { out.append(String(decoding: u[s..<i], as: UTF8.self).trimmed) }
                    return out
                }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0, let s = start {
                    out.append(String(decoding: u[s..<i], as: UTF8.self).trimmed)
                    start = nil
                }
            case 0x20, 0x0A, 0x0D, 0x09:
                break
            default:
                if start == nil { start = i }
            }
            i += 1
        }
        return nil
    }
}

/// The top-level members of a raw event as display text: strings
/// unescaped, numbers as written, other values as their JSON text. Used to
/// render summaries, keys and evidence; never on the hot path.
public struct RawFields: Sendable {
    public private(set) var members: [(name: String, text: String, isString: Bool)] = []

    public init(_ raw: [UInt8]) {
        raw.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else { return }
            var s = JSONScanner(base: base, count: buf.count, maxDepth: 512)
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: "{") else { return }
            s.i += 1
            while true {
                s.skipWhitespace()
                guard s.peek == UInt8(ascii: "\"") else { return }
                let ks = s.i + 1
                var esc = false
                guard s.scanString(escaped: &esc) else { return }
                let keySpan = UnsafeBufferPointer(start: base + ks, count: s.i - 1 - ks)
                let key = String(decoding: esc ? JSONScanner.unescape(keySpan) : Array(keySpan), as: UTF8.self)
                s.skipWhitespace()
                guard s.peek == UInt8(ascii: ":") else { return }
                s.i += 1
                s.skipWhitespace()
                let vs = s.i
                var m = Member()
                guard s.scanValue(depth: 1, member: &m) else { return }
                let text: String
                if m.kind == .string {
                    let span = UnsafeBufferPointer(start: base + Int(m.start), count: Int(m.end - m.start))
                    text = String(decoding: m.hasEscape ? JSONScanner.unescape(span) : Array(span), as: UTF8.self)
                } else {
                    text = String(decoding: UnsafeBufferPointer(start: base + vs, count: s.i - vs), as: UTF8.self)
                }
                members.removeAll { $0.name == key }
                members.append((key, text, m.kind == .string))
                s.skipWhitespace()
                if s.peek == UInt8(ascii: ",") { s.i += 1; continue }
                return
            }
        }
    }

    /// The display text of a member, nil when absent or null.
    public func text(_ name: String) -> String? {
        guard let m = members.last(where: { $0.name == name }) else { return nil }
        if !m.isString && m.text == "null" { return nil }
        return m.text
    }
}

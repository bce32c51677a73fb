/// The top-level members of a raw event as display text: strings
/// unescaped, numbers as written, other values as their JSON text. Used to
/// render summaries, keys and evidence when an alert fires.
///
/// Lazy: `text(_:)` scans the JSON for the one member asked for. Building
/// every member's name and text up front (two strings each, a dozen
/// members) for the two or three a summary reads was a third of the cost
/// of rendering an alert.
public struct RawFields: Sendable {
    private let raw: [UInt8]

    public init(_ raw: [UInt8]) { self.raw = raw }

    /// The display text of a member, nil when absent or null. When a name
    /// occurs more than once, the last occurrence counts.
    public func text(_ name: String) -> String? {
        var wanted = name
        return wanted.withUTF8 { key in lookUp(key) } ?? nil
    }

    /// `.some(nil)`: present but null; nil: absent.
    private func lookUp(_ wanted: UnsafeBufferPointer<UInt8>) -> String?? {
        raw.withUnsafeBufferPointer { buf -> String?? in
            guard let base = buf.baseAddress, buf.count > 0 else { return nil }
            var found: String?? = nil
            var s = JSONScanner(base: base, count: buf.count, maxDepth: 512)
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: "{") else { return nil }
            s.i += 1
            while true {
                s.skipWhitespace()
                guard s.peek == UInt8(ascii: "\"") else { return found }
                let ks = s.i + 1
                var esc = false
                guard s.scanString(escaped: &esc) else { return found }
                let keySpan = UnsafeBufferPointer(start: base + ks, count: s.i - 1 - ks)
                // Lengths first: most names differ in length from the one wanted.
                let matches = esc ? JSONScanner.unescape(keySpan).elementsEqual(wanted)
                                  : keySpan.count == wanted.count && keySpan.elementsEqual(wanted)
                s.skipWhitespace()
                guard s.peek == UInt8(ascii: ":") else { return found }
                s.i += 1
                s.skipWhitespace()
                let vs = s.i
                var m = Member()
                guard s.scanValue(depth: 1, member: &m) else { return found }
                if matches {
                    if m.kind == .string {
                        let span = UnsafeBufferPointer(start: base + Int(m.start), count: Int(m.end - m.start))
                        found = .some(m.hasEscape ? String(decoding: JSONScanner.unescape(span), as: UTF8.self)
                                                  : String(decoding: span, as: UTF8.self))
                    } else {
                        let text = String(decoding: UnsafeBufferPointer(start: base + vs, count: s.i - vs), as: UTF8.self)
                        found = .some(text == "null" ? nil : text)
                    }
                }
                s.skipWhitespace()
                if s.peek == UInt8(ascii: ",") { s.i += 1; continue }
                return found
            }
        }
    }
}

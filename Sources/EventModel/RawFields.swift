#if canImport(Glibc)
import Glibc
#endif

/// The top-level members of a raw event as display text: strings
/// unescaped, numbers as written, other values as their JSON text. Used to
/// render summaries, keys and evidence when an alert fires.
///
/// Lazy: `text(_:)` scans the JSON for the one member asked for. Building
/// every member's name and text up front (two strings each, a dozen
/// members) for the two or three a summary reads was a third of the cost
/// of rendering an alert. A reader of several members of one event keeps a
/// `RawMemberIndex` instead: one scan notes where every member lies, and
/// each read then makes only the text it asks for.
public struct RawFields: Sendable {
    private let raw: [UInt8]

    public init(_ raw: [UInt8]) { self.raw = raw }

    /// The display text of a member, nil when absent or null. When a name
    /// occurs more than once, the last occurrence counts.
    public func text(_ name: String) -> String? {
        var wanted = name
        return wanted.withUTF8 { key in
            raw.withUnsafeBufferPointer { buf -> String?? in
                var found: String?? = nil
                RawFields.forEachMember(buf) { span, base in
                    if span.named(key, base) { found = .some(span.text(base)) }
                }
                return found
            }
        } ?? nil
    }

    /// `text("event_id")` of `raw`, found without scanning the object where
    /// that is safe: a line that begins `{"event_id": "…"` (the order
    /// upstream systems and `qianliyan generate` write), holds no backslash
    /// (so no escaped name and no quote inside a string) and names
    /// `"event_id"` nowhere else (so no later member overrides it). Reading
    /// an alert's evidence back from a ledger scanned each event's JSON for
    /// its id (≈ 3,400 instructions an event).
    public static func eventID(of raw: [UInt8]) -> String? {
        let fast: String?? = raw.withUnsafeBufferPointer { buf -> String?? in
            guard let base = buf.baseAddress else { return nil }
            let n = buf.count
            var i = 0
            func skipSpace() { while i < n && JSONScanner.isWhitespace(base[i]) { i += 1 } }
            skipSpace()
            guard i < n && base[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            skipSpace()
            let name = i
            let key: StaticString = "\"event_id\""
            guard n - i >= key.utf8CodeUnitCount, memcmp(base + i, key.utf8Start, key.utf8CodeUnitCount) == 0 else { return nil }
            i += key.utf8CodeUnitCount
            skipSpace()
            guard i < n && base[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard i < n && base[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            guard let close = memchr(base + start, Int32(UInt8(ascii: "\"")), n - start) else { return nil }
            let end = UnsafePointer<UInt8>(close.assumingMemoryBound(to: UInt8.self)) - base
            guard memchr(base, Int32(UInt8(ascii: "\\")), n) == nil,
                  !contains(key, in: base + name + 1, count: n - name - 1) else { return nil }
            let id = UnsafeBufferPointer(start: base + start, count: end - start)
            // Control bytes are not JSON: leave them to the full scan.
            guard !id.contains(where: { $0 < 0x20 }) else { return nil }
            return .some(String(decoding: id, as: UTF8.self))
        }
        if let fast { return fast }
        return RawFields(raw).text("event_id")
    }

    /// Whether `key` (which starts with a quote) occurs in the `count` bytes at `p`.
    private static func contains(_ key: StaticString, in p: UnsafePointer<UInt8>, count: Int) -> Bool {
        let k = key.utf8CodeUnitCount
        var i = 0
        while count - i >= k, let q = memchr(p + i, Int32(key.utf8Start[0]), count - i - k + 1) {
            let at = UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - p
            if memcmp(p + at, key.utf8Start, k) == 0 { return true }
            i = at + 1
        }
        return false
    }

    /// Calls `body` with each top-level member of a JSON object, in order,
    /// until the object ends or a fault is met (the members before it count).
    static func forEachMember(_ buf: UnsafeBufferPointer<UInt8>, _ body: (RawMemberIndex.Span, UnsafePointer<UInt8>) -> Void) {
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
            let keyEnd = s.i - 1
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: ":") else { return }
            s.i += 1
            s.skipWhitespace()
            let vs = s.i
            var m = Member()
            guard s.scanValue(depth: 1, member: &m) else { return }
            body(RawMemberIndex.Span(keyStart: Int32(truncatingIfNeeded: ks), keyEnd: Int32(truncatingIfNeeded: keyEnd), keyEscaped: esc,
                                     valueStart: Int32(truncatingIfNeeded: vs), valueEnd: Int32(truncatingIfNeeded: s.i),
                                     member: m), base)
            s.skipWhitespace()
            if s.peek == UInt8(ascii: ",") { s.i += 1; continue }
            return
        }
    }
}

/// Where the top-level members of one raw event lie (`RawFields`), for
/// reading several of them with one scan of the JSON.
public struct RawMemberIndex: Sendable {
    struct Span: Sendable {
        var keyStart: Int32
        var keyEnd: Int32
        var keyEscaped: Bool
        /// The value as written (`valueStart..<valueEnd`).
        var valueStart: Int32
        var valueEnd: Int32
        /// Kind, and for a string the span of its content.
        var member: Member

        /// Whether the member's name is `wanted` (lengths first: most names differ in length).
        func named(_ wanted: UnsafeBufferPointer<UInt8>, _ base: UnsafePointer<UInt8>) -> Bool {
            let key = UnsafeBufferPointer(start: base + Int(keyStart), count: Int(keyEnd - keyStart))
            return keyEscaped ? JSONScanner.unescape(key).elementsEqual(wanted)
                              : key.count == wanted.count && key.elementsEqual(wanted)
        }

        /// The display text (nil for null).
        func text(_ base: UnsafePointer<UInt8>) -> String? {
            if member.kind == .string {
                let span = UnsafeBufferPointer(start: base + Int(member.start), count: Int(member.end - member.start))
                return member.hasEscape ? String(decoding: JSONScanner.unescape(span), as: UTF8.self)
                                        : String(decoding: span, as: UTF8.self)
            }
            let text = String(decoding: UnsafeBufferPointer(start: base + Int(valueStart), count: Int(valueEnd - valueStart)), as: UTF8.self)
            return text == "null" ? nil : text
        }
    }

    private var spans: [Span] = []

    public init() {}

    /// Notes where the members of `raw` lie (forgetting those of the last event indexed).
    public mutating func index(_ raw: [UInt8]) {
        spans.removeAll(keepingCapacity: true)
        raw.withUnsafeBufferPointer { buf in
            RawFields.forEachMember(buf) { span, _ in spans.append(span) }
        }
    }

    /// `RawFields(raw).text(name)` for the `raw` last indexed.
    public func text(_ name: String, in raw: [UInt8]) -> String? {
        var wanted = name
        return wanted.withUTF8 { key in
            raw.withUnsafeBufferPointer { buf -> String? in
                guard let base = buf.baseAddress else { return nil }
                for span in spans.reversed() where span.named(key, base) { return span.text(base) }
                return nil
            }
        }
    }
}

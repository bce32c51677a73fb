#if canImport(Glibc)
import Glibc
#endif

/// Decodes one JSON object (a ledger line or a Kafka message) into a
/// validated `Event`, or says precisely why it breaks the contract.
///
/// A single pass over the raw bytes records where each top-level member's
/// value lies; then the members the contract knows are checked and converted
/// in place — no intermediate JSON tree, no Foundation, no floating point.
/// Every fault is a `DecodeError`; nothing here traps on bad input.
public struct EventDecoder: Sendable {
    /// Objects larger than this are rejected as `too_large` without parsing.
    public var maxBytes: Int
    /// Containers nested deeper than this are rejected as `bad_json`.
    public var maxDepth: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 512) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// What one line holds.
    public enum Outcome: Sendable {
        case event(Event)
        /// Only whitespace: skipped, not a violation.
        case blank
        case invalid(DecodeError)
    }

    public func decode(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    public func decode(_ buf: UnsafeBufferPointer<UInt8>) -> Outcome {
        guard let base = buf.baseAddress, buf.count > 0 else { return .blank }
        var p = JSONScanner(base: base, count: buf.count, maxDepth: maxDepth)
        p.skipWhitespace()
        if p.atEnd { return .blank }
        if buf.count > maxBytes {
            return .invalid(DecodeError(.tooLarge, "object of \(buf.count) bytes exceeds the limit of \(maxBytes) bytes"))
        }
        if p.peek != UInt8(ascii: "{") {
            // Valid JSON that is not an object, or not JSON at all.
            if p.skipValue(depth: 0) {
                p.skipWhitespace()
                if p.atEnd { return .invalid(DecodeError(.notObject, "the JSON value is not an object")) }
            }
            return .invalid(DecodeError(.badJSON, p.error ?? "not valid JSON"))
        }
        var members = MemberTable()
        guard p.scanTopObject(into: &members) else {
            return .invalid(DecodeError(.badJSON, p.error ?? "not valid JSON"))
        }
        p.skipWhitespace()
        if !p.atEnd { return .invalid(DecodeError(.badJSON, "unexpected data after the JSON object at byte \(p.i + 1)")) }
        return build(members, base: base, buf: buf)
    }

    // MARK: - validation of the members

    private func build(_ m: borrowing MemberTable, base: UnsafePointer<UInt8>, buf: UnsafeBufferPointer<UInt8>) -> Outcome {
        // event_id
        guard m.has(KeyIndex.eventID) else { return .invalid(DecodeError(.missingField, field: "event_id", "required field is missing")) }
        let idM = m[KeyIndex.eventID]
        if idM.kind == .null { return .invalid(DecodeError(.nullRequired, field: "event_id", "required field is null")) }
        guard idM.kind == .string else { return .invalid(wrongType("event_id", idM, expected: "a string")) }
        var idText = ""
        var idKey = Fingerprint.zero
        let idProblem: DecodeError? = withString(idM, base) { id in
            guard id.count >= 1 && id.count <= 64 else {
                return DecodeError(.badEventID, field: "event_id", "must be 1–64 characters, got \(id.count)")
            }
            for c in id where !EventDecoder.isIDChar(c) {
                return DecodeError(.badEventID, field: "event_id", "contains a character outside A-Za-z0-9._:-")
            }
            idText = String(decoding: id, as: UTF8.self)
            idKey = Fingerprint(bytes: id)
            return nil
        }
        if let e = idProblem { return .invalid(e) }
        // type
        guard m.has(KeyIndex.type) else { return .invalid(DecodeError(.missingField, field: "type", "required field is missing")) }
        let typeM = m[KeyIndex.type]
        if typeM.kind == .null { return .invalid(DecodeError(.nullRequired, field: "type", "required field is null")) }
        guard typeM.kind == .string else { return .invalid(wrongType("type", typeM, expected: "a string")) }
        guard let type = withString(typeM, base, EventDecoder.eventType) else {
            let shown = withString(typeM, base) { EventDecoder.printable($0) }
            return .invalid(DecodeError(.unknownType, field: "type", "'\(shown)' is not an event type of the contract"))
        }
        // occurred_at
        guard m.has(KeyIndex.occurredAt) else { return .invalid(DecodeError(.missingField, field: "occurred_at", "required field is missing")) }
        let timeM = m[KeyIndex.occurredAt]
        if timeM.kind == .null { return .invalid(DecodeError(.nullRequired, field: "occurred_at", "required field is null")) }
        guard timeM.kind == .string else { return .invalid(wrongType("occurred_at", timeM, expected: "an RFC 3339 string")) }
        let time: Instant
        switch withString(timeM, base, Timestamp.parse) {
        case .success(let t): time = t
        case .failure(let why): return .invalid(DecodeError(.badTimestamp, field: "occurred_at", why.detail))
        }
        // village
        guard m.has(KeyIndex.village) else { return .invalid(DecodeError(.missingField, field: "village", "required field is missing")) }
        let villageM = m[KeyIndex.village]
        if villageM.kind == .null { return .invalid(DecodeError(.nullRequired, field: "village", "required field is null")) }
        guard villageM.kind == .string else { return .invalid(wrongType("village", villageM, expected: "a string of 12 digits")) }
        let vcode: UInt64? = withString(villageM, base) { vb in
            guard vb.count == 12 else { return nil }
            var v: UInt64 = 0
            for c in vb {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + UInt64(c - 48)
            }
            return v
        }
        guard let vcode else { return .invalid(DecodeError(.badVillage, field: "village", "must be exactly 12 digits")) }

        // type-specific fields
        var fields = InlineArray<13, FieldValue>(repeating: .absent)
        let plan = FieldPlan.plans[Int(type.rawValue)]
        for slot in plan.indices {
            let f = plan[slot]
            guard m.has(f.key) else {
                if f.required { return .invalid(DecodeError(.missingField, field: f.spec.field.name, "required field is missing")) }
                continue
            }
            let v = m[f.key]
            if v.kind == .null {
                if f.required { return .invalid(DecodeError(.nullRequired, field: f.spec.field.name, "required field is null")) }
                continue
            }
            if f.emptyMeansAbsent && v.kind == .string && v.end == v.start { continue }
            switch convert(f, v, base) {
            case .success(let fv): fields[slot] = fv
            case .failure(let e): return .invalid(e)
            }
        }
        var ev = Event(id: idText, idKey: idKey, type: type, time: time, village: VillageCode(value: vcode), fields: fields, raw: Array(buf))
        _ = ev.type
        return .event(ev)
    }

    private func wrongType(_ name: String, _ v: Member, expected: String) -> DecodeError {
        DecodeError(.wrongType, field: name, "expected \(expected), got \(v.kind.jsonName)")
    }

    /// Runs `body` over a string member's unescaped bytes, copying only when it has escapes.
    @inline(__always)
    func withString<R>(_ v: Member, _ base: UnsafePointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let span = UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start))
        if !v.hasEscape { return body(span) }
        return JSONScanner.unescape(span).withUnsafeBufferPointer(body)
    }

    private func convert(_ f: FieldPlan, _ v: Member, _ base: UnsafePointer<UInt8>) -> Result<FieldValue, DecodeError> {
        switch f.spec.field.kind {
        case .string:
            guard v.kind == .string else { return .failure(wrongType(f.spec.field.name, v, expected: "a string")) }
            return .success(.string(withString(v, base) { Fingerprint(bytes: $0) }))
        case .money:
            let r: Result<Int64, MoneyParseError>
            if v.kind == .number {
                r = Money.parseNumber(UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start)))
            } else if v.kind == .string {
                r = withString(v, base, Money.parseString)
            } else {
                return .failure(wrongType(f.spec.field.name, v, expected: "a number or a decimal string"))
            }
            switch r {
            case .success(let fen): return .success(.money(fen: fen))
            case .failure(let e): return .failure(DecodeError(.badAmount, field: f.spec.field.name, e.detail))
            }
        case .number:
            guard v.kind == .number else { return .failure(wrongType(f.spec.field.name, v, expected: "a JSON number")) }
            switch DecimalNumber.parseMicros(UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start))) {
            case .some(let micros): return .success(.number(micros: micros))
            case .none: return .failure(DecodeError(.badNumber, field: f.spec.field.name, "number out of the supported range (±9×10¹²)"))
            }
        case .date:
            guard v.kind == .string else { return .failure(wrongType(f.spec.field.name, v, expected: "a YYYY-MM-DD string")) }
            guard let d = withString(v, base, Timestamp.parseDate) else {
                return .failure(DecodeError(.badDate, field: f.spec.field.name, "not a valid YYYY-MM-DD date"))
            }
            return .success(.date(day: d))
        case .month:
            guard v.kind == .string else { return .failure(wrongType(f.spec.field.name, v, expected: "a YYYY-MM string")) }
            guard let mo = withString(v, base, Timestamp.parseMonth) else {
                return .failure(DecodeError(.badDate, field: f.spec.field.name, "not a valid YYYY-MM month"))
            }
            return .success(.month(mo))
        case .enumeration:
            guard v.kind == .string else { return .failure(wrongType(f.spec.field.name, v, expected: "a string")) }
            let idx: Int? = withString(v, base) { s in
                for (i, a) in f.allowed.enumerated() where a.count == s.count && memcmp(a, s.baseAddress!, s.count) == 0 { return i }
                return nil
            }
            if let idx { return .success(.enumeration(idx)) }
            let shown = withString(v, base) { EventDecoder.printable($0) }
            return .failure(DecodeError(.badEnum, field: f.spec.field.name, "'\(shown)' is not one of \(f.spec.allowed.joined(separator: ", "))"))
        case .stringList:
            guard v.kind == .array, v.allStrings else { return .failure(wrongType(f.spec.field.name, v, expected: "an array of strings")) }
            let fp = Fingerprint(base: base + Int(v.start), count: Int(v.end - v.start))
            return .success(FieldValue(tag: .stringList, a: Int64(v.count), b: fp.lo))
        }
    }

    @inlinable
    static func isIDChar(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 58 || c == 45
    }

    static let typeNames: [([UInt8], EventType)] = EventType.allCases.map { (Array($0.name.utf8), $0) }

    static func eventType(_ s: UnsafeBufferPointer<UInt8>) -> EventType? {
        guard let p = s.baseAddress else { return nil }
        for (n, t) in typeNames where n.count == s.count && memcmp(n, p, s.count) == 0 { return t }
        return nil
    }

    /// A short, printable rendering of a value for error messages.
    static func printable(_ s: UnsafeBufferPointer<UInt8>) -> String {
        let t = String(decoding: s.prefix(40), as: UTF8.self)
        return s.count > 40 ? t + "…" : t
    }
}

// MARK: - Member table

enum ValueKind: UInt8 {
    case string, number, trueValue, falseValue, null, object, array

    var jsonName: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .trueValue, .falseValue: "a boolean"
        case .null: "null"
        case .object: "an object"
        case .array: "an array"
        }
    }
}

struct Member {
    var start: Int32 = 0
    var end: Int32 = 0
    var kind: ValueKind = .null
    var hasEscape = false
    var allStrings = true
    var count: Int32 = 0
}

/// The indexes of keys the contract knows: 4 common ones, then every `Field`.
enum KeyIndex {
    static let eventID = 0, type = 1, occurredAt = 2, village = 3
    static let count = 4 + Field.allCases.count
    @inline(__always) static func field(_ f: Field) -> Int { 4 + Int(f.rawValue) }

    static let names: [[UInt8]] = (["event_id", "type", "occurred_at", "village"] + FieldCatalog.names).map { Array($0.utf8) }

    /// Open-addressed table of (packed key words, index) for keys of up to 16 bytes.
    static let table: [(UInt64, UInt64, Int8, Int16)] = {
        var t = [(UInt64, UInt64, Int8, Int16)](repeating: (0, 0, -1, 0), count: 256)
        for (i, n) in names.enumerated() {
            let (w0, w1) = pack(n)
            var h = slotHash(w0, w1, n.count)
            while t[h].2 >= 0 { h = (h + 1) & 255 }
            t[h] = (w0, w1, Int8(i), Int16(n.count))
        }
        return t
    }()

    static func pack(_ n: [UInt8]) -> (UInt64, UInt64) {
        var w0: UInt64 = 0, w1: UInt64 = 0
        for (j, c) in n.enumerated() {
            if j < 8 { w0 |= UInt64(c) << (8 * UInt64(j)) } else { w1 |= UInt64(c) << (8 * UInt64(j - 8)) }
        }
        return (w0, w1)
    }

    @inline(__always)
    static func slotHash(_ w0: UInt64, _ w1: UInt64, _ len: Int) -> Int {
        let h = (w0 &* 0x9E37_79B9_7F4A_7C15) ^ (w1 &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(len)
        return Int(truncatingIfNeeded: h >> 56)
    }

    /// The index of a key given as raw (escape-free) bytes, or -1.
    @inline(__always)
    static func lookup(_ p: UnsafePointer<UInt8>, _ len: Int) -> Int {
        guard len > 0 && len <= 16 else { return -1 }
        var w0: UInt64 = 0, w1: UInt64 = 0
        if len >= 8 {
            w0 = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
            if len == 16 { w1 = UnsafeRawPointer(p + 8).loadUnaligned(as: UInt64.self) } else {
                for j in 8..<len { w1 |= UInt64(p[j]) << (8 * UInt64(j - 8)) }
            }
        } else {
            for j in 0..<len { w0 |= UInt64(p[j]) << (8 * UInt64(j)) }
        }
        var h = slotHash(w0, w1, len)
        let t = table
        while true {
            let e = t[h]
            if e.2 < 0 { return -1 }
            if e.0 == w0 && e.1 == w1 && Int(e.3) == len { return Int(e.2) }
            h = (h + 1) & 255
        }
    }
}

/// Per event type, what to do with each field, without strings on the hot path.
struct FieldPlan {
    let spec: FieldSpec
    let key: Int
    let required: Bool
    let emptyMeansAbsent: Bool
    let allowed: [[UInt8]]

    static let plans: [[FieldPlan]] = EventType.allCases.map { t in
        t.fields.map { s in
            FieldPlan(spec: s, key: KeyIndex.field(s.field), required: s.required,
                      emptyMeansAbsent: !s.required && s.field.emptyMeansAbsent, allowed: s.allowed.map { Array($0.utf8) })
        }
    }
}

struct MemberTable {
    var seen: UInt64 = 0
    var members = InlineArray<48, Member>(repeating: Member())

    @inline(__always) func has(_ k: Int) -> Bool { seen & (1 << UInt64(k)) != 0 }
    @inline(__always) subscript(_ k: Int) -> Member {
        get { members[k] }
        set { members[k] = newValue; seen |= 1 << UInt64(k) }
    }
}

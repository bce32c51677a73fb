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

    private func build(_ m: MemberTable, base: UnsafePointer<UInt8>, buf: UnsafeBufferPointer<UInt8>) -> Outcome {
        // event_id
        let idM: Member
        switch requireMember(m, KeyIndex.eventID, "event_id") {
        case .failure(let e): return .invalid(e)
        case .success(let v): idM = v
        }
        guard idM.kind == .string else { return .invalid(wrongType("event_id", idM, expected: "a string")) }
        let idBytes = stringBytes(idM, base)
        guard idBytes.count >= 1 && idBytes.count <= 64 else {
            return .invalid(DecodeError(.badEventID, field: "event_id", "must be 1–64 characters, got \(idBytes.count)"))
        }
        for c in idBytes where !EventDecoder.isIDChar(c) {
            return .invalid(DecodeError(.badEventID, field: "event_id", "contains a character outside A-Za-z0-9._:-"))
        }
        // type
        let typeM: Member
        switch requireMember(m, KeyIndex.type, "type") {
        case .failure(let e): return .invalid(e)
        case .success(let v): typeM = v
        }
        guard typeM.kind == .string else { return .invalid(wrongType("type", typeM, expected: "a string")) }
        guard let type = EventDecoder.eventType(stringBytes(typeM, base)) else {
            return .invalid(DecodeError(.unknownType, field: "type", "'\(EventDecoder.printable(stringBytes(typeM, base)))' is not an event type of the contract"))
        }
        // occurred_at
        let timeM: Member
        switch requireMember(m, KeyIndex.occurredAt, "occurred_at") {
        case .failure(let e): return .invalid(e)
        case .success(let v): timeM = v
        }
        guard timeM.kind == .string else { return .invalid(wrongType("occurred_at", timeM, expected: "an RFC 3339 string")) }
        let time: Instant
        switch Timestamp.parse(stringBytes(timeM, base)) {
        case .success(let t): time = t
        case .failure(let why): return .invalid(DecodeError(.badTimestamp, field: "occurred_at", why.detail))
        }
        // village
        let villageM: Member
        switch requireMember(m, KeyIndex.village, "village") {
        case .failure(let e): return .invalid(e)
        case .success(let v): villageM = v
        }
        guard villageM.kind == .string else { return .invalid(wrongType("village", villageM, expected: "a string of 12 digits")) }
        let vb = stringBytes(villageM, base)
        guard vb.count == 12, vb.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return .invalid(DecodeError(.badVillage, field: "village", "must be exactly 12 digits"))
        }
        var vcode: UInt64 = 0
        for c in vb { vcode = vcode * 10 + UInt64(c - 48) }

        // type-specific fields
        var fields = InlineArray<13, FieldValue>(repeating: .absent)
        for (slot, spec) in type.fields.enumerated() {
            let name = spec.field.name
            let k = KeyIndex.field(spec.field)
            guard m.has(k) else {
                if spec.required { return .invalid(DecodeError(.missingField, field: name, "required field is missing")) }
                continue
            }
            let v = m[k]
            if v.kind == .null {
                if spec.required { return .invalid(DecodeError(.nullRequired, field: name, "required field is null")) }
                continue
            }
            switch convert(spec, v, base) {
            case .success(let fv):
                if fv.tag == .string && !spec.required && spec.field.emptyMeansAbsent && v.end == v.start {
                    continue // an optional id that is the empty string counts as absent
                }
                fields[slot] = fv
            case .failure(let e):
                return .invalid(e)
            }
        }
        let id = String(decoding: idBytes, as: UTF8.self)
        let raw = Array(buf)
        var ev = Event(id: id, type: type, time: time, village: VillageCode(value: vcode), fields: fields, raw: raw)
        ev.idKey = idBytes.withUnsafeBufferPointer { Fingerprint(bytes: $0) }
        return .event(ev)
    }

    private func requireMember(_ m: MemberTable, _ k: Int, _ name: String) -> Result<Member, DecodeError> {
        guard m.has(k) else { return .failure(DecodeError(.missingField, field: name, "required field is missing")) }
        let v = m[k]
        if v.kind == .null { return .failure(DecodeError(.nullRequired, field: name, "required field is null")) }
        return .success(v)
    }

    private func wrongType(_ name: String, _ v: Member, expected: String) -> DecodeError {
        DecodeError(.wrongType, field: name, "expected \(expected), got \(v.kind.jsonName)")
    }

    private func convert(_ spec: FieldSpec, _ v: Member, _ base: UnsafePointer<UInt8>) -> Result<FieldValue, DecodeError> {
        let name = spec.field.name
        switch spec.field.kind {
        case .string:
            guard v.kind == .string else { return .failure(wrongType(name, v, expected: "a string")) }
            if v.hasEscape {
                let bytes = stringBytes(v, base)
                return .success(.string(bytes.withUnsafeBufferPointer { Fingerprint(bytes: $0) }))
            }
            return .success(.string(Fingerprint(base: base + Int(v.start), count: Int(v.end - v.start))))
        case .money:
            let r: Result<Int64, MoneyParseError>
            if v.kind == .number {
                r = Money.parseNumber(UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start)))
            } else if v.kind == .string {
                r = stringBytes(v, base).withUnsafeBufferPointer { Money.parseString($0) }
            } else {
                return .failure(wrongType(name, v, expected: "a number or a decimal string"))
            }
            switch r {
            case .success(let fen): return .success(.money(fen: fen))
            case .failure(let e): return .failure(DecodeError(.badAmount, field: name, e.detail))
            }
        case .number:
            guard v.kind == .number else { return .failure(wrongType(name, v, expected: "a JSON number")) }
            switch DecimalNumber.parseMicros(UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start))) {
            case .some(let micros): return .success(.number(micros: micros))
            case .none: return .failure(DecodeError(.badNumber, field: name, "number out of the supported range (±9×10¹²)"))
            }
        case .date:
            guard v.kind == .string else { return .failure(wrongType(name, v, expected: "a YYYY-MM-DD string")) }
            guard let d = Timestamp.parseDate(stringBytes(v, base)) else {
                return .failure(DecodeError(.badDate, field: name, "not a valid YYYY-MM-DD date"))
            }
            return .success(.date(day: d))
        case .month:
            guard v.kind == .string else { return .failure(wrongType(name, v, expected: "a YYYY-MM string")) }
            guard let mo = Timestamp.parseMonth(stringBytes(v, base)) else {
                return .failure(DecodeError(.badDate, field: name, "not a valid YYYY-MM month"))
            }
            return .success(.month(mo))
        case .enumeration:
            guard v.kind == .string else { return .failure(wrongType(name, v, expected: "a string")) }
            let s = stringBytes(v, base)
            for (i, a) in spec.allowed.enumerated() where a.utf8.elementsEqual(s) {
                return .success(.enumeration(i))
            }
            return .failure(DecodeError(.badEnum, field: name, "'\(EventDecoder.printable(s))' is not one of \(spec.allowed.joined(separator: ", "))"))
        case .stringList:
            guard v.kind == .array, v.allStrings else { return .failure(wrongType(name, v, expected: "an array of strings")) }
            let fp = Fingerprint(base: base + Int(v.start), count: Int(v.end - v.start))
            return .success(FieldValue(tag: .stringList, a: Int64(v.count), b: fp.lo))
        }
    }

    /// The string's content, unescaped.
    func stringBytes(_ v: Member, _ base: UnsafePointer<UInt8>) -> [UInt8] {
        let span = UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end - v.start))
        if !v.hasEscape { return Array(span) }
        return JSONScanner.unescape(span)
    }

    @inlinable
    static func isIDChar(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 58 || c == 45
    }

    static let typeNames: [([UInt8], EventType)] = EventType.allCases.map { (Array($0.name.utf8), $0) }

    static func eventType(_ s: [UInt8]) -> EventType? {
        for (n, t) in typeNames where n == s { return t }
        return nil
    }

    /// A short, printable rendering of a value for error messages.
    static func printable(_ s: [UInt8]) -> String {
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

struct MemberTable {
    var seen: UInt64 = 0
    var members = InlineArray<48, Member>(repeating: Member())

    @inline(__always) func has(_ k: Int) -> Bool { seen & (1 << UInt64(k)) != 0 }
    @inline(__always) subscript(_ k: Int) -> Member {
        get { members[k] }
        set { members[k] = newValue; seen |= 1 << UInt64(k) }
    }
}

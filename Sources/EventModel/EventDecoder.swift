/// What `EventDecoder.decode(_:into:)` found in one line.
public enum DecodeStatus: Sendable, Hashable {
    /// The event was decoded into the `inout` argument.
    case event
    /// Only whitespace: skipped, not a violation.
    case blank
    /// The line breaks the contract, for the reason given.
    case invalid(DecodeError)
}

/// Decodes one JSON object (a ledger line or a Kafka message) into a
/// validated `Event`, or says precisely why it breaks the contract.
///
/// A single pass over the raw bytes records where each top-level member's
/// value lies; then the members the contract knows are checked and converted
/// in place — no intermediate JSON tree, no Foundation, no floating point.
/// Every fault is a `DecodeError`; nothing here traps on bad input.
///
/// Two entry points: `decode(_:) -> Outcome` returns a fresh `Event`;
/// `decode(_:into:)` writes into an existing one and reuses its `raw`
/// buffer when it is not shared — the fastest way to decode a stream.
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
        var ev = Event.placeholder
        switch decode(buf, into: &ev) {
        case .event: return .event(ev)
        case .blank: return .blank
        case .invalid(let e): return .invalid(e)
        }
    }

    /// Decodes `bytes` into `event`. On `.event` every property of `event`
    /// is replaced (its `raw` buffer is reused when uniquely referenced);
    /// otherwise `event` holds unspecified (but valid) values.
    public func decode(_ bytes: [UInt8], into event: inout Event) -> DecodeStatus {
        bytes.withUnsafeBufferPointer { decode($0, into: &event) }
    }

    /// Decodes `bytes` into `event`, whose `raw` becomes `bytes` itself
    /// (shared, not copied: a Kafka record's value is already an array of
    /// its own; the copy cost each record an allocation and a copy of its
    /// bytes).
    public func decode(sharing bytes: [UInt8], into event: inout Event) -> DecodeStatus {
        let status = bytes.withUnsafeBufferPointer { decode($0, into: &event, copyingRaw: false) }
        if case .event = status { event.raw = bytes }
        return status
    }

    /// Decodes `buf` into `event`; see `decode(_:into:)`.
    public func decode(_ buf: UnsafeBufferPointer<UInt8>, into event: inout Event) -> DecodeStatus {
        decode(buf, into: &event, copyingRaw: true, idKnown: { _ in })
    }

    /// `decode(_:into:)`, calling `idKnown` with the id's fingerprint as
    /// soon as the id is found valid — before the rest of the event is
    /// checked and converted, which gives a caller's lookup of the id (a
    /// replay's id set: a cache miss per event) that long to arrive.
    public func decode(_ buf: UnsafeBufferPointer<UInt8>, into event: inout Event, idKnown: (Fingerprint) -> Void) -> DecodeStatus {
        decode(buf, into: &event, copyingRaw: true, idKnown: idKnown)
    }

    private func decode(_ buf: UnsafeBufferPointer<UInt8>, into event: inout Event, copyingRaw: Bool,
                        idKnown: (Fingerprint) -> Void = { _ in }) -> DecodeStatus {
        guard let base = buf.baseAddress, buf.count > 0 else { return .blank }
        var p = JSONScanner(base: base, count: buf.count, maxDepth: maxDepth)
        p.skipWhitespace()
        if p.atEnd { return .blank }
        if buf.count > maxBytes || buf.count > Int(Int32.max) {
            return .invalid(DecodeError(.tooLarge, "object of \(buf.count) bytes exceeds the limit of \(min(maxBytes, Int(Int32.max))) bytes"))
        }
        if p.p[p.i] != UInt8(ascii: "{") { return .invalid(notAnObject(&p)) }
        return KeyIndex.table.withUnsafeBufferPointer { keys in
            withUnsafeTemporaryAllocation(of: Member.self, capacity: MemberTable.capacity) { slots in
                var m = MemberTable(slots: slots.baseAddress!, keys: keys.baseAddress!)
                guard p.scanTopObject(into: &m) else {
                    return .invalid(DecodeError(.badJSON, p.error ?? "not valid JSON"))
                }
                p.skipWhitespace()
                if !p.atEnd { return .invalid(DecodeError(.badJSON, "unexpected data after the JSON object at byte \(p.i + 1)")) }
                return build(m, base: base, buf: buf, into: &event, copyingRaw: copyingRaw, idKnown: idKnown)
            }
        }
    }

    /// Valid JSON that is not an object, or not JSON at all.
    @inline(never)
    private func notAnObject(_ p: inout JSONScanner) -> DecodeError {
        if p.skipValue(depth: 0) {
            p.skipWhitespace()
            if p.atEnd { return DecodeError(.notObject, "the JSON value is not an object") }
        }
        return DecodeError(.badJSON, p.error ?? "not valid JSON")
    }

    // MARK: - validation of the members

    /// Checks the members in the contract's order (common fields, then the
    /// type's fields in slot order) and fills `ev`; the first fault wins.
    private func build(_ m: MemberTable, base: UnsafePointer<UInt8>, buf: UnsafeBufferPointer<UInt8>,
                       into ev: inout Event, copyingRaw: Bool, idKnown: (Fingerprint) -> Void) -> DecodeStatus {
        // event_id: checked now, turned into a String last.
        guard m.has(KeyIndex.eventID) else { return .invalid(DecodeError(.missingField, field: "event_id", "required field is missing")) }
        let idM = m[KeyIndex.eventID]
        guard idM.kind == .string else { return .invalid(requiredKindError("event_id", idM, expected: "a string")) }
        if !idM.hasEscape {
            guard EventDecoder.isValidID(span(idM, base)) else { return .invalid(EventDecoder.idError(span(idM, base))) }
        } else {
            let idProblem: DecodeError? = withString(idM, base) { EventDecoder.isValidID($0) ? nil : EventDecoder.idError($0) }
            if let e = idProblem { return .invalid(e) }
        }
        let idKey = withString(idM, base) { Fingerprint(bytes: $0) }
        idKnown(idKey)
        // type
        guard m.has(KeyIndex.type) else { return .invalid(DecodeError(.missingField, field: "type", "required field is missing")) }
        let typeM = m[KeyIndex.type]
        guard typeM.kind == .string else { return .invalid(requiredKindError("type", typeM, expected: "a string")) }
        guard let type = typeM.hasEscape ? withString(typeM, base, EventDecoder.eventType) : EventDecoder.eventType(span(typeM, base)) else {
            let shown = withString(typeM, base) { EventDecoder.printable($0) }
            return .invalid(DecodeError(.unknownType, field: "type", "'\(shown)' is not an event type of the contract"))
        }
        // occurred_at
        guard m.has(KeyIndex.occurredAt) else { return .invalid(DecodeError(.missingField, field: "occurred_at", "required field is missing")) }
        let timeM = m[KeyIndex.occurredAt]
        guard timeM.kind == .string else { return .invalid(requiredKindError("occurred_at", timeM, expected: "an RFC 3339 string")) }
        let time: Instant
        if !timeM.hasEscape, let t = Timestamp.fastParse(base + Int(timeM.start), Int(timeM.end - timeM.start)) {
            time = t
        } else {
            switch withString(timeM, base, Timestamp.parse) {
            case .success(let t): time = t
            case .failure(let why): return .invalid(DecodeError(.badTimestamp, field: "occurred_at", why.detail))
            }
        }
        // village
        guard m.has(KeyIndex.village) else { return .invalid(DecodeError(.missingField, field: "village", "required field is missing")) }
        let villageM = m[KeyIndex.village]
        guard villageM.kind == .string else { return .invalid(requiredKindError("village", villageM, expected: "a string of 12 digits")) }
        guard let vcode = villageM.hasEscape ? withString(villageM, base, EventDecoder.villageCode) : EventDecoder.villageCode(span(villageM, base)) else {
            return .invalid(DecodeError(.badVillage, field: "village", "must be exactly 12 digits"))
        }

        // type-specific fields
        ev.fields = FieldSlots(repeating: .absent)
        let status: DecodeStatus? = FieldPlan.table.withUnsafeBufferPointer { plans in
            let plan = plans.baseAddress! + Int(type.rawValue) &* FieldPlan.stride
            let count = Int(plan.pointee.count)
            for slot in 0..<count {
                let f = plan[slot]
                let k = Int(f.key)
                guard m.has(k) else {
                    if f.required { return .invalid(DecodeError(.missingField, field: f.field.name, "required field is missing")) }
                    continue
                }
                let v = m[k]
                if v.kind == .null {
                    if f.required { return .invalid(DecodeError(.nullRequired, field: f.field.name, "required field is null")) }
                    continue
                }
                if f.emptyMeansAbsent && v.kind == .string && v.end == v.start { continue }
                guard let fv = convert(f, v, base) else { return .invalid(conversionError(f, type, v, base)) }
                ev.fields[slot] = fv
            }
            return nil
        }
        if let status { return status }

        if idM.hasEscape {
            ev.id = withString(idM, base) { String(decoding: $0, as: UTF8.self) }
        } else {
            ev.setID(inRawAt: Int(idM.start), count: Int(idM.end &- idM.start)) // raw is a copy of buf, below
        }
        ev.idKey = idKey
        ev.type = type
        ev.time = time
        ev.village = VillageCode(value: vcode)
        ev.origin = 0
        if !copyingRaw {
            // The caller shares its array as `raw`.
        } else if ev.raw.capacity >= buf.count && ev.raw.capacity <= buf.count + buf.count / 2 + 64 {
            // In place when not shared. A buffer far larger than the line is
            // not kept: an event decoded into again and again (a reorder
            // buffer's slot) would otherwise hold the longest line it ever saw.
            ev.raw.replaceSubrange(0..<ev.raw.count, with: buf)
        } else {
            ev.raw = Array(buf)
        }
        return .event
    }

    @inline(__always)
    private func span(_ v: Member, _ base: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end &- v.start))
    }

    /// Runs `body` over a string member's unescaped bytes, copying only when it has escapes.
    @inline(__always)
    func withString<R>(_ v: Member, _ base: UnsafePointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let span = UnsafeBufferPointer(start: base + Int(v.start), count: Int(v.end &- v.start))
        if !v.hasEscape { return body(span) }
        return JSONScanner.unescape(span).withUnsafeBufferPointer(body)
    }

    /// The converted value, or nil when it breaks the contract (`conversionError` says why).
    @inline(__always)
    private func convert(_ f: FieldPlan, _ v: Member, _ base: UnsafePointer<UInt8>) -> FieldValue? {
        let start = base + Int(v.start)
        let count = Int(v.end &- v.start)
        switch f.kind {
        case .string:
            guard v.kind == .string else { return nil }
            if v.hasEscape { return .string(withString(v, base) { Fingerprint(bytes: $0) }) }
            return .string(Fingerprint(base: start, count: count))
        case .money:
            let r: Money.Scan
            if v.kind == .number {
                r = Money.scanNumber(start, count)
            } else if v.kind == .string {
                r = v.hasEscape ? withString(v, base) { Money.scanString($0.baseAddress ?? start, $0.count) } : Money.scanString(start, count)
            } else {
                return nil
            }
            guard case .fen(let fen) = r else { return nil }
            return .money(fen: fen)
        case .number:
            guard v.kind == .number else { return nil }
            guard let micros = DecimalNumber.parseMicros(UnsafeBufferPointer(start: start, count: count)) else { return nil }
            return .number(micros: micros)
        case .date:
            guard v.kind == .string, let d = withString(v, base, Timestamp.parseDate) else { return nil }
            return .date(day: d)
        case .month:
            guard v.kind == .string, let mo = withString(v, base, Timestamp.parseMonth) else { return nil }
            return .month(mo)
        case .enumeration:
            guard v.kind == .string, let idx = withString(v, base, { EnumTable.index(Int(f.enumStart), Int(f.enumCount), $0) }) else { return nil }
            return .enumeration(idx)
        case .stringList:
            guard v.kind == .array, v.allStrings else { return nil }
            let fp = Fingerprint(base: start, count: count)
            return FieldValue(tag: .stringList, a: Int64(v.count), b: fp.lo)
        }
    }

    /// Why `convert` refused a value, in the words of the contract.
    @inline(never)
    private func conversionError(_ f: FieldPlan, _ type: EventType, _ v: Member, _ base: UnsafePointer<UInt8>) -> DecodeError {
        let name = f.field.name
        func wrongType(_ expected: String) -> DecodeError {
            DecodeError(.wrongType, field: name, "expected \(expected), got \(v.kind.jsonName)")
        }
        switch f.kind {
        case .string:
            return wrongType("a string")
        case .money:
            let r: Result<Int64, MoneyParseError>
            if v.kind == .number {
                r = Money.parseNumber(span(v, base))
            } else if v.kind == .string {
                r = withString(v, base, Money.parseString)
            } else {
                return wrongType("a number or a decimal string")
            }
            if case .failure(let e) = r { return DecodeError(.badAmount, field: name, e.detail) }
        case .number:
            guard v.kind == .number else { return wrongType("a JSON number") }
            return DecodeError(.badNumber, field: name, "number out of the supported range (±9×10¹²)")
        case .date:
            guard v.kind == .string else { return wrongType("a YYYY-MM-DD string") }
            return DecodeError(.badDate, field: name, "not a valid YYYY-MM-DD date")
        case .month:
            guard v.kind == .string else { return wrongType("a YYYY-MM string") }
            return DecodeError(.badDate, field: name, "not a valid YYYY-MM month")
        case .enumeration:
            guard v.kind == .string else { return wrongType("a string") }
            let shown = withString(v, base) { EventDecoder.printable($0) }
            let allowed = type.fields.first { $0.field == f.field }?.allowed ?? []
            return DecodeError(.badEnum, field: name, "'\(shown)' is not one of \(allowed.joined(separator: ", "))")
        case .stringList:
            return wrongType("an array of strings")
        }
        return DecodeError(.badJSON, field: name, "value refused") // not reached: convert accepted it
    }

    /// A required common field that is null or of the wrong JSON type.
    @inline(never)
    private func requiredKindError(_ name: String, _ v: Member, expected: String) -> DecodeError {
        if v.kind == .null { return DecodeError(.nullRequired, field: name, "required field is null") }
        return DecodeError(.wrongType, field: name, "expected \(expected), got \(v.kind.jsonName)")
    }

    @inlinable
    static func isIDChar(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 58 || c == 45
    }

    /// 1–64 bytes of `A-Za-z0-9._:-`, checked 8 bytes at a time.
    @inline(__always)
    static func isValidID(_ id: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = id.count
        guard n >= 1 && n <= 64, let p = id.baseAddress else { return false }
        let raw = UnsafeRawPointer(p)
        if n < 8 {
            for j in 0..<n where !isIDChar(p[j]) { return false }
            return true
        }
        var j = 0
        while j + 8 <= n {
            guard isIDWord(raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)) else { return false }
            j += 8
        }
        // The last 1–7 bytes, as the (overlapping) last word.
        return j == n || isIDWord(raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
    }

    /// True when all 8 bytes of `w` are in `A-Za-z0-9._:-` (SWAR range tests
    /// on ASCII bytes: no sum carries into the next byte).
    @inline(__always)
    static func isIDWord(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        guard w & high == 0 else { return false }
        /// High bit set in each byte within lo...hi.
        @inline(__always) func within(_ x: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
            (x &+ ones &* (0x80 &- lo)) & ~(x &+ ones &* (0x7F &- hi)) & high
        }
        let letters = within(w | ones &* 0x20, 0x61, 0x7A) // A–Z, a–z
        let punctuationAndDigits = within(w, 0x2D, 0x3A) & ~within(w, 0x2F, 0x2F) // - . 0–9 : (not /)
        let underscore = within(w, 0x5F, 0x5F)
        return letters | punctuationAndDigits | underscore == high
    }

    @inline(never)
    static func idError(_ id: UnsafeBufferPointer<UInt8>) -> DecodeError {
        guard id.count >= 1 && id.count <= 64 else {
            return DecodeError(.badEventID, field: "event_id", "must be 1–64 characters, got \(id.count)")
        }
        return DecodeError(.badEventID, field: "event_id", "contains a character outside A-Za-z0-9._:-")
    }

    /// Exactly 12 ASCII digits, as an integer (two overlapping 8-digit words).
    @inline(__always)
    static func villageCode(_ s: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard s.count == 12, let p = s.baseAddress else { return nil }
        let raw = UnsafeRawPointer(p)
        guard let a = eightDigits(raw.loadUnaligned(as: UInt64.self)),
              let b = eightDigits(raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) else { return nil }
        return a &* 10_000 &+ b % 10_000
    }

    /// The value of 8 ASCII digits (first byte most significant), nil when
    /// any byte is not a digit.
    @inline(__always)
    static func eightDigits(_ w0: UInt64) -> UInt64? {
        let w = UInt64(littleEndian: w0)
        // Every byte in 0x30...0x39: high nibble 3, and adding 6 keeps it 3.
        guard w & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
              (w &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 else { return nil }
        var v = w & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* (10 &<< 8 &+ 1)) &>> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* (100 &<< 16 &+ 1)) &>> 16
        v = ((v & 0x0000_FFFF_0000_FFFF) &* (10_000 &<< 32 &+ 1)) &>> 32
        return v
    }

    /// The event type named by `s`, compared as packed words.
    @inline(__always)
    static func eventType(_ s: UnsafeBufferPointer<UInt8>) -> EventType? {
        guard let p = s.baseAddress, s.count >= 8 && s.count <= 24 else { return nil }
        let w = TypeTable.words(p, s.count)
        return TypeTable.entries.withUnsafeBufferPointer { t in
            for e in t where e.len == s.count && e.first == w.first && e.last == w.last && e.middle == w.middle {
                return e.type
            }
            return nil
        }
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

/// Where the known members of one object lie: `slots[k]` is initialised
/// only when bit `k` of `seen` is set (stack memory, never cleared).
struct MemberTable {
    static let capacity = 48
    var seen: UInt64 = 0
    let slots: UnsafeMutablePointer<Member>
    /// `KeyIndex.table`, borrowed for the duration of a decode.
    let keys: UnsafePointer<KeyIndex.Slot>

    init(slots: UnsafeMutablePointer<Member>, keys: UnsafePointer<KeyIndex.Slot>) {
        self.slots = slots
        self.keys = keys
    }

    @inline(__always) func has(_ k: Int) -> Bool { seen & (1 &<< UInt64(k)) != 0 }
    @inline(__always) subscript(_ k: Int) -> Member { slots[k] }
}

/// The indexes of keys the contract knows: 4 common ones, then every `Field`.
enum KeyIndex {
    static let eventID = 0, type = 1, occurredAt = 2, village = 3
    static let count = 4 + Field.allCases.count
    @inline(__always) static func field(_ f: Field) -> Int { 4 + Int(f.rawValue) }

    static let names: [[UInt8]] = (["event_id", "type", "occurred_at", "village"] + FieldCatalog.names).map { Array($0.utf8) }

    /// The longest known key; longer ones are not looked up.
    static let maxLength = 15
    static let tableSize = 128

    /// A key packed little-endian into two words, its length in the top byte of `w1`.
    struct Slot {
        var w0: UInt64 = 0
        var w1: UInt64 = 0
        var index: Int = -1
    }

    /// Open-addressed table of the known keys.
    static let table: [Slot] = {
        var t = [Slot](repeating: Slot(), count: tableSize)
        for (i, n) in names.enumerated() {
            precondition(n.count <= maxLength && i < MemberTable.capacity, "key table limits")
            let (w0, w1) = n.withUnsafeBufferPointer { pack($0.baseAddress!, $0.count, readable: 0) }
            var h = slotHash(w0, w1)
            while t[h].index >= 0 { h = (h + 1) & (tableSize - 1) }
            t[h] = Slot(w0: w0, w1: w1, index: i)
        }
        return t
    }()

    /// Packs `len` (≤ 15) bytes; loads whole words when 16 bytes are readable from `p`.
    @inline(__always)
    static func pack(_ p: UnsafePointer<UInt8>, _ len: Int, readable: Int) -> (UInt64, UInt64) {
        var w0: UInt64 = 0, w1: UInt64 = 0
        if readable >= 16 {
            let a = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            let b = UInt64(littleEndian: UnsafeRawPointer(p + 8).loadUnaligned(as: UInt64.self))
            if len >= 8 {
                w0 = a
                w1 = len > 8 ? b & (~0 &>> UInt64(128 &- 8 &* len)) : 0
            } else {
                w0 = a & (~0 &>> UInt64(64 &- 8 &* len))
            }
        } else {
            (w0, w1) = packWithin(p, len)
        }
        return (w0, w1 | UInt64(len) &<< 56)
    }

    /// The same packing (without the length) from loads that stay within the `len` (≤ 15) bytes.
    @inline(__always)
    static func packWithin(_ p: UnsafePointer<UInt8>, _ len: Int) -> (UInt64, UInt64) {
        let raw = UnsafeRawPointer(p)
        if len >= 8 {
            let w0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            guard len > 8 else { return (w0, 0) }
            let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: len &- 8, as: UInt64.self))
            return (w0, last &>> UInt64(128 &- 8 &* len))
        }
        if len >= 4 {
            let lo = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            let hi = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: len &- 4, as: UInt32.self)))
            return (lo | hi &<< UInt64(8 &* (len &- 4)), 0)
        }
        var w0: UInt64 = 0
        for j in 0..<len { w0 |= UInt64(p[j]) &<< UInt64(8 &* j) }
        return (w0, 0)
    }

    @inline(__always)
    static func slotHash(_ w0: UInt64, _ w1: UInt64) -> Int {
        let h = (w0 &* 0x9E37_79B9_7F4A_7C15) ^ (w1 &* 0xC2B2_AE3D_27D4_EB4F)
        return Int(truncatingIfNeeded: h &>> 57)
    }

    /// The index of a key given as raw (escape-free) bytes, or -1.
    /// `readable` is how many bytes may be read from `p` (at least `len`).
    @inline(__always)
    static func lookup(_ p: UnsafePointer<UInt8>, _ len: Int, readable: Int, in t: UnsafePointer<Slot>) -> Int {
        guard len > 0 && len <= maxLength else { return -1 }
        let (w0, w1) = pack(p, len, readable: readable)
        return find(w0, w1, in: t)
    }

    /// The index of a packed key (as `pack` makes it), or -1.
    @inline(__always)
    static func find(_ w0: UInt64, _ w1: UInt64, in t: UnsafePointer<Slot>) -> Int {
        var h = slotHash(w0, w1)
        while true {
            let e = t[h]
            if e.w0 == w0 && e.w1 == w1 { return e.index }
            if e.index < 0 { return -1 }
            h = (h &+ 1) & (tableSize - 1)
        }
    }

    /// The same, with the table fetched here (not on the hot path).
    static func lookup(_ p: UnsafePointer<UInt8>, _ len: Int, readable: Int) -> Int {
        table.withUnsafeBufferPointer { lookup(p, len, readable: readable, in: $0.baseAddress!) }
    }
}

/// Per event type, what to do with each field, in plain values: no
/// strings or arrays are touched on the hot path.
struct FieldPlan {
    var field: Field = .source
    var kind: FieldKind = .string
    var key: UInt8 = 0
    var required = false
    var emptyMeansAbsent = false
    /// For an enumeration: where its values are in `EnumTable.entries`.
    var enumStart: UInt8 = 0
    var enumCount: UInt8 = 0
    /// In a type's first entry: how many fields the type has.
    var count: UInt8 = 0

    /// Entries of type `t` are at `t * stride ..< t * stride + count`.
    static let stride = 16

    static let table: [FieldPlan] = {
        var t = [FieldPlan](repeating: FieldPlan(), count: EventType.allCases.count * stride)
        for type in EventType.allCases {
            let specs = type.fields
            precondition(specs.count <= stride && specs.count <= FieldCatalog.maxSlots, "plan limits")
            for (slot, s) in specs.enumerated() {
                var e = FieldPlan(field: s.field, kind: s.field.kind, key: UInt8(KeyIndex.field(s.field)), required: s.required,
                                  emptyMeansAbsent: !s.required && s.field.emptyMeansAbsent)
                if s.field.kind == .enumeration {
                    let set = EnumTable.set(s.allowed)
                    e.enumStart = UInt8(EnumTable.entries.firstIndex { $0.set == set }!)
                    e.enumCount = UInt8(s.allowed.count)
                }
                t[Int(type.rawValue) * stride + slot] = e
            }
            t[Int(type.rawValue) * stride].count = UInt8(specs.count)
        }
        return t
    }()
}

/// The allowed values of every enumerated field, packed like keys.
enum EnumTable {
    struct Entry {
        var w0: UInt64
        var w1: UInt64
        var set: Int
        var index: Int
    }

    static let sets: [[String]] = [FieldCatalog.paymentCategories, FieldCatalog.receiptCategories,
                                   FieldCatalog.acceptanceResults, FieldCatalog.sealDecisions]

    static func set(_ allowed: [String]) -> Int {
        guard let s = sets.firstIndex(of: allowed) else { preconditionFailure("an enumeration missing from EnumTable.sets") }
        return s
    }

    static let entries: [Entry] = sets.enumerated().flatMap { (s, values) in
        values.enumerated().map { (i, v) in
            let b = Array(v.utf8)
            precondition(b.count <= KeyIndex.maxLength, "enumeration values are at most 15 bytes")
            let (w0, w1) = b.withUnsafeBufferPointer { KeyIndex.pack($0.baseAddress!, $0.count, readable: 0) }
            return Entry(w0: w0, w1: w1, set: s, index: i)
        }
    }

    /// The index of `s` among the `count` values at `start`, nil when it is none of them.
    @inline(__always)
    static func index(_ start: Int, _ count: Int, _ s: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let p = s.baseAddress, s.count > 0 && s.count <= KeyIndex.maxLength else { return nil }
        let (w0, w1) = KeyIndex.packWithin(p, s.count)
        let w1l = w1 | UInt64(s.count) &<< 56
        return entries.withUnsafeBufferPointer { t in
            for e in t[start..<(start + count)] where e.w0 == w0 && e.w1 == w1l { return e.index }
            return nil
        }
    }
}

/// The event type names, packed as three words each for a quick compare.
enum TypeTable {
    struct Entry {
        var first: UInt64
        var middle: UInt64
        var last: UInt64
        var len: Int
        var type: EventType
    }

    /// For 8 ≤ len ≤ 24: the first 8 bytes, bytes 8–15 when len > 16 (else 0),
    /// and the last 8 bytes; together they cover every byte.
    @inline(__always)
    static func words(_ p: UnsafePointer<UInt8>, _ len: Int) -> (first: UInt64, middle: UInt64, last: UInt64) {
        let raw = UnsafeRawPointer(p)
        let first = raw.loadUnaligned(as: UInt64.self)
        let last = raw.loadUnaligned(fromByteOffset: len - 8, as: UInt64.self)
        let middle = len > 16 ? raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) : 0
        return (first, middle, last)
    }

    static let entries: [Entry] = EventType.allCases.map { t in
        let b = Array(t.name.utf8)
        precondition(b.count >= 8 && b.count <= 24, "event type names are 8–24 bytes")
        let w = b.withUnsafeBufferPointer { words($0.baseAddress!, $0.count) }
        return Entry(first: w.first, middle: w.middle, last: w.last, len: b.count, type: t)
    }
}

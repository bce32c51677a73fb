import Glibc

/// A decoded, validated event of the contract.
///
/// Common fields are stored directly; type-specific fields sit in `fields`
/// at the slot `type.slot(of:)` gives. The raw JSON line is kept for
/// evidence and for rendering summaries, which read text values back from it.
public struct Event: Sendable {
    /// The id when `raw` does not hold it as plain bytes (an event made in
    /// code, an id sent with escapes); nil when it is `raw[idStart...]`.
    /// A decoded event names its id in its raw bytes instead of holding a
    /// `String` of its own: making and freeing one per event (ids are
    /// longer than the 15 bytes a `String` holds inline) was a tenth of the
    /// decoder's instructions, and freeing it a cost to every rule lane.
    public internal(set) var givenID: String?
    public internal(set) var idStart: UInt32 = 0
    public internal(set) var idCount: UInt32 = 0

    /// The event id as sent (made on each read for a decoded event: hot
    /// paths use `withIDBytes` or `idPrecedes`).
    public var id: String {
        get { Event.id(given: givenID, raw: raw, start: idStart, count: idCount) }
        set { givenID = newValue }
    }

    /// An id held as an event holds it: `given`, or else the bytes of `raw`
    /// at `start ..< start + count` (for holders of an event's id and bytes).
    @inlinable
    public static func id(given: String?, raw: [UInt8], start: UInt32, count: UInt32) -> String {
        if let g = given { return g }
        return raw.withUnsafeBufferPointer { String(decoding: $0[Int(start)..<Int(start &+ count)], as: UTF8.self) }
    }
    /// Fingerprint of `id`, for deduplication.
    public var idKey: Fingerprint
    public var type: EventType
    /// `occurred_at` as an instant.
    public var time: Instant
    public var village: VillageCode
    public var fields: FieldSlots
    /// The JSON object exactly as received.
    public var raw: [UInt8]
    /// Where a replay read `raw` in its plain-text ledgers (an adapter's
    /// nonzero position, see `EvidenceStore.keep`), or 0 when it cannot be
    /// read there again (streams, compressed ledgers, tests).
    public var origin: UInt64 = 0

    public init(id: String, type: EventType, time: Instant, village: VillageCode,
                fields: FieldSlots = FieldSlots(repeating: .absent), raw: [UInt8]) {
        self.init(id: id, idKey: Fingerprint(id), type: type, time: time, village: village, fields: fields, raw: raw)
    }

    public init(id: String, idKey: Fingerprint, type: EventType, time: Instant, village: VillageCode,
                fields: FieldSlots, raw: [UInt8]) {
        self.givenID = id
        self.idKey = idKey
        self.type = type
        self.time = time
        self.village = village
        self.fields = fields
        self.raw = raw
    }

    /// An empty event to decode into with `EventDecoder.decode(_:into:)`;
    /// not an event of the contract. Built once: a reading thread puts one
    /// into each reorder slot it decodes into, and building it each time
    /// (every field slot set absent) was ≈ 1.5 % of that thread.
    public static let placeholder = Event(id: "", idKey: .zero, type: .financePayment, time: 0, village: VillageCode(value: 0),
                                          fields: FieldSlots(repeating: .absent), raw: [])

    /// Moves the event out, leaving `placeholder` (its id and bytes change
    /// owner without a retain or release).
    @inlinable
    public mutating func take() -> Event {
        withUnsafeMutablePointer(to: &self) { p in
            let e = p.move()
            p.initialize(to: .placeholder)
            return e
        }
    }

    /// Names the id as the `count` bytes at `start` of `raw` (the decoder, after filling `raw`).
    mutating func setID(inRawAt start: Int, count: Int) {
        givenID = nil
        idStart = UInt32(truncatingIfNeeded: start)
        idCount = UInt32(truncatingIfNeeded: count)
    }

    /// Runs `body` over the id's UTF-8 bytes, without making a `String`.
    @inlinable
    public func withIDBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if var g = givenID { return try g.withUTF8(body) }
        return try raw.withUnsafeBufferPointer { b in
            try body(UnsafeBufferPointer(rebasing: b[Int(idStart)..<Int(idStart &+ idCount)]))
        }
    }

    /// True when this event's id comes before `other`'s in byte order.
    @inlinable
    public func idPrecedes(_ other: borrowing Event) -> Bool {
        withIDBytes { a in other.withIDBytes { b in EventOrder.idPrecedes(a, b) } }
    }

    /// True when this event's id comes before `other` in byte order.
    @inlinable
    public func idPrecedes(_ other: String) -> Bool {
        var o = other
        return withIDBytes { a in o.withUTF8 { b in EventOrder.idPrecedes(a, b) } }
    }

    /// True when this event's id is `other`.
    @inlinable
    public func idEquals(_ other: String) -> Bool {
        var o = other
        return withIDBytes { a in o.withUTF8 { b in a.elementsEqual(b) } }
    }

    /// `withIDBytes` of the event at `e`, read in place: a method called on
    /// `pointee` works on a copy (392 bytes, and a retain and release of the
    /// id, the raw bytes and every text).
    @inlinable
    public static func withIDBytes<R>(at e: UnsafePointer<Event>, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if var g = e.pointee.givenID { return try g.withUTF8(body) }
        let start = Int(e.pointee.idStart), end = start &+ Int(e.pointee.idCount)
        return try e.pointee.raw.withUnsafeBufferPointer { b in try body(UnsafeBufferPointer(rebasing: b[start..<end])) }
    }

    /// The byte order of the ids of the events at `a` and `b`, read in place:
    /// negative when `a`'s comes first, zero when they are the same, positive after.
    @inlinable
    public static func compareIDs(_ a: UnsafePointer<Event>, _ b: UnsafePointer<Event>) -> Int {
        withIDBytes(at: a) { x in withIDBytes(at: b) { y in EventOrder.compare(x, y) } }
    }

    /// `compareIDs` of the event at `a` and the id `b`.
    @inlinable
    public static func compareIDs(_ a: UnsafePointer<Event>, _ b: String) -> Int {
        var o = b
        return withIDBytes(at: a) { x in o.withUTF8 { y in EventOrder.compare(x, y) } }
    }

    /// The value of a field, `.absent` when the type has no such field or it was not sent.
    @inlinable
    public subscript(field: Field) -> FieldValue {
        guard let s = type.slot(of: field) else { return .absent }
        return fields[s]
    }

    /// True when `self` comes before `other` in the total order of RULES.md:
    /// by `occurred_at`, then by `event_id` in byte order.
    @inlinable
    public func precedes(_ other: Event) -> Bool {
        if time != other.time { return time < other.time }
        return idPrecedes(other)
    }
}

public enum EventOrder {
    /// Byte-order comparison of two event ids.
    @inlinable
    public static func idPrecedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Byte-order comparison of two ids' bytes.
    @inlinable
    public static func idPrecedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.lexicographicallyPrecedes(b)
    }

    /// Byte-order comparison of two ids' bytes: negative when `a` comes
    /// first, zero when they are equal, positive when `b` comes first.
    @inlinable
    public static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = Swift.min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// Total order on (time, id).
    @inlinable
    public static func precedes(_ t1: Instant, _ id1: String, _ t2: Instant, _ id2: String) -> Bool {
        if t1 != t2 { return t1 < t2 }
        return idPrecedes(id1, id2)
    }
}

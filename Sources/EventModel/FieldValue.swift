/// One typed field value of an event, in 24 bytes.
///
/// - string: the 128-bit fingerprint of its UTF-8 bytes (`a`, `b`)
/// - money: integer fen in `a`
/// - number: micro-units (value × 10⁶) in `a`
/// - date: local day number (days since 1970-01-01) in `a`
/// - month: year × 12 + (month − 1) in `a`
/// - enumeration: the index into the field's allowed values in `a`
/// - stringList: the element count in `a`, fingerprint of the joined list in `b`
public struct FieldValue: Sendable, Hashable, Codable {
    public var tag: Tag
    public var a: Int64
    public var b: UInt64

    public enum Tag: UInt8, Sendable, Hashable, Codable {
        case absent, string, money, number, date, month, enumeration, stringList
    }

    @inlinable
    public init(tag: Tag, a: Int64, b: UInt64) { self.tag = tag; self.a = a; self.b = b }

    public static let absent = FieldValue(tag: .absent, a: 0, b: 0)

    @inlinable public var isAbsent: Bool { tag == .absent }

    @inlinable
    public static func string(_ f: Fingerprint) -> FieldValue {
        FieldValue(tag: .string, a: Int64(bitPattern: f.hi), b: f.lo)
    }
    @inlinable public static func money(fen: Int64) -> FieldValue { FieldValue(tag: .money, a: fen, b: 0) }
    @inlinable public static func number(micros: Int64) -> FieldValue { FieldValue(tag: .number, a: micros, b: 0) }
    @inlinable public static func date(day: Int64) -> FieldValue { FieldValue(tag: .date, a: day, b: 0) }
    @inlinable public static func month(_ m: Int64) -> FieldValue { FieldValue(tag: .month, a: m, b: 0) }
    @inlinable public static func enumeration(_ i: Int) -> FieldValue { FieldValue(tag: .enumeration, a: Int64(i), b: 0) }

    /// The fingerprint of a string value.
    @inlinable public var fingerprint: Fingerprint { Fingerprint(hi: UInt64(bitPattern: a), lo: b) }
}

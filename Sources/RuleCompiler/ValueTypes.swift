import EventModel

/// Numbers during evaluation: exact fixed-point with 8 decimals in an
/// `Int128` (money in yuan, counts and decimals as plain numbers).
public typealias Num = Int128

public enum NumScale {
    public static let one: Num = 100_000_000
    // An Int64 times at most 10⁸ stays far inside Int128 (|x| < 10²⁷): the
    // products need no overflow check (the checked 128-bit multiply was
    // ≈ 1 % of the engine's instructions, every money field and limit read).
    @inlinable public static func fromFen(_ fen: Int64) -> Num { Num(fen) &* 1_000_000 }
    @inlinable public static func fromMicros(_ m: Int64) -> Num { Num(m) &* 100 }
    @inlinable public static func fromInt(_ i: Int64) -> Num { Num(i) &* one }
    /// Truncating conversion back to fen.
    @inlinable public static func toFen(_ n: Num) -> Int64 { Int64(clamping: n / 1_000_000) }
    @inlinable public static func toMicros(_ n: Num) -> Int64 { Int64(clamping: n / 100) }
    @inlinable public static func multiply(_ a: Num, _ b: Num) -> Num? {
        let (p, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : p / one
    }
    @inlinable public static func divide(_ a: Num, _ b: Num) -> Num? {
        guard b != 0 else { return nil }
        let (p, o) = a.multipliedReportingOverflow(by: one)
        return o ? nil : p / b
    }
}

/// The static type of an expression.
public enum StaticType: Hashable, Sendable, CustomStringConvertible {
    case bool
    case money
    /// A plain number: counts, hours, quantities, factors.
    case number
    case instant
    case duration
    case date
    case month
    case timeOfDay
    case string
    /// A string with a closed set of values (an enumerated field).
    case enumeration([String])
    case link
    case stringList
    /// A village (12 digits), township (9) or district (6) code.
    case division(Int)

    public var description: String {
        switch self {
        case .bool: "a condition"
        case .money: "money"
        case .number: "a number"
        case .instant: "a point in time"
        case .duration: "a duration"
        case .date: "a date"
        case .month: "a month"
        case .timeOfDay: "a time of day"
        case .string: "text"
        case .enumeration(let v): "one of \(v.joined(separator: ", "))"
        case .link: "a relation"
        case .stringList: "a list of ids"
        case .division(let l): l == 12 ? "a village code" : (l == 9 ? "a township code" : "a district code")
        }
    }

    var isNumeric: Bool { self == .money || self == .number }
    var isText: Bool {
        switch self {
        case .enumeration, .division, .string: return true
        default: return false
        }
    }
    /// Types held as Int64 during evaluation.
    var isTimeLike: Bool { [.instant, .duration, .date, .month, .timeOfDay].contains(self) }
}

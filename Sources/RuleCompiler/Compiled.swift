import EventModel

public typealias BoolFn = @Sendable (borrowing Event, EvalEnv) -> Bool?
public typealias NumFn = @Sendable (borrowing Event, EvalEnv) -> Num?
/// Instants, durations (µs), dates (day numbers), months, times of day (µs).
public typealias IntFn = @Sendable (borrowing Event, EvalEnv) -> Int64?
/// Text values by fingerprint; administrative divisions use `Compiled.divisionFingerprint`.
public typealias FpFn = @Sendable (borrowing Event, EvalEnv) -> Fingerprint?
public typealias LinkFn = @Sendable (borrowing Event, EvalEnv) -> ReferenceTables.CadreLink?
public typealias DisplayFn = @Sendable (borrowing Event, EvalEnv) -> String?

/// One component of a key (`group by`, `matching`). Function values kept in
/// arrays are stored generically: each call copied the whole event into a
/// temporary and went through a reabstraction thunk (10 % of the engine's
/// instructions, callgrind 2026-11-27). Inside a struct a closure keeps its
/// own calling convention.
public struct KeyPart: Sendable {
    public let fn: FpFn
    public init(_ fn: @escaping FpFn) { self.fn = fn }
}

/// A condition kept in an array (see `KeyPart`).
public struct ListTest: Sendable {
    public let fn: BoolFn
    public init(_ fn: @escaping BoolFn) { self.fn = fn }
}

/// A type-checked expression turned into a closure over one event. No
/// syntax tree is walked at run time.
public enum Compiled: Sendable {
    case bool(BoolFn)
    case num(NumFn, StaticType)
    case int(IntFn, StaticType)
    case text(FpFn, StaticType)
    case link(LinkFn)

    public var type: StaticType {
        switch self {
        case .bool: .bool
        case .num(_, let t), .int(_, let t), .text(_, let t): t
        case .link: .link
        }
    }

    /// The value as a key component (absent → nil).
    public var keyFn: FpFn {
        switch self {
        case .bool(let f):
            return { e, env in f(e, env).map { Fingerprint(hi: 0xB001, lo: $0 ? 1 : 0) } }
        case .num(let f, _):
            return { e, env in f(e, env).map { Fingerprint(hi: UInt64(truncatingIfNeeded: $0 >> 64) ^ 0x4E55_4D00, lo: UInt64(truncatingIfNeeded: $0)) } }
        case .int(let f, let t):
            let tag: UInt64 = t == .month ? 0x4D4F_4E54 : (t == .date ? 0x4441_5445 : 0x494E_5400)
            return { e, env in f(e, env).map { Fingerprint(hi: tag, lo: UInt64(bitPattern: $0)) } }
        case .text(let f, _):
            return f
        case .link(let f):
            return { e, env in f(e, env).map { Fingerprint($0.kind.rawValue + "|" + $0.cadreID) } }
        }
    }

    /// Divisions (village, township, district codes) as key fingerprints.
    public static func divisionFingerprint(level: Int, code: UInt64) -> Fingerprint {
        Fingerprint(hi: 0x4449_5600 | UInt64(level), lo: code)
    }
}

/// One aggregate of a rule (`count`, `sum(amount)`, `count(distinct village)` …).
public struct AggregateSpec: Sendable {
    public enum Kind: String, Sendable {
        case count, countOf, countDistinct, sum, min, max, avg
    }
    public var kind: Kind
    /// The argument, evaluated on each member event; nil for plain `count`.
    public var argument: Compiled?
    /// Canonical text, e.g. `sum(amount)`: the figure's name.
    public var text: String
    /// The result type (`money` for sums of money, else `number`).
    public var resultType: StaticType
    /// Index of the argument value in a member entry (nil for `count`).
    public var inputSlot: Int?
}

/// The syntax tree of a rule file, exactly as written (names unresolved).
public struct RuleFileSyntax: Sendable {
    public var file: SourceFile
    public var rules: [RuleSyntax]
}

/// One `rule NAME … end` block.
public struct RuleSyntax: Sendable {
    public var name: String
    public var nameRange: SourceRange
    public var range: SourceRange
    public var version: (Int, SourceRange)?
    public var severity: (String, SourceRange)?
    public var titleZH: String?
    public var titleEN: String?
    public var description: String?
    public var params: [ParamSyntax] = []
    public var trigger: EventClause?
    public var groupBy: [Expr]?
    public var groupByRange: SourceRange?
    public var window: WindowSyntax?
    public var fireWhen: Expr?
    public var require: RequireSyntax?
    public var expect: ExpectSyntax?
    public var deadline: Expr?
    public var retain: (Duration, SourceRange)?
    public var summaryZH: (String, SourceRange)?
    public var summaryEN: (String, SourceRange)?

    public init(name: String, nameRange: SourceRange, range: SourceRange) {
        self.name = name
        self.nameRange = nameRange
        self.range = range
    }
}

/// `param NAME = literal`
public struct ParamSyntax: Sendable {
    public var name: String
    public var range: SourceRange
    public var value: Expr
}

/// `on TYPE [as ALIAS] [where EXPR]` and the event parts of `require`/`expect`.
public struct EventClause: Sendable {
    public var typeName: String
    public var typeRange: SourceRange
    public var alias: String?
    public var filter: Expr?
}

/// `within DURATION` or `within all time`.
public enum WindowSyntax: Sendable {
    case duration(Duration, SourceRange)
    case unbounded(SourceRange)
}

/// A duration literal: amount and unit, in microseconds.
public struct Duration: Sendable, Hashable {
    public var micros: Int64
    public var text: String
}

/// `require [within D] before TYPE [as A] [where …] [matching …] [having …]`
public struct RequireSyntax: Sendable {
    public var range: SourceRange
    public var lookback: (Duration, SourceRange)?
    public var event: EventClause
    public var matching: [MatchSyntax] = []
    public var having: Expr?
}

/// `expect TYPE [as A] [where …] [matching …] [from X until Y] [enough when …]`
public struct ExpectSyntax: Sendable {
    public var range: SourceRange
    public var event: EventClause
    public var matching: [MatchSyntax] = []
    public var from: Expr?
    public var until: Expr?
    public var enough: Expr?
}

/// One correlation: `field` (same field on both events) or `left = right`.
public struct MatchSyntax: Sendable {
    public var left: Expr
    public var right: Expr?
    public var range: SourceRange
}

/// An expression.
public indirect enum Expr: Sendable {
    case integer(Int64, SourceRange)
    case decimal(String, SourceRange)
    case string(String, SourceRange)
    case timeOfDay(Int64, SourceRange)          // micros since midnight
    case duration(Duration, SourceRange)
    case money(Expr, SourceRange)               // `N yuan`
    case name(String, SourceRange)              // field, parameter, alias or aggregate name
    case member(String, String, SourceRange)    // alias.field
    case call(String, [Expr], distinct: Bool, SourceRange)
    case unary(String, Expr, SourceRange)       // "-" or "not"
    case binary(String, Expr, Expr, SourceRange)
    case isPresent(Expr, negated: Bool, SourceRange)
    case inList(Expr, [Expr], negated: Bool, SourceRange)

    /// The expressions directly inside this one, left to right.
    public var children: [Expr] {
        switch self {
        case .integer, .decimal, .string, .timeOfDay, .duration, .name, .member: return []
        case .money(let x, _), .unary(_, let x, _), .isPresent(let x, _, _): return [x]
        case .call(_, let args, _, _): return args
        case .binary(_, let a, let b, _): return [a, b]
        case .inList(let x, let items, _, _): return [x] + items
        }
    }

    public var range: SourceRange {
        switch self {
        case .integer(_, let r), .decimal(_, let r), .string(_, let r), .timeOfDay(_, let r), .duration(_, let r),
             .money(_, let r), .name(_, let r), .member(_, _, let r), .call(_, _, _, let r), .unary(_, _, let r),
             .binary(_, _, _, let r), .isPresent(_, _, let r), .inList(_, _, _, let r):
            return r
        }
    }
}

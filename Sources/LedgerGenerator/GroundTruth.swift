/// The rules of the reference pack (RULES.md), by code and name.
public enum PackRule: String, Sendable, CaseIterable, Hashable, Codable {
    case r01 = "large-payment-without-decision"
    case r02 = "split-payments"
    case r03 = "repeat-reimbursement"
    case r04 = "payment-before-acceptance"
    case r05 = "contract-without-approval"
    case r06 = "contract-without-three-quotes"
    case r07 = "seal-use-without-approval"
    case r08 = "seal-use-at-night"
    case r09 = "lease-rent-overdue"
    case r10 = "payee-related-to-cadre"
    case r11 = "quote-above-reference"
    case r12 = "payee-fund-concentration"
    case r13 = "wage-without-attendance"
    case r14 = "double-attendance"

    /// `R01` … `R14`.
    public var code: String {
        let i = PackRule.allCases.firstIndex(of: self)! + 1
        return i < 10 ? "R0\(i)" : "R\(i)"
    }

    /// The rule's name, as in `alerts.rule_id` and in `ground_truth.csv`.
    public var name: String { rawValue }
}

/// One injected case: at `anchorEventID`, rule `rule` must (or must not) alert.
public struct GroundTruthCase: Sendable, Hashable, Codable {
    public enum Expectation: String, Sendable, Hashable, Codable {
        case fire, nofire
    }

    public var rule: PackRule
    public var anchorEventID: String
    public var expect: Expectation
    /// The edge being tested, e.g. `span_exact_7d`.
    public var caseName: String

    public init(rule: PackRule, anchorEventID: String, expect: Expectation, caseName: String) {
        self.rule = rule
        self.anchorEventID = anchorEventID
        self.expect = expect
        self.caseName = caseName
    }
}

/// A malformed line of the ledger: its 1-based line number and the
/// `DecodeError.Kind` raw value it must be dead-lettered with.
public struct MalformedLine: Sendable, Hashable, Codable {
    public var lineNumber: Int
    public var kind: String
    /// The precise fault, e.g. `leap_second` (not part of `malformed.csv`).
    public var variant: String

    public init(lineNumber: Int, kind: String, variant: String) {
        self.lineNumber = lineNumber
        self.kind = kind
        self.variant = variant
    }
}

/// Counters of what was written so far.
public struct GeneratorStats: Sendable, Hashable {
    /// Lines written (events, duplicates, malformed and blank lines).
    public var lines = 0
    /// Distinct valid events written.
    public var events = 0
    /// Byte-for-byte re-sends of earlier lines.
    public var duplicates = 0
    public var malformed = 0
    public var blankLines = 0
    public var bytes = 0
    /// Distinct valid events per type, indexed by `EventType.rawValue`.
    public var eventsByType = [Int](repeating: 0, count: 16)
    /// Local days finished.
    public var daysDone = 0
    /// Background events dropped because they fell after the ledger's end.
    public var droppedAfterEnd = 0
}

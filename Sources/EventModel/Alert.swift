/// How serious an alert is.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low, medium, high, critical

    var rank: Int { Severity.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One computed figure of an alert (count, sum, threshold…).
public struct Figure: Sendable, Hashable, Codable {
    public enum Value: Sendable, Hashable, Codable {
        case integer(Int64)
        case money(fen: Int64)
        /// micro-units (× 10⁶)
        case number(micros: Int64)
        case text(String)
        case instant(Instant)
        case duration(Int64)
        case date(day: Int64)
        case month(Int64)
        case bool(Bool)
    }

    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// An alert: a rule fired at an anchor event. Identified by (`ruleID`,
/// `anchorEventID`); writing it again changes nothing.
public struct Alert: Sendable, Hashable, Codable {
    public var ruleID: String
    public var ruleVersion: Int
    public var severity: Severity
    public var anchorEventID: String
    /// `occurred_at` of the anchor event.
    public var anchorTime: Instant
    public var village: VillageCode
    /// Human-readable key, e.g. `village=330521101202 payee_id=X`.
    public var key: String
    public var evidenceEventIDs: [String]
    public var firstEvidenceAt: Instant
    public var lastEvidenceAt: Instant
    public var figures: [Figure]
    public var summaryZH: String
    public var summaryEN: String
    /// The raw JSON of the evidence events (anchor included), in the total order.
    public var evidence: [[UInt8]]

    public init(ruleID: String, ruleVersion: Int, severity: Severity, anchorEventID: String, anchorTime: Instant,
                village: VillageCode, key: String, evidenceEventIDs: [String], firstEvidenceAt: Instant,
                lastEvidenceAt: Instant, figures: [Figure], summaryZH: String, summaryEN: String, evidence: [[UInt8]]) {
        self.ruleID = ruleID
        self.ruleVersion = ruleVersion
        self.severity = severity
        self.anchorEventID = anchorEventID
        self.anchorTime = anchorTime
        self.village = village
        self.key = key
        self.evidenceEventIDs = evidenceEventIDs
        self.firstEvidenceAt = firstEvidenceAt
        self.lastEvidenceAt = lastEvidenceAt
        self.figures = figures
        self.summaryZH = summaryZH
        self.summaryEN = summaryEN
        self.evidence = evidence
    }

    /// The identity of the alert.
    public var identity: AlertIdentity { AlertIdentity(ruleID: ruleID, anchorEventID: anchorEventID) }

    /// The figures as a JSON object (money as yuan strings with 2 decimals,
    /// numbers as decimal strings, instants as RFC 3339).
    public var figuresJSON: String { figuresJSON(replacingNUL: false) }

    /// `figuresJSON` as PostgreSQL's `jsonb` takes it: U+0000 in a text
    /// figure becomes U+FFFD, as in the alert's text columns (`jsonb`
    /// rejects the escape `\u0000`: an event's text shown as a figure made
    /// the whole batch of alerts fail to store).
    public var storableFiguresJSON: String { figuresJSON(replacingNUL: true) }

    private func figuresJSON(replacingNUL: Bool) -> String {
        var out = "{"
        for (i, f) in figures.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.quote(f.name, replacingNUL: replacingNUL) + ":"
            switch f.value {
            case .integer(let v): out += String(v)
            case .money(let fen): out += JSONText.quote(Money.format(fen: fen))
            case .number(let m): out += DecimalNumber.format(micros: m)
            case .text(let s): out += JSONText.quote(s, replacingNUL: replacingNUL)
            case .instant(let t): out += JSONText.quote(ShanghaiTime.format(t))
            case .duration(let d): out += JSONText.quote(DurationText.format(d))
            case .date(let d): out += JSONText.quote(CivilDate.format(days: d))
            case .month(let m): out += JSONText.quote(CivilDate.format(month: m))
            case .bool(let b): out += b ? "true" : "false"
            }
        }
        return out + "}"
    }
}

/// (`rule_id`, `anchor_event_id`): what makes an alert the same alert.
public struct AlertIdentity: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var ruleID: String
    public var anchorEventID: String
    public init(ruleID: String, anchorEventID: String) {
        self.ruleID = ruleID
        self.anchorEventID = anchorEventID
    }
    public static func < (a: AlertIdentity, b: AlertIdentity) -> Bool {
        (a.ruleID, a.anchorEventID) < (b.ruleID, b.anchorEventID)
    }
    public var description: String { "\(ruleID),\(anchorEventID)" }
}

/// Durations in words: `7d`, `24h`, `72h`, `90m`.
public enum DurationText {
    public static func format(_ d: Int64) -> String {
        if d % TimeUnit.day == 0 { return "\(d / TimeUnit.day)d" }
        if d % TimeUnit.hour == 0 { return "\(d / TimeUnit.hour)h" }
        if d % TimeUnit.minute == 0 { return "\(d / TimeUnit.minute)m" }
        if d % TimeUnit.second == 0 { return "\(d / TimeUnit.second)s" }
        return "\(d)us"
    }
}

/// Minimal JSON text helpers.
public enum JSONText {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string literal with everything needed escaped (control
    /// characters as `\uXXXX`, or U+0000 as U+FFFD with `replacingNUL`).
    public static func quote(_ s: String, replacingNUL: Bool = false) -> String {
        var s = s
        return s.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 2)
            out.append(0x22)
            for b in bytes {
                switch b {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x00 where replacingNUL: out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                case 0..<0x20:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]])
                default: out.append(b)
                }
            }
            out.append(0x22)
            return String(decoding: out, as: UTF8.self)
        }
    }
}

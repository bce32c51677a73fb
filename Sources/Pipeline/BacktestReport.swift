import Foundation

/// The outcome of a backtest: per rule, the alerts before (baseline) and
/// after (candidate), what was added and removed, and what analysts had
/// said about the removed ones. Renders as a table, JSON or an HTML page.
public struct BacktestReport: Sendable, Codable {
    /// One alert shown as an example.
    public struct Example: Sendable, Codable, Hashable {
        public var anchorEventID: String
        /// Beijing time.
        public var anchorTime: String
        public var village: String
        public var key: String
        public var summaryZH: String
        public var summaryEN: String
        /// The figures as JSON text.
        public var figures: String
        /// The analysts' disposition of this alert, when there is one.
        public var disposition: String?
    }

    /// One rule's comparison.
    public struct RuleRow: Sendable, Codable {
        public var rule: String
        /// `unchanged`, `changed` (its text), `parameters` (its overrides), `added`, `removed`.
        public var status = "unchanged"
        public var baselineVersion: Int?
        public var candidateVersion: Int?
        /// Alerts of the baseline and of the candidate.
        public var before = 0
        public var after = 0
        /// Alerts only the candidate raises, only the baseline raises, and both.
        public var added = 0
        public var removed = 0
        public var kept = 0
        /// Alerts both raise whose evidence, figures or key differ.
        public var changedContent = 0
        /// Baseline alerts with a disposition.
        public var judged = 0
        public var confirmedLost = 0
        public var confirmedKept = 0
        public var falsePositivesDropped = 0
        public var falsePositivesKept = 0
        /// Every added and removed alert's anchor event id, in event order.
        public var addedAnchors: [String] = []
        public var removedAnchors: [String] = []
        public var addedExamples: [Example] = []
        public var removedExamples: [Example] = []

        public init(rule: String) { self.rule = rule }

        /// Whether anything about the rule's alerts differs.
        public var differs: Bool { added > 0 || removed > 0 || changedContent > 0 }
    }

    /// Alerts per week (by anchor time, weeks starting Monday, Beijing time).
    public struct Week: Sendable, Codable, Hashable {
        /// The Monday, `YYYY-MM-DD`.
        public var week: String
        public var before: Int
        public var after: Int
    }

    public var baseline: String
    public var candidate: String
    public var ledgers: [String] = []
    public var events = 0
    public var duplicates = 0
    public var deadLetters = 0
    /// `single pass` or `sorted`.
    public var mode = ""
    public var seconds = 0.0
    public var firstEvent: String?
    public var lastEvent: String?
    /// Whether analysts' dispositions were looked up in the database.
    public var dispositionsKnown = false
    public var rules: [RuleRow] = []
    public var weeks: [Week] = []

    public init(baseline: String, candidate: String) {
        self.baseline = baseline
        self.candidate = candidate
    }

    /// The sum over every rule.
    public var total: RuleRow {
        var t = RuleRow(rule: "total")
        t.status = ""
        for r in rules {
            t.before += r.before; t.after += r.after; t.added += r.added; t.removed += r.removed; t.kept += r.kept
            t.changedContent += r.changedContent; t.judged += r.judged
            t.confirmedLost += r.confirmedLost; t.confirmedKept += r.confirmedKept
            t.falsePositivesDropped += r.falsePositivesDropped; t.falsePositivesKept += r.falsePositivesKept
        }
        return t
    }

    /// The report as JSON (snake_case keys).
    public func json() throws -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
    }

    /// A table for the terminal: every rule, then examples of what changed.
    public func text(examples: Bool = true) -> String {
        var out = "backtest: candidate \(candidate) against baseline \(baseline)\n"
        out += "ledger: \(ledgers.joined(separator: ", ")) — \(events) events"
        if let f = firstEvent, let l = lastEvent { out += " from \(f) to \(l)" }
        out += "; \(duplicates) duplicates, \(deadLetters) dead letters; \(mode), \(String(format: "%.2f", seconds)) s\n\n"
        var header = ["rule", "status", "before", "after", "added", "removed", "changed"]
        if dispositionsKnown { header += ["judged", "confirmed lost", "FP dropped"] }
        var table: [[String]] = [header]
        for r in rules + [total] {
            var row = [r.rule, r.status, String(r.before), String(r.after), plus(r.added), minus(r.removed), String(r.changedContent)]
            if dispositionsKnown { row += [String(r.judged), String(r.confirmedLost), String(r.falsePositivesDropped)] }
            table.append(row)
        }
        out += TextTable.render(table, rightAligned: Set(2..<header.count), separatorBefore: table.count - 1)
        if !dispositionsKnown { out += "\n(no database: dispositions not looked up; give --database to see confirmed alerts lost and false positives dropped)\n" }
        guard examples else { return out }
        for r in rules where !r.addedExamples.isEmpty || !r.removedExamples.isEmpty {
            out += "\n\(r.rule):\n"
            for (sign, list, count) in [("+", r.addedExamples, r.added), ("-", r.removedExamples, r.removed)] where !list.isEmpty {
                out += "  \(count) \(sign == "+" ? "added" : "removed")\(count > list.count ? ", e.g." : ":")\n"
                for e in list {
                    out += "    \(sign) \(e.anchorEventID)  \(e.anchorTime)  \(e.village)  \(e.key)"
                    if let d = e.disposition { out += "  [\(d)]" }
                    out += "\n      \(e.summaryZH)\n"
                }
            }
        }
        return out
    }

    func plus(_ n: Int) -> String { n == 0 ? "0" : "+\(n)" }
    func minus(_ n: Int) -> String { n == 0 ? "0" : "-\(n)" }
}

/// Plain-text tables with aligned columns (counting wide characters as two).
enum TextTable {
    static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { n, u in
            let v = u.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v)
            return n + (wide ? 2 : 1)
        }
    }

    static func render(_ rows: [[String]], rightAligned: Set<Int>, separatorBefore: Int? = nil) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], width(c)) } }
        var out = ""
        for (n, r) in rows.enumerated() {
            if n == separatorBefore || n == 1 {
                out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            }
            var line = ""
            for (i, c) in r.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - width(c))
                if i > 0 { line += "  " }
                line += rightAligned.contains(i) ? pad + c : c + pad
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

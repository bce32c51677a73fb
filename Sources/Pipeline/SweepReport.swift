import Foundation

/// A sweep's outcome: per value of the parameter, the rule's alerts, and
/// how many of them analysts confirmed or called false positives; each
/// value also against the rule as configured now (added/removed).
public struct SweepReport: Sendable, Codable {
    public struct Row: Sendable, Codable, Hashable {
        /// The parameter value (`3`, `1.3`, `8000`), or `current`.
        public var value: String
        public var alerts = 0
        /// Alerts a current-configuration run does not raise, and the reverse.
        public var added = 0
        public var removed = 0
        /// Alerts of this value that analysts judged, confirmed, and called false positives.
        public var judged = 0
        public var confirmed = 0
        public var falsePositives = 0
        /// Every alert's anchor event id (JSON only).
        public var anchors: [String] = []

        public init(value: String) { self.value = value }
    }

    public var rule: String
    public var parameter: String
    public var ledgers: [String] = []
    public var events = 0
    public var mode = ""
    public var seconds = 0.0
    public var dispositionsKnown = false
    /// How the parameter is set now (default, overrides).
    public var currentSetting = ""
    public var current = Row(value: "current")
    public var rows: [Row] = []
    /// The row whose value is the one in force everywhere, when there is one.
    public var currentIndex: Int?

    public init(rule: String, parameter: String) {
        self.rule = rule
        self.parameter = parameter
    }

    public func json() throws -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(self), as: UTF8.self) + "\n"
    }

    /// A table with a bar per value.
    public func text() -> String {
        var out = "sweep: \(rule), \(parameter) over \(rows.count) value\(rows.count == 1 ? "" : "s")\n"
        out += "ledger: \(ledgers.joined(separator: ", ")) — \(events) events; \(mode), \(String(format: "%.2f", seconds)) s\n"
        out += "now: \(currentSetting) → \(current.alerts) alerts\n\n"
        var header = [parameter, "alerts", "vs now"]
        if dispositionsKnown { header += ["confirmed", "false pos."] }
        header.append("")
        var table: [[String]] = [header]
        let maxAlerts = rows.map(\.alerts).max() ?? 0
        for (i, r) in rows.enumerated() {
            let delta = r.added == 0 && r.removed == 0 ? "=" : "+\(r.added) −\(r.removed)"
            var line = [r.value + (i == currentIndex ? " *" : ""), String(r.alerts), delta]
            if dispositionsKnown { line += [String(r.confirmed), String(r.falsePositives)] }
            line.append(BacktestChart.textBar(r.alerts, max: maxAlerts, width: 30))
            table.append(line)
        }
        out += TextTable.render(table, rightAligned: Set(1..<(header.count - 1)))
        if currentIndex != nil { out += "* the value in force now\n" }
        if !dispositionsKnown { out += "(no database: dispositions not looked up; give --database for confirmed and false-positive counts)\n" }
        return out
    }

    /// A self-contained HTML page with the threshold curve.
    public func html() -> String {
        let e = BacktestChart.escape
        var b = "<h1>Sweep: \(e(rule)) — \(e(parameter))</h1>"
        b += "<p class=\"muted\">\(e(ledgers.joined(separator: ", "))) — \(events) events; \(e(mode)), \(String(format: "%.2f", seconds)) s. "
        b += "Now: \(e(currentSetting)) → \(current.alerts) alerts.</p>"
        var series: [(name: String, color: String, values: [Int])] = [("alerts", BacktestChart.palette[0], rows.map(\.alerts))]
        if dispositionsKnown {
            series.append(("confirmed", BacktestChart.palette[2], rows.map(\.confirmed)))
            series.append(("false positives", BacktestChart.palette[1], rows.map(\.falsePositives)))
        }
        b += BacktestChart.lines(rows.map(\.value), series: series, highlight: currentIndex)
        b += "<table><tr><th>\(e(parameter))</th><th class=\"n\">alerts</th><th class=\"n\">added</th><th class=\"n\">removed</th>"
        if dispositionsKnown { b += "<th class=\"n\">judged</th><th class=\"n\">confirmed</th><th class=\"n\">false positives</th>" }
        b += "</tr>"
        for (i, r) in rows.enumerated() {
            b += i == currentIndex ? "<tr class=\"current\">" : "<tr>"
            b += "<td>\(e(r.value))\(i == currentIndex ? " (now)" : "")</td><td class=\"n\">\(r.alerts)</td>"
            b += "<td class=\"n add\">\(r.added)</td><td class=\"n rem\">\(r.removed)</td>"
            if dispositionsKnown { b += "<td class=\"n\">\(r.judged)</td><td class=\"n\">\(r.confirmed)</td><td class=\"n\">\(r.falsePositives)</td>" }
            b += "</tr>"
        }
        b += "</table><p class=\"muted\">added/removed: against the rule as configured now. Each value applies in every village "
        b += "(it replaces the parameters-file overrides of \(e(parameter))).</p>"
        return BacktestChart.page(title: "Sweep \(rule) \(parameter)", body: b)
    }
}

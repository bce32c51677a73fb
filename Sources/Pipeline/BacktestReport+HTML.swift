import Foundation

extension BacktestReport {
    /// A self-contained HTML page: summary, a chart of alerts per rule before
    /// and after, a chart of alerts per week, the table, and examples.
    public func html() -> String {
        let e = BacktestChart.escape
        var b = "<h1>Backtest: \(e(candidate)) against \(e(baseline))</h1>"
        b += "<p class=\"muted\">\(e(ledgers.joined(separator: ", "))) — \(events) events"
        if let f = firstEvent, let l = lastEvent { b += " from \(e(f)) to \(e(l))" }
        b += "; \(duplicates) duplicates, \(deadLetters) dead letters; \(e(mode)), \(String(format: "%.2f", seconds)) s.</p>"
        let t = total
        b += "<p><b>\(t.before)</b> alerts before, <b>\(t.after)</b> after: <span class=\"add\">+\(t.added) added</span>, "
        b += "<span class=\"rem\">−\(t.removed) removed</span>, \(t.changedContent) with other figures or evidence."
        if dispositionsKnown {
            b += " Of \(t.judged) judged baseline alerts, the candidate would lose <b class=\"rem\">\(t.confirmedLost) confirmed</b> "
            b += "and drop <b class=\"add\">\(t.falsePositivesDropped) false positives</b>."
        } else {
            b += " <span class=\"muted\">(No database: analysts' dispositions not looked up.)</span>"
        }
        b += "</p>"

        // Chart: alerts per rule, before and after (rules with any alert).
        let charted = rules.filter { $0.before > 0 || $0.after > 0 }
        if !charted.isEmpty {
            b += "<h2>Alerts per rule</h2>"
            b += BacktestChart.groupedBars(charted.map { ($0.rule + ($0.status == "unchanged" ? "" : " *"), [$0.before, $0.after]) },
                                           series: [("before (\(baseline))", BacktestChart.baselineColor), ("after (\(candidate))", BacktestChart.candidateColor)])
            b += "<p class=\"muted\">* the rule's text or parameters differ.</p>"
        }
        if weeks.count > 1 {
            b += "<h2>Alerts per week</h2>"
            b += BacktestChart.lines(weeks.map(\.week), series: [("before", BacktestChart.baselineColor, weeks.map(\.before)),
                                                                 ("after", BacktestChart.candidateColor, weeks.map(\.after))])
        }

        // Table.
        b += "<h2>Per rule</h2><table><tr><th>rule</th><th>status</th><th>version</th><th class=\"n\">before</th><th class=\"n\">after</th>"
        b += "<th class=\"n\">added</th><th class=\"n\">removed</th><th class=\"n\">changed</th>"
        if dispositionsKnown { b += "<th class=\"n\">judged</th><th class=\"n\">confirmed lost</th><th class=\"n\">FP dropped</th>" }
        b += "</tr>"
        for r in rules + [t] {
            let isTotal = r.rule == "total" && r.status.isEmpty
            b += isTotal ? "<tr class=\"total\">" : "<tr>"
            b += "<td>\(e(r.rule))</td><td>\(r.status.isEmpty ? "" : "<span class=\"tag \(e(r.status))\">\(e(r.status))</span>")</td>"
            let versions = [r.baselineVersion, r.candidateVersion].map { $0.map(String.init) ?? "—" }
            b += "<td>\(isTotal ? "" : versions[0] == versions[1] ? versions[0] : "\(versions[0]) → \(versions[1])")</td>"
            b += "<td class=\"n\">\(r.before)</td><td class=\"n\">\(r.after)</td>"
            b += "<td class=\"n add\">\(r.added > 0 ? "+\(r.added)" : "0")</td><td class=\"n rem\">\(r.removed > 0 ? "−\(r.removed)" : "0")</td>"
            b += "<td class=\"n\">\(r.changedContent)</td>"
            if dispositionsKnown {
                b += "<td class=\"n\">\(r.judged)</td><td class=\"n rem\">\(r.confirmedLost)</td><td class=\"n add\">\(r.falsePositivesDropped)</td>"
            }
            b += "</tr>"
        }
        b += "</table>"

        // Examples.
        let withExamples = rules.filter { !$0.addedExamples.isEmpty || !$0.removedExamples.isEmpty }
        if !withExamples.isEmpty {
            b += "<h2>Examples</h2>"
            for r in withExamples {
                b += "<details open><summary><b>\(e(r.rule))</b>: +\(r.added) / −\(r.removed)</summary>"
                for (title, list, cls) in [("added", r.addedExamples, "add"), ("removed", r.removedExamples, "rem")] where !list.isEmpty {
                    b += "<div class=\"ex\"><b class=\"\(cls)\">\(title)</b>"
                    for x in list {
                        b += "<div>\(cls == "add" ? "+" : "−") <code>\(e(x.anchorEventID))</code> \(e(x.anchorTime)) · \(e(x.village)) · \(e(x.key))"
                        if let d = x.disposition { b += " <span class=\"tag\">\(e(d))</span>" }
                        b += "<br>\(e(x.summaryZH))<br><span class=\"muted\">\(e(x.summaryEN))</span></div>"
                    }
                    b += "</div>"
                }
                b += "</details>"
            }
        }
        return BacktestChart.page(title: "Backtest \(candidate) vs \(baseline)", body: b)
    }
}

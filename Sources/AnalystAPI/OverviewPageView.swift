/// The integrity map (`GET /overview`): a heat map of alerts per village
/// and month, grouped by township, and a bar chart of alerts per rule with
/// false-positive rates. SVG drawn here; every cell and bar links to the
/// queue filtered to it.
enum OverviewPageView {
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    /// The last `maxMonths` months that have alerts, oldest first.
    static func months(_ cells: [HeatCell], maxMonths: Int = 12) -> [String] {
        Array(Set(cells.map(\.month)).sorted().suffix(maxMonths))
    }

    /// `2023-04` → (`2023-04-01`, `2023-04-30`).
    static func monthRange(_ m: String) -> (String, String) {
        let parts = m.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let mo = Int(parts[1]) else { return (m, m) }
        let days = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][max(0, min(11, mo - 1))]
        return ("\(m)-01", "\(m)-\(days)")
    }

    static func render(cells: [HeatCell], stats: [RuleStats], filter: QueueFilter, _ ctx: PageContext, catalog: RuleCatalog) -> String {
        let t = ctx.t
        var b = "<h1>\(e(t("Integrity map")))</h1><p class=\"small muted\">\(e(t("Click a cell to open the queue filtered to it.")))</p>"
        b += "<h2>\(e(t("Alerts per village and month")))</h2>"
        b += heatMap(cells, filter: filter, t)
        b += "<h2>\(e(t("Alerts per rule")))</h2>"
        b += ruleBars(stats, filter: filter, catalog: catalog, t)
        b += "<table class=\"small\" id=\"fprates\"><thead><tr><th>\(e(t("Rule")))</th><th class=\"num\">\(e(t("Total")))</th><th class=\"num\">\(e(t("Open")))</th><th class=\"num\">\(e(t("Confirmed")))</th><th class=\"num\">\(e(t("False positive")))</th><th class=\"num\">\(e(t("Duplicate")))</th><th class=\"num\">\(e(t("Needs information")))</th><th class=\"num\">\(e(t("False-positive rate")))</th></tr></thead><tbody>"
        for s in stats {
            b += "<tr><td><a href=\"/rules/\(e(HTMLText.urlEncode(s.rule)))\">\(e(QueuePageView.ruleTitle(s.rule, catalog: catalog, t)))</a> <span class=\"mono muted\">\(e(s.rule))</span></td>"
            b += "<td class=\"num\">\(s.total)</td><td class=\"num\">\(s.open)</td><td class=\"num\">\(s.confirmed)</td><td class=\"num\">\(s.falsePositive)</td><td class=\"num\">\(s.duplicate)</td><td class=\"num\">\(s.needsInfo)</td>"
            b += "<td class=\"num\">\(percent(s.falsePositiveRate))</td></tr>"
        }
        b += "</tbody></table><p class=\"small muted\">\(e(t("False-positive rate"))): \(e(t("false positives among the alerts judged confirmed or false positive")))</p>"
        return PageLayout.page(t("Integrity map"), ctx, active: "overview", body: b)
    }

    static func percent(_ r: Double?) -> String {
        guard let r else { return "—" }
        return "\(Int((r * 100).rounded()))%"
    }

    static func heatMap(_ cells: [HeatCell], filter: QueueFilter, _ t: Localizer) -> String {
        let ms = months(cells)
        guard !ms.isEmpty else { return "<p class=\"muted\">\(e(t("No alerts match.")))</p>" }
        let inRange = cells.filter { ms.contains($0.month) }
        var byVillage: [String: [String: Int]] = [:]
        var townshipOf: [String: String] = [:]
        for c in inRange {
            byVillage[c.village, default: [:]][c.month, default: 0] += c.count
            townshipOf[c.village] = c.township
        }
        var byTownship: [String: [String: Int]] = [:]
        for c in inRange { byTownship[c.township, default: [:]][c.month, default: 0] += c.count }
        // rows: each township, then its villages
        var rows: [(label: String, township: String?, village: String?, counts: [String: Int])] = []
        for tw in byTownship.keys.sorted() {
            rows.append((tw, tw, nil, byTownship[tw]!))
            for v in byVillage.keys.filter({ townshipOf[$0] == tw }).sorted() { rows.append(("  " + v, nil, v, byVillage[v]!)) }
        }
        let maxVillage = max(1, byVillage.values.flatMap(\.values).max() ?? 1)
        let maxTownship = max(1, byTownship.values.flatMap(\.values).max() ?? 1)
        let labelW = 120, cellW = 54, cellH = 20, top = 28
        let width = labelW + cellW * ms.count + 10, height = top + cellH * rows.count + 10
        var s = "<svg id=\"heatmap\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(e(t("Alerts per village and month")))\">"
        for (i, m) in ms.enumerated() {
            s += "<text x=\"\(labelW + i * cellW + cellW / 2)\" y=\"18\" text-anchor=\"middle\">\(e(m))</text>"
        }
        for (r, row) in rows.enumerated() {
            let y = top + r * cellH
            let bold = row.township != nil
            s += "<text x=\"\(bold ? 4 : 18)\" y=\"\(y + 14)\"\(bold ? " font-weight=\"700\"" : "")>\(e(row.label.trimmed))</text>"
            for (i, m) in ms.enumerated() {
                let n = row.counts[m] ?? 0
                let scale = bold ? maxTownship : maxVillage
                let x = labelW + i * cellW
                var f = filter
                f.timeField = .event
                let (from, until) = monthRange(m)
                f.from = from
                f.until = until
                if let tw = row.township { f.townships = [tw]; f.villages = [] }
                if let v = row.village { f.villages = [v]; f.townships = [] }
                let href = "/queue?" + f.queryString()
                s += "<a href=\"\(e(href))\"><title>\(e(row.label.trimmed)) \(e(m)): \(n)</title>"
                s += "<rect x=\"\(x + 1)\" y=\"\(y + 1)\" width=\"\(cellW - 2)\" height=\"\(cellH - 2)\" fill=\"\(color(n, max: scale))\" data-count=\"\(n)\"/>"
                if n > 0 { s += "<text x=\"\(x + cellW / 2)\" y=\"\(y + 14)\" text-anchor=\"middle\"\(Double(n) / Double(scale) > 0.5 ? " class=\"w\"" : "")>\(n)</text>" }
                s += "</a>"
            }
        }
        return s + "</svg>"
    }

    /// White to deep red by the share of the maximum.
    static func color(_ n: Int, max: Int) -> String {
        if n == 0 { return "#f6f8fa" }
        let r = Double(n) / Double(Swift.max(1, max))
        let light = (255.0, 235.0, 233.0), dark = (130.0, 7.0, 30.0)
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * (0.15 + 0.85 * r)).rounded()) }
        let c = [mix(light.0, dark.0), mix(light.1, dark.1), mix(light.2, dark.2)]
        return "#" + c.map { v in let h = String(v, radix: 16); return h.count == 1 ? "0" + h : h }.joined()
    }

    static func ruleBars(_ stats: [RuleStats], filter: QueueFilter, catalog: RuleCatalog, _ t: Localizer) -> String {
        guard !stats.isEmpty else { return "<p class=\"muted\">\(e(t("No alerts match.")))</p>" }
        let labelW = 340, barMax = 420, rowH = 22
        let maxN = max(1, stats.map(\.total).max() ?? 1)
        let height = rowH * stats.count + 10, width = labelW + barMax + 160
        var s = "<svg id=\"rulebars\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(e(t("Alerts per rule")))\">"
        for (i, st) in stats.enumerated() {
            let y = i * rowH + 4
            var f = filter
            f.rules = [st.rule]
            let w = max(1, st.total * barMax / maxN)
            let fpw = st.total == 0 ? 0 : st.falsePositive * w / st.total
            s += "<a href=\"/queue?\(e(f.queryString()))\"><title>\(e(st.rule)): \(st.total)</title>"
            s += "<text x=\"\(labelW - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(e(QueuePageView.ruleTitle(st.rule, catalog: catalog, t)))</text>"
            s += "<rect class=\"bar\" x=\"\(labelW)\" y=\"\(y)\" width=\"\(w)\" height=\"\(rowH - 6)\" data-count=\"\(st.total)\"/>"
            if fpw > 0 { s += "<rect class=\"bar fp\" x=\"\(labelW + w - fpw)\" y=\"\(y)\" width=\"\(fpw)\" height=\"\(rowH - 6)\"/>" }
            s += "<text x=\"\(labelW + w + 6)\" y=\"\(y + 14)\">\(st.total) · \(e(t("False-positive rate"))) \(percent(st.falsePositiveRate))</text></a>"
        }
        return s + "</svg>"
    }
}

/// Small charts for the backtest and sweep reports: inline SVG for the HTML
/// pages (no script, no external file, no CDN) and block bars for the terminal.
enum BacktestChart {
    static let baselineColor = "#8a9bb0"
    static let candidateColor = "#c0392b"
    static let palette = ["#2c6fbb", "#c0392b", "#27ae60", "#8e44ad", "#d68910"]

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A round axis maximum at or above `v`.
    static func niceMax(_ v: Int) -> Int {
        guard v > 0 else { return 1 }
        var step = 1
        while step * 10 < v { step *= 10 }
        for m in [1, 2, 5, 10] where m * step >= v { return m * step }
        return v
    }

    /// Horizontal bars, one group per label and one bar per series in each group.
    static func groupedBars(_ groups: [(label: String, values: [Int])], series: [(name: String, color: String)], width: Int = 760) -> String {
        let labelWidth = 230, barHeight = 11, gap = 8, top = 28
        let groupHeight = series.count * barHeight + gap
        let height = top + groups.count * groupHeight + 24
        let maxValue = niceMax(groups.flatMap(\.values).max() ?? 1)
        let plot = Double(width - labelWidth - 60)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"
        // Legend.
        var x = labelWidth
        for (name, color) in series {
            s += "<rect x=\"\(x)\" y=\"6\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text x=\"\(x + 14)\" y=\"15\">\(escape(name))</text>"
            x += 14 + 7 * name.count + 20
        }
        // Grid.
        for i in 0...4 {
            let gx = labelWidth + Int(plot * Double(i) / 4)
            s += "<line x1=\"\(gx)\" y1=\"\(top - 4)\" x2=\"\(gx)\" y2=\"\(height - 20)\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(gx)\" y=\"\(height - 6)\" text-anchor=\"middle\" fill=\"#666\">\(maxValue * i / 4)</text>"
        }
        for (g, group) in groups.enumerated() {
            let y0 = top + g * groupHeight
            s += "<text x=\"\(labelWidth - 6)\" y=\"\(y0 + groupHeight / 2)\" text-anchor=\"end\">\(escape(group.label))</text>"
            for (i, v) in group.values.enumerated() where i < series.count {
                let w = max(v > 0 ? 1 : 0, Int(plot * Double(v) / Double(maxValue)))
                let y = y0 + i * barHeight
                s += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(barHeight - 2)\" fill=\"\(series[i].color)\"><title>\(escape(group.label)) — \(escape(series[i].name)): \(v)</title></rect>"
                s += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + barHeight - 3)\" fill=\"#333\">\(v)</text>"
            }
        }
        return s + "</svg>"
    }

    /// Lines over labelled x positions (weeks, parameter values).
    static func lines(_ xLabels: [String], series: [(name: String, color: String, values: [Int])], width: Int = 760, height: Int = 260,
                      highlight: Int? = nil) -> String {
        let left = 50, right = 20, top = 28, bottom = 46
        let plotW = Double(width - left - right), plotH = Double(height - top - bottom)
        let maxValue = niceMax(series.flatMap(\.values).max() ?? 1)
        let n = max(1, xLabels.count - 1)
        func px(_ i: Int) -> Double { Double(left) + (xLabels.count == 1 ? plotW / 2 : plotW * Double(i) / Double(n)) }
        func py(_ v: Int) -> Double { Double(top) + plotH * (1 - Double(v) / Double(maxValue)) }
        func f(_ d: Double) -> String { String(Int(d.rounded())) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"
        var lx = left
        for sr in series {
            s += "<rect x=\"\(lx)\" y=\"6\" width=\"10\" height=\"10\" fill=\"\(sr.color)\"/><text x=\"\(lx + 14)\" y=\"15\">\(escape(sr.name))</text>"
            lx += 14 + 7 * sr.name.count + 20
        }
        for i in 0...4 {
            let v = maxValue * i / 4
            s += "<line x1=\"\(left)\" y1=\"\(f(py(v)))\" x2=\"\(width - right)\" y2=\"\(f(py(v)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(f(py(v)) )\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#666\">\(v)</text>"
        }
        let every = max(1, xLabels.count / 12)
        for (i, label) in xLabels.enumerated() where i % every == 0 || i == xLabels.count - 1 {
            s += "<text x=\"\(f(px(i)))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" fill=\"#666\">\(escape(label))</text>"
        }
        if let h = highlight, h < xLabels.count {
            s += "<line x1=\"\(f(px(h)))\" y1=\"\(top)\" x2=\"\(f(px(h)))\" y2=\"\(height - bottom)\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        }
        for sr in series {
            let points = sr.values.enumerated().map { "\(f(px($0.offset))),\(f(py($0.element)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(sr.color)\" stroke-width=\"2\" points=\"\(points)\"/>"
            for (i, v) in sr.values.enumerated() {
                s += "<circle cx=\"\(f(px(i)))\" cy=\"\(f(py(v)))\" r=\"2.5\" fill=\"\(sr.color)\"><title>\(escape(i < xLabels.count ? xLabels[i] : "")) — \(escape(sr.name)): \(v)</title></circle>"
            }
        }
        return s + "</svg>"
    }

    /// A bar of block characters for the terminal.
    static func textBar(_ v: Int, max maxValue: Int, width: Int = 40) -> String {
        guard maxValue > 0, v > 0 else { return "" }
        let eighths = Int((Double(v) / Double(maxValue) * Double(width * 8)).rounded())
        let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + blocks[eighths % 8] + (eighths == 0 ? "▏" : "")
    }

    /// The page around a report: inline style only.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
        h1{font-size:20px;margin-bottom:4px}h2{font-size:16px;margin-top:28px}
        .muted{color:#666;font-size:13px}
        table{border-collapse:collapse;margin:8px 0;font-size:13px}
        th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        tr.total td{font-weight:600;border-top:2px solid #999}
        tr.current td{background:#fff7e0}
        .add{color:#1e7e34}.rem{color:#b02a37}
        .tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#eee}
        .tag.changed{background:#fde2e1}.tag.parameters{background:#fff0c2}.tag.added{background:#d9f2e0}.tag.removed{background:#e4e4e4}
        details{margin:6px 0}summary{cursor:pointer}
        .ex{font-size:12px;margin:4px 0 10px 12px}.ex code{font-size:11px;color:#555}
        </style></head><body>
        \(body)
        </body></html>

        """
    }
}

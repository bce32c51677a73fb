import EventModel

/// The rule pages (`GET /rules`, `GET /rules/{name}`): read-only source,
/// versions, weekly alert volume and false-positive rate.
enum RulePageView {
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    static func list(_ stats: [RuleStats], catalog: RuleCatalog, _ ctx: PageContext) -> String {
        let t = ctx.t
        var names = Set(stats.map(\.rule))
        names.formUnion(catalog.files.keys)
        let byName = Dictionary(stats.map { ($0.rule, $0) }, uniquingKeysWith: { a, _ in a })
        var b = "<h1>\(e(t("Rules")))</h1><table id=\"rules\"><thead><tr><th>\(e(t("Rule")))</th><th>\(e(t("Title")))</th><th>\(e(t("Version")))</th><th>\(e(t("Severity")))</th><th class=\"num\">\(e(t("Alerts")))</th><th class=\"num\">\(e(t("False-positive rate")))</th></tr></thead><tbody>"
        for n in names.sorted() {
            let info = catalog.files[n]
            let s = byName[n]
            b += "<tr><td class=\"mono\"><a href=\"/rules/\(e(HTMLText.urlEncode(n)))\">\(e(n))</a></td><td>\(e(QueuePageView.ruleTitle(n, catalog: catalog, t)))</td>"
            b += "<td>\(info?.version.map { String($0) } ?? "")</td><td>\(info?.severity.map { PageLayout.severityBadge($0, t) } ?? "")</td>"
            b += "<td class=\"num\">\(s?.total ?? 0)</td><td class=\"num\">\(OverviewPageView.percent(s?.falsePositiveRate))</td></tr>"
        }
        b += "</tbody></table>"
        return PageLayout.page(t("Rules"), ctx, active: "rules", body: b)
    }

    static func detail(name: String, info: RuleInfo?, stored: [RuleVersionInfo], seen: [SeenVersion], weeks: [WeekCount],
                       stats: RuleStats?, _ ctx: PageContext) -> String {
        let t = ctx.t
        var b = "<h1>\(e(t("Rule page"))): <span class=\"mono\">\(e(name))</span></h1>"
        if let info {
            b += "<p class=\"summary\">\(e((t.language == .en ? info.titleEN : info.titleZH) ?? name)) \(info.severity.map { PageLayout.severityBadge($0, t) } ?? "") · \(e(t("Version"))) \(info.version.map { String($0) } ?? "?")</p>"
        }
        b += "<p class=\"small muted\">\(e(t("Read-only: rules are changed by rule authors with the rules commands.")))</p>"
        let s = stats ?? RuleStats(rule: name)
        b += "<div class=\"card\"><dl class=\"facts\"><dt>\(e(t("Alerts")))</dt><dd id=\"rule-total\">\(s.total)</dd><dt>\(e(t("Open")))</dt><dd>\(s.open)</dd>"
        b += "<dt>\(e(t("Confirmed")))</dt><dd>\(s.confirmed)</dd><dt>\(e(t("False positive")))</dt><dd>\(s.falsePositive)</dd>"
        b += "<dt>\(e(t("False-positive rate")))</dt><dd id=\"rule-fp\">\(OverviewPageView.percent(s.falsePositiveRate))</dd></dl>"
        b += "<p><a href=\"/queue?rule=\(e(HTMLText.urlEncode(name)))\">\(e(t("Alert queue"))) »</a></p></div>"

        b += "<h2>\(e(t("Alert volume per week")))</h2>" + weekChart(weeks, t)

        b += "<h2>\(e(t("Versions")))</h2><h3 class=\"small\">\(e(t("Versions seen in alerts")))</h3>"
        b += "<table class=\"small\"><thead><tr><th>\(e(t("Version")))</th><th class=\"num\">\(e(t("Alerts")))</th><th>\(e(t("First")))</th><th>\(e(t("Last")))</th></tr></thead><tbody>"
        for v in seen { b += "<tr><td>\(v.version)</td><td class=\"num\">\(v.count)</td><td>\(e(v.firstAnchor))</td><td>\(e(v.lastAnchor))</td></tr>" }
        b += "</tbody></table><h3 class=\"small\">\(e(t("Stored versions")))</h3>"
        if stored.isEmpty {
            b += "<p class=\"muted small\">\(e(t("No stored versions (rule_versions is empty or absent).")))</p>"
        } else {
            b += "<table class=\"small\" id=\"stored-versions\"><thead><tr><th>\(e(t("Version")))</th><th>\(e(t("Time")))</th><th>\(e(t("Author")))</th><th>\(e(t("Message")))</th><th>hash</th></tr></thead><tbody>"
            for v in stored {
                b += "<tr><td>\(e(v.version))</td><td>\(e(v.at ?? ""))</td><td>\(e(v.author ?? ""))</td><td>\(e(v.message ?? ""))</td><td class=\"mono\">\(e(String((v.hash ?? "").prefix(12))))</td></tr>"
            }
            b += "</tbody></table>"
        }

        b += "<h2>\(e(t("Rule text")))</h2>"
        if let src = info?.source ?? stored.first?.source {
            if let origin = info?.origin { b += "<p class=\"small muted\">\(e(t("Source"))): <span class=\"mono\">\(e(origin))</span></p>" }
            b += "<pre class=\"mono\" id=\"rule-source\">\(e(src))</pre>"
        } else {
            b += "<p class=\"muted\">\(e(t("This rule is not in the rule files the server was given.")))</p>"
        }
        if ctx.principal?.user.role == .ruleAuthor || ctx.principal?.user.role == .admin {
            b += "<h2>\(e(t("Backtest a change")))</h2><p class=\"small\">\(e(t("Rule authors backtest a candidate with:")))</p>"
            b += "<pre class=\"mono\">qianliyan rules backtest --candidate CANDIDATE_DIR --baseline deployed --ledger LEDGER --reference REFERENCE_DIR</pre>"
            b += "<pre class=\"mono\">qianliyan rules sweep \(e(name)) --param NAME=LOW..HIGH --ledger LEDGER</pre>"
        }
        return PageLayout.page(name, ctx, active: "rules", body: b)
    }

    /// The weeks from the first to the last, with empty weeks as zeros.
    static func filledWeeks(_ weeks: [WeekCount]) -> [WeekCount] {
        guard let first = weeks.first.flatMap({ Timestamp.parseDate($0.week) }),
              let last = weeks.last.flatMap({ Timestamp.parseDate($0.week) }), last >= first, (last - first) / 7 < 2000 else { return weeks }
        let byDay = Dictionary(weeks.compactMap { w in Timestamp.parseDate(w.week).map { ($0, w) } }, uniquingKeysWith: { a, _ in a })
        return stride(from: first, through: last, by: 7).map { d in
            byDay[d] ?? WeekCount(week: CivilDate.format(days: d), count: 0, confirmed: 0, falsePositive: 0)
        }
    }

    /// Weekly bars (last 52 weeks with alerts), false positives in grey.
    static func weekChart(_ weeks: [WeekCount], _ t: Localizer) -> String {
        let ws = Array(filledWeeks(weeks).suffix(52))
        guard !ws.isEmpty else { return "<p class=\"muted\">\(e(t("No alerts match.")))</p>" }
        let barW = 14, h = 120, left = 30, bottom = 34
        let maxN = max(1, ws.map(\.count).max() ?? 1)
        let width = left + ws.count * barW + 10, height = h + bottom
        var s = "<svg id=\"weekly\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(e(t("Alert volume per week")))\">"
        s += "<text x=\"2\" y=\"12\">\(maxN)</text><text x=\"2\" y=\"\(h)\">0</text>"
        for (i, w) in ws.enumerated() {
            let bh = w.count == 0 ? 0 : max(1, w.count * (h - 10) / maxN)
            let fh = w.count == 0 ? 0 : w.falsePositive * bh / w.count
            let x = left + i * barW
            s += "<g><title>\(e(w.week)): \(w.count)</title><rect class=\"bar\" x=\"\(x)\" y=\"\(h - bh)\" width=\"\(barW - 2)\" height=\"\(bh)\"/>"
            if fh > 0 { s += "<rect class=\"bar fp\" x=\"\(x)\" y=\"\(h - fh)\" width=\"\(barW - 2)\" height=\"\(fh)\"/>" }
            s += "</g>"
            if i % 4 == 0 { s += "<text x=\"\(x)\" y=\"\(h + 14)\">\(e(String(w.week.dropFirst(5))))</text>" }
        }
        return s + "</svg>"
    }
}

/// The login form, error pages and the audit log page.
enum MiscPageView {
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    static func login(_ ctx: PageContext, loginCSRF: String, error: String?, next: String) -> String {
        let t = ctx.t
        var b = "<form class=\"login\" method=\"post\" action=\"/login\" id=\"login\"><h1>\(e(t("Qianliyan — village micro-power oversight")))</h1>"
        if let error { b += "<div class=\"warn\" id=\"login-error\">\(e(error))</div>" }
        b += "<input type=\"hidden\" name=\"_csrf\" value=\"\(e(loginCSRF))\"><input type=\"hidden\" name=\"next\" value=\"\(e(next))\">"
        b += "<label>\(e(t("User name")))<input type=\"text\" name=\"username\" autocomplete=\"username\" required autofocus></label>"
        b += "<label>\(e(t("Password")))<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>"
        b += "<button class=\"primary\" type=\"submit\">\(e(t("Log in")))</button></form>"
        return PageLayout.page(t("Log in"), ctx, body: b)
    }

    static func error(_ err: AnalystAPIError, _ ctx: PageContext) -> String {
        let t = ctx.t
        let title: String
        var text = err.message
        switch err.code {
        case .notFound: title = t("Not found"); text = t("The alert does not exist or is outside your districts.")
        case .forbidden: title = t("Forbidden")
        case .conflict: title = t("Conflict")
        case .csrf: title = t("Forbidden"); text = t("The form has expired. Go back, reload the page and try again.")
        case .badRequest: title = t("Bad request")
        default: title = t("Something went wrong.")
        }
        let b = "<h1 id=\"error\">\(e(title))</h1><p>\(e(text))</p><p><a href=\"/queue\">\(e(t("Back to the queue")))</a></p>"
        return PageLayout.page(title, ctx, body: b)
    }

    static func audit(_ entries: [AuditEntry], _ ctx: PageContext, next: Int64?) -> String {
        let t = ctx.t
        var b = "<h1>\(e(t("Audit log")))</h1><table class=\"small\" id=\"audit\"><thead><tr><th>#</th><th>\(e(t("Time")))</th><th>\(e(t("Actor")))</th><th>\(e(t("Role")))</th><th>\(e(t("Action")))</th><th>\(e(t("Alert")))</th><th>\(e(t("Details")))</th></tr></thead><tbody>"
        for a in entries {
            b += "<tr><td>\(a.id)</td><td>\(e(PageLayout.timeSeconds(a.at)))</td><td>\(e(a.actor))</td><td>\(e(a.actorRole.map { t.role($0) } ?? ""))</td><td>\(e(t.action(a.action)))</td>"
            b += "<td>\(a.alertID.map { "<a href=\"/alerts/\($0)\">#\($0)</a>" } ?? "")</td><td class=\"mono\">\(e(a.detailsJSON))</td></tr>"
        }
        b += "</tbody></table>"
        if let next { b += "<p><a href=\"/audit?before=\(next)\">»</a></p>" }
        return PageLayout.page(t("Audit log"), ctx, active: "audit", body: b)
    }
}

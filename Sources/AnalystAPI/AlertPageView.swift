import AlertStore
import EventModel

/// The alert page (`GET /alerts/{id}`): summary, figures against the
/// threshold, relation path, evidence timeline, related alerts, rule text,
/// history and the workflow forms.
enum AlertPageView {
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    static let cadreRolesZH = ["secretary": "书记", "director": "主任", "committee_member": "委员", "accountant": "会计",
                               "supervisor": "监委会主任", "villager": "村民"]

    static func render(_ d: AlertDetail, _ ctx: PageContext, catalog: RuleCatalog, notice: String? = nil) -> String {
        let t = ctx.t
        let a = d.alert
        let m = d.masker
        let title = QueuePageView.ruleTitle(a.ruleID, catalog: catalog, t)
        var b = "<p class=\"small\"><a href=\"/queue\">« \(e(t("Back to the queue")))</a></p>"
        b += "<h1>\(e(t("Alert"))) #\(a.id) · \(e(title)) \(PageLayout.severityBadge(a.severity.rawValue, t)) \(PageLayout.statusBadge(a.status.rawValue, t))</h1>"
        if let notice { b += "<div class=\"notice\">\(e(notice))</div>" }
        b += "<div class=\"grid\"><div>"

        // summary + facts
        b += "<div class=\"card\"><div class=\"summary\" id=\"summary\">\(e(m.maskText(t.language == .en ? a.summaryEN : a.summaryZH)))</div>"
        b += "<div class=\"small muted\">\(e(m.maskText(t.language == .en ? a.summaryZH : a.summaryEN)))</div>"
        b += "<dl class=\"facts\">"
        b += "<dt>\(e(t("Rule")))</dt><dd><a href=\"/rules/\(e(HTMLText.urlEncode(a.ruleID)))\">\(e(a.ruleID))</a> · \(e(t("Version"))) \(a.ruleVersion)</dd>"
        b += "<dt>\(e(t("Village")))</dt><dd class=\"mono\"><a href=\"/queue?village=\(e(a.village))\">\(e(a.village))</a> · \(e(t("Township"))) <a href=\"/queue?township=\(e(a.township))\">\(e(a.township))</a> · \(e(t("District"))) \(e(a.district))</dd>"
        b += "<dt>\(e(t("Key")))</dt><dd class=\"mono\">\(e(m.maskKey(a.key)))</dd>"
        b += "<dt>\(e(t("Anchor event")))</dt><dd class=\"mono\">\(e(a.anchorEventID)) · \(e(PageLayout.timeSeconds(a.anchorTime)))</dd>"
        b += "<dt>\(e(t("Evidence")))</dt><dd>\(a.evidenceEventIDs.count) \(e(t(a.evidenceEventIDs.count == 1 ? "event" : "events"))) · \(e(PageLayout.time(a.firstEvidenceAt))) – \(e(PageLayout.time(a.lastEvidenceAt)))</dd>"
        b += "<dt>\(e(t("Detected at")))</dt><dd>\(e(PageLayout.timeSeconds(a.detectedAt)))</dd>"
        b += "<dt>\(e(t("Assignee")))</dt><dd id=\"assignee\">\(e(a.assignee ?? "—"))</dd>"
        if let disp = a.disposition {
            b += "<dt>\(e(t("Disposition")))</dt><dd>\(e(t.disposition(disp.rawValue)))\(a.dispositionReason.map { ": " + e($0) } ?? "")</dd>"
        }
        b += "</dl></div>"

        // masking notice / reveal
        b += "<div class=\"\(d.revealed ? "warn" : "notice") small\" id=\"masking\">"
        b += e(d.revealed ? t("Personal ids are shown (revealed by you; recorded in the audit log).")
                          : t("Personal ids are masked. Revealing them is recorded in the audit log."))
        if !d.revealed, ctx.principal?.user.role.mayReveal == true, !d.personalFields.isEmpty {
            b += " <form method=\"post\" action=\"/alerts/\(a.id)/reveal\" class=\"inline\">\(ctx.csrfField)<button id=\"reveal\">\(e(t("Reveal personal ids")))</button></form>"
        }
        b += "</div>"

        b += figuresCard(d, t)
        b += relationCard(d, t)
        b += evidenceCard(d, t)
        b += relatedCard(t("Other alerts on the same key"), d.sameKey, ctx, catalog: catalog, id: "samekey")
        b += relatedCard(t("Other alerts in the village"), d.sameVillage, ctx, catalog: catalog, id: "samevillage")
        b += ruleCard(d, t)
        b += "</div><div>"
        b += actionsCard(d, ctx)
        b += historyCard(d, t)
        b += "</div></div>"
        return PageLayout.page("#\(a.id) \(title)", ctx, active: "queue", body: b)
    }

    static func figuresCard(_ d: AlertDetail, _ t: Localizer) -> String {
        guard let figures = d.figures, !figures.members.isEmpty else { return "" }
        let params = d.ruleParameters
        let m = d.masker
        var b = "<div class=\"card\" id=\"figures\"><h2>\(e(t("Figures against the threshold")))</h2>"
        let members = figures.members.filter { !FigureFormat.relationNames.contains($0.0) }
        let measures = members.filter { !FigureFormat.isThreshold($0.0, parameters: params) }
        let limits = members.filter { FigureFormat.isThreshold($0.0, parameters: params) }
        // headline: "count 4 · sum(amount) ¥18,600.00 ‖ approval_limit ¥10,000.00"
        let left = measures.map { "\(FigureFormat.label($0.0, t)) \(m.maskText(FigureFormat.display($0.1)))" }.joined(separator: " · ")
        let right = limits.map { "\(FigureFormat.label($0.0, t)) \(FigureFormat.display($0.1))" }.joined(separator: " · ")
        b += "<p class=\"summary\">\(e(left))\(right.isEmpty ? "" : " <span class=\"muted\">│ \(e(t("Threshold"))):</span> " + e(right))</p>"
        for (mn, mv, tn, tv, ms, ts) in FigureFormat.comparisons(figures, parameters: params) {
            b += comparisonBar(FigureFormat.label(mn, t), mv, FigureFormat.label(tn, t), tv, ms, ts)
        }
        b += "<table><thead><tr><th>\(e(t("Figure")))</th><th class=\"num\">\(e(t("Value")))</th><th></th></tr></thead><tbody>"
        for (k, v) in members {
            let personal = IdentifierMasker.isPersonal(k)
            let shown = personal ? m.maskValue(FigureFormat.display(v)) : m.maskText(FigureFormat.display(v))
            let label = FigureFormat.label(k, t)
            b += "<tr><td>\(label == k ? "" : e(label) + " ")<span class=\"mono muted\">\(e(k))</span></td><td class=\"num\">\(e(shown))</td><td class=\"small muted\">\(FigureFormat.isThreshold(k, parameters: params) ? e(t("Threshold")) : "")</td></tr>"
        }
        return b + "</tbody></table></div>"
    }

    /// A horizontal bar of a measure with a mark at its threshold.
    static func comparisonBar(_ mn: String, _ mv: Double, _ tn: String, _ tv: Double, _ ms: String, _ ts: String) -> String {
        let width = 420.0, scale = max(mv, tv) * 1.1
        let w = max(2, mv / scale * width), x = tv / scale * width
        let over = mv >= tv
        let pct = Int((mv / tv * 100).rounded())
        return """
        <svg width="\(Int(width) + 360)" height="34" role="img" aria-label="\(e(mn)) \(e(ms)) / \(e(tn)) \(e(ts))">
        <rect x="0" y="6" width="\(Int(width))" height="14" fill="#eaeef2"/>
        <rect x="0" y="6" width="\(Int(w))" height="14" fill="\(over ? "#cf222e" : "#6e7781")"/>
        <line x1="\(Int(x))" y1="2" x2="\(Int(x))" y2="24" stroke="#1f2328" stroke-width="2"/>
        <text x="\(Int(width) + 6)" y="17" class="\(over ? "over" : "")">\(e(mn)) \(e(ms)) (\(pct)% · \(e(tn)) \(e(ts)))</text>
        </svg>
        """
    }

    static func relationCard(_ d: AlertDetail, _ t: Localizer) -> String {
        guard let f = d.figures, f["cadre_id"] != nil || f["relation_kind"] != nil else { return "" }
        let m = d.masker
        let keyParts = IdentifierMasker.keyParts(d.alert.key)
        let anchor = d.evidence.compactMap(\.value).first { $0["event_id"]?.scalarText == d.alert.anchorEventID } ?? d.evidence.last?.value
        let payeeID = anchor?["payee_id"]?.scalarText ?? keyParts.first { $0.0 == "payee_id" }?.1
        let payeeName = anchor?["payee_name"]?.scalarText
        var b = "<div class=\"card\" id=\"relation\"><h2>\(e(t("Relation path")))</h2><div class=\"path\">"
        b += "<span class=\"node\">\(e(t("Payee"))): \(e(payeeName ?? "")) <span class=\"mono\">\(e(payeeID.map(m.maskValue) ?? ""))</span></span>"
        let kind = f["relation_kind"]?.scalarText ?? ""
        if let via = f["via_person_id"]?.scalarText {
            b += "<span class=\"arrow\">→ \(e(kind)) →</span><span class=\"node\">\(e(t("Via"))): <span class=\"mono\">\(e(m.maskValue(via)))</span></span><span class=\"arrow\">→</span>"
        } else {
            b += "<span class=\"arrow\">→ \(e(kind)) →</span>"
        }
        let role = f["cadre_role"]?.scalarText ?? ""
        let roleText = t.language == .zh ? (cadreRolesZH[role] ?? role) : role
        b += "<span class=\"node\">\(e(t("Cadre"))): \(e(f["cadre_name"]?.scalarText ?? "")) (\(e(roleText))) <span class=\"mono\">\(e(m.maskValue(f["cadre_id"]?.scalarText ?? "")))</span> · \(e(t("Village"))) \(e(d.alert.village))</span>"
        b += "</div>"
        if let rel = f["relation"]?.scalarText { b += "<p class=\"small\">\(e(m.maskText(rel)))</p>" }
        return b + "</div>"
    }

    static func evidenceCard(_ d: AlertDetail, _ t: Localizer) -> String {
        let m = d.masker
        var b = "<div class=\"card\" id=\"evidence\"><h2>\(e(t("Evidence timeline"))) (\(d.evidence.count))</h2><div class=\"timeline\">"
        for (raw, value) in d.evidence {
            let id = value?["event_id"]?.scalarText ?? ""
            let anchor = id == d.alert.anchorEventID
            b += "<div class=\"ev\(anchor ? " anchor" : "")\">"
            b += "<div><strong>\(e(value?["occurred_at"]?.scalarText ?? ""))</strong> · <span class=\"mono\">\(e(value?["type"]?.scalarText ?? ""))</span> · <span class=\"mono small\">\(e(id))</span>\(anchor ? " · <strong>\(e(t("Anchor event")))</strong>" : "")</div>"
            if let value {
                b += "<table class=\"small\"><tbody>"
                for (k, v) in value.members {
                    let shown: String
                    if IdentifierMasker.isPersonal(k) {
                        shown = v.elements.isEmpty ? m.maskValue(v.scalarText ?? v.jsonText) : v.elements.map { m.maskValue($0.scalarText ?? $0.jsonText) }.joined(separator: ", ")
                    } else if IdentifierMasker.nonPersonalFields.contains(k) || k == "occurred_at" || k == "type" {
                        shown = v.scalarText ?? v.jsonText
                    } else if case .string(let s) = v {
                        shown = m.maskText(s)
                    } else {
                        shown = m.maskText(v.jsonText)
                    }
                    b += "<tr><td class=\"mono\">\(e(k))</td><td>\(e(shown))</td></tr>"
                }
                b += "</tbody></table>"
            }
            b += "<details><summary>\(e(t("Raw JSON")))</summary><pre class=\"raw\">\(e(m.maskRawJSON(raw)))</pre></details></div>"
        }
        return b + "</div></div>"
    }

    static func relatedCard(_ title: String, _ alerts: [AlertRow], _ ctx: PageContext, catalog: RuleCatalog, id: String) -> String {
        let t = ctx.t
        var b = "<div class=\"card\" id=\"\(id)\"><h2>\(e(title)) (\(alerts.count))</h2>"
        if alerts.isEmpty { return b + "<p class=\"muted\">\(e(t("None.")))</p></div>" }
        b += "<table class=\"small\"><tbody>"
        for a in alerts {
            let mk = a.listMasker
            b += "<tr><td><a href=\"/alerts/\(a.id)\">#\(a.id)</a></td><td>\(e(PageLayout.time(a.anchorTime)))</td><td>\(e(QueuePageView.ruleTitle(a.ruleID, catalog: catalog, t)))</td>"
            b += "<td>\(e(mk.maskText(t.language == .en ? a.summaryEN : a.summaryZH)))</td><td>\(PageLayout.statusBadge(a.status.rawValue, t))</td>"
            b += "<td>\(a.disposition.map { e(t.disposition($0.rawValue)) } ?? "")</td></tr>"
        }
        return b + "</tbody></table></div>"
    }

    static func ruleCard(_ d: AlertDetail, _ t: Localizer) -> String {
        var b = "<div class=\"card\" id=\"ruletext\"><h2>\(e(t("Rule text"))) · \(e(d.alert.ruleID)) · \(e(t("Version"))) \(d.alert.ruleVersion)</h2>"
        guard let src = d.ruleSource else {
            return b + "<p class=\"muted\">\(e(t("This rule is not in the rule files the server was given.")))</p></div>"
        }
        if let v = src.version, v != String(d.alert.ruleVersion) {
            b += "<p class=\"warn small\">\(e(t("The alert was raised by version"))) \(d.alert.ruleVersion)\(t.language == .zh ? "" : ";") \(e(t("the text shown is version"))) \(e(v))</p>"
        }
        return b + "<pre class=\"mono\">\(e(src.text))</pre></div>"
    }

    static func actionsCard(_ d: AlertDetail, _ ctx: PageContext) -> String {
        let t = ctx.t
        let a = d.alert
        guard let p = ctx.principal else { return "" }
        let role = p.user.role
        var b = "<div class=\"card actions\" id=\"actions\"><h2>\(e(t("Workflow")))</h2>"
        let base = "/alerts/\(a.id)"
        func form(_ action: String, _ inner: String, id: String) -> String {
            "<form method=\"post\" action=\"\(base)/\(action)\" id=\"\(id)\">\(ctx.csrfField)\(inner)</form>"
        }
        if role.worksAlerts {
            if a.status == .new {
                b += form("acknowledge", "<button>\(e(t("Acknowledge")))</button>", id: "f-ack")
            }
            if a.status != .closed {
                var opts = ""
                for u in d.assignees { opts += "<option value=\"\(e(u))\"\(u == a.assignee ? " selected" : "")>\(e(u))</option>" }
                b += form("assign", "<div class=\"row\"><button name=\"assignee\" value=\"me\" id=\"assign-me\">\(e(t("Assign to me")))</button><select name=\"colleague\">\(opts)</select><button name=\"assignee\" value=\"colleague\">\(e(t("Assign")))</button></div>", id: "f-assign")
                if a.status != .escalated {
                    b += form("escalate", "<textarea name=\"reason\" placeholder=\"\(e(t("Reason")))\" required></textarea><button>\(e(t("Escalate")))</button>", id: "f-escalate")
                }
                if a.status != .escalated || role.isLead {
                    var disp = ""
                    for x in Disposition.all { disp += "<option value=\"\(e(x.rawValue))\">\(e(t.disposition(x.rawValue)))</option>" }
                    b += form("close", "<div class=\"row\"><label>\(e(t("Disposition"))) <select name=\"disposition\">\(disp)</select></label></div><textarea name=\"reason\" placeholder=\"\(e(t("Reason")))\" required></textarea><button class=\"primary\">\(e(t("Close")))</button>", id: "f-close")
                }
            } else if role.isLead {
                b += form("reopen", "<textarea name=\"reason\" placeholder=\"\(e(t("Reason")))\" required></textarea><button>\(e(t("Reopen")))</button>", id: "f-reopen")
            }
        }
        b += form("comment", "<textarea name=\"body\" placeholder=\"\(e(t("Comment")))\" required></textarea><button>\(e(t("Comment")))</button>", id: "f-comment")
        return b + "</div>"
    }

    static func historyCard(_ d: AlertDetail, _ t: Localizer) -> String {
        var b = "<div class=\"card\" id=\"history\"><h2>\(e(t("History")))</h2>"
        b += "<p class=\"small muted\">\(e(PageLayout.time(d.alert.detectedAt))) · \(e(t("Detected")))</p>"
        let comments = Dictionary(d.comments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        b += "<table class=\"small\"><tbody>"
        for h in d.history {
            let details = JSONValue.parse(h.detailsJSON)
            var text = ""
            if let from = details?["from_status"]?.scalarText, let to = details?["to_status"]?.scalarText, from != to {
                text += t.status(from) + " → " + t.status(to)
            }
            if let to = details?["to_assignee"]?.scalarText { text += (text.isEmpty ? "" : "; ") + "→ " + to }
            if let disp = details?["disposition"]?.scalarText { text += (text.isEmpty ? "" : "; ") + t.disposition(disp) }
            if let reason = details?["reason"]?.scalarText { text += (text.isEmpty ? "" : ": ") + reason }
            if let cid = details?["comment_id"]?.scalarText.flatMap({ Int64($0) }), let c = comments[cid] { text += c.body }
            if let fields = details?["fields"]?.elements, !fields.isEmpty {
                text += fields.compactMap(\.scalarText).joined(separator: ", ")
            }
            b += "<tr><td class=\"muted\">\(e(PageLayout.time(h.at)))</td><td>\(e(h.actor))</td><td>\(e(t.action(h.action)))</td><td class=\"hist-text\">\(e(text))</td></tr>"
        }
        if d.history.isEmpty { b += "<tr><td class=\"muted\">\(e(t("None.")))</td></tr>" }
        return b + "</tbody></table></div>"
    }
}

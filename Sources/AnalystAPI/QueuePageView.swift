import AlertStore
import EventModel

/// Everything the queue page shows.
struct QueueView: Sendable {
    var filter: QueueFilter
    var page: QueuePage
    var counts: [AlertStatus: Int]
    var after: AlertCursor?
    var maxID: Int64
    var townships: [(String, Int)]
    var villages: [(String, Int)]
    var rules: [(String, Int)]
    var assignees: [String]
    var notice: String?
}

/// The queue page (`GET /queue`) and its row fragment (live updates).
enum QueuePageView {
    static func e(_ s: String) -> String { HTMLText.escape(s) }

    static func render(_ v: QueueView, _ ctx: PageContext, catalog: RuleCatalog, pollSeconds: Int) -> String {
        let t = ctx.t
        let f = v.filter
        var b = "<h1>\(e(t("Alert queue")))</h1>"
        if let n = v.notice { b += "<div class=\"notice\">\(e(n))</div>" }
        if !f.problems.isEmpty {
            b += "<div class=\"warn\">\(e(t("Unknown filter values were ignored"))): \(e(f.problems.joined(separator: "; ")))</div>"
        }
        b += filterForm(v, ctx, catalog: catalog)

        // status tabs with counts
        let total = v.counts.values.reduce(0, +)
        b += "<div class=\"tabs\">"
        b += "<a href=\"/queue?\(e(f.with(statuses: []).queryString()))\" class=\"\(f.statuses.isEmpty ? "on" : "")\">\(e(t("All"))) <span class=\"n\">\(total)</span></a>"
        for s in AlertStatus.all {
            let on = f.statuses == [s]
            b += "<a href=\"/queue?\(e(f.with(statuses: [s]).queryString()))\" class=\"\(on ? "on" : "")\" data-status=\"\(e(s.rawValue))\">\(e(t.status(s.rawValue))) <span class=\"n\">\(v.counts[s] ?? 0)</span></a>"
        }
        b += "<a class=\"exp\" href=\"/queue.csv?\(e(f.queryString()))\">\(e(t("Export CSV")))</a>"
        b += "</div>"
        b += "<div id=\"newbanner\" class=\"banner\"><a href=\"/queue?\(e(f.queryString()))\"><span id=\"newcount\">0</span> \(e(t("new alerts — show")))</a></div>"

        // bulk actions + table in one form
        let worker = ctx.principal?.user.role.worksAlerts ?? false
        b += "<form method=\"post\" action=\"/queue/bulk\" id=\"bulkform\">\(ctx.csrfField)"
        b += "<input type=\"hidden\" name=\"return\" value=\"\(e(f.queryString()))\">"
        if worker {
            b += "<div class=\"bulk\"><span>\(e(t("Selected"))):</span>"
            b += "<label>\(e(t("Assign selected to"))) <select name=\"assignee\"><option value=\"\"></option>"
            for u in v.assignees { b += "<option value=\"\(e(u))\">\(e(u))</option>" }
            b += "</select></label><button name=\"action\" value=\"assign\">\(e(t("Assign")))</button>"
            b += "<label>\(e(t("Close selected as"))) <select name=\"disposition\">"
            for d in Disposition.all { b += "<option value=\"\(e(d.rawValue))\">\(e(t.disposition(d.rawValue)))</option>" }
            b += "</select></label><input type=\"text\" name=\"reason\" placeholder=\"\(e(t("Reason")))\">"
            b += "<button name=\"action\" value=\"close\">\(e(t("Close")))</button></div>"
        }
        b += "<table class=\"queue\"><thead><tr>"
        if worker { b += "<th><input type=\"checkbox\" id=\"selectall\" title=\"\(e(t("Select all")))\"></th>" }
        b += "<th>#</th><th>\(e(t("Detected")))</th><th>\(e(t("Event")))</th><th>\(e(t("Severity")))</th><th>\(e(t("Rule")))</th><th>\(e(t("Village")))</th><th>\(e(t("Summary")))</th><th>\(e(t("Status")))</th><th>\(e(t("Assignee")))</th></tr></thead>"
        let live = v.after == nil && f.sort == .newest
        b += "<tbody id=\"rows\" data-max-id=\"\(v.maxID)\" data-query=\"\(e(f.queryString()))\" data-live=\"\(live ? "1" : "0")\">"
        b += rows(v.page.alerts, ctx, catalog: catalog, selectable: worker)
        b += "</tbody></table></form>"
        if v.page.alerts.isEmpty { b += "<p class=\"muted\">\(e(t("No alerts match.")))</p>" }
        b += "<p>"
        if v.after != nil { b += "<a href=\"/queue?\(e(f.queryString()))\">« \(e(t("First page")))</a> " }
        if let next = v.page.next {
            b += "<a id=\"nextpage\" href=\"/queue?\(e(f.queryString([("after", next.description)])))\">\(e(t("Next page"))) »</a>"
        }
        b += "</p>"
        return PageLayout.page(t("Alert queue"), ctx, active: "queue", body: b, script: script(pollSeconds: pollSeconds))
    }

    /// Table rows for alerts (also sent to the page by the live poll).
    static func rows(_ alerts: [AlertRow], _ ctx: PageContext, catalog: RuleCatalog, selectable: Bool, fresh: Bool = false) -> String {
        let t = ctx.t
        var b = ""
        for a in alerts {
            let masker = a.listMasker
            let summary = masker.maskText(t.language == .en ? a.summaryEN : a.summaryZH)
            let title = ruleTitle(a.ruleID, catalog: catalog, t)
            b += "<tr data-id=\"\(a.id)\"\(fresh ? " class=\"fresh\"" : "")>"
            if selectable { b += "<td><input type=\"checkbox\" name=\"id\" value=\"\(a.id)\"></td>" }
            b += "<td><a href=\"/alerts/\(a.id)\">\(a.id)</a></td>"
            b += "<td class=\"small\">\(e(PageLayout.time(a.detectedAt)))</td>"
            b += "<td class=\"small\">\(e(PageLayout.time(a.anchorTime)))</td>"
            b += "<td>\(PageLayout.severityBadge(a.severity.rawValue, t))</td>"
            b += "<td><a href=\"/rules/\(e(HTMLText.urlEncode(a.ruleID)))\" title=\"\(e(a.ruleID))\">\(e(title))</a></td>"
            b += "<td class=\"mono\"><a href=\"/queue?village=\(e(a.village))\">\(e(a.village))</a></td>"
            b += "<td><a href=\"/alerts/\(a.id)\" class=\"sumlink\">\(e(summary))</a></td>"
            b += "<td>\(PageLayout.statusBadge(a.status.rawValue, t))</td>"
            b += "<td>\(e(a.assignee ?? ""))</td></tr>"
        }
        return b
    }

    static func ruleTitle(_ rule: String, catalog: RuleCatalog, _ t: Localizer) -> String {
        guard let info = catalog.files[rule] else { return rule }
        return (t.language == .en ? info.titleEN : info.titleZH) ?? rule
    }

    static func filterForm(_ v: QueueView, _ ctx: PageContext, catalog: RuleCatalog) -> String {
        let t = ctx.t
        let f = v.filter
        func select(_ name: String, _ label: String, _ options: [(String, String)], selected: [String], multiple: Bool = false) -> String {
            var s = "<label>\(e(label))<select name=\"\(name)\"\(multiple ? " multiple size=\"3\"" : "")>"
            if !multiple { s += "<option value=\"\">\(e(t("Any")))</option>" }
            for (value, text) in options {
                s += "<option value=\"\(e(value))\"\(selected.contains(value) ? " selected" : "")>\(e(text))</option>"
            }
            return s + "</select></label>"
        }
        var b = "<form class=\"filters\" method=\"get\" action=\"/queue\" id=\"filters\">"
        let districts = ctx.principal?.user.districts ?? []
        if districts.count > 1 {
            b += select("district", t("District"), districts.map { ($0, $0) }, selected: f.districts)
        }
        b += select("township", t("Township"), v.townships.map { ($0.0, "\($0.0) (\($0.1))") }, selected: f.townships)
        b += select("village", t("Village"), v.villages.map { ($0.0, "\($0.0) (\($0.1))") }, selected: f.villages)
        b += select("rule", t("Rule"), v.rules.map { ($0.0, "\(ruleTitle($0.0, catalog: catalog, t)) (\($0.1))") }, selected: f.rules)
        b += select("severity", t("Severity"), Severity.allCases.reversed().map { ($0.rawValue, t.severity($0.rawValue)) },
                    selected: f.severities.map(\.rawValue))
        b += select("status", t("Status"), AlertStatus.all.map { ($0.rawValue, t.status($0.rawValue)) }, selected: f.statuses.map(\.rawValue))
        var people: [(String, String)] = [("me", t("Me")), ("none", t("Unassigned"))]
        people += v.assignees.map { ($0, $0) }
        b += select("assignee", t("Assignee"), people, selected: f.assignee.map { [$0] } ?? [])
        b += "<label>\(e(t("Time")))<select name=\"time\"><option value=\"event\">\(e(t("Event time")))</option><option value=\"detected\"\(f.timeField == .detected ? " selected" : "")>\(e(t("Detection time")))</option></select></label>"
        b += "<label>\(e(t("From")))<input type=\"date\" name=\"from\" value=\"\(e(f.from ?? ""))\"></label>"
        b += "<label>\(e(t("Until")))<input type=\"date\" name=\"until\" value=\"\(e(f.until ?? ""))\"></label>"
        b += "<label>\(e(t("Text")))<input type=\"text\" name=\"q\" value=\"\(e(f.text ?? ""))\" placeholder=\"\(e(t("Search summary and key")))\"></label>"
        b += "<label>\(e(t("Sort")))<select name=\"sort\"><option value=\"newest\">\(e(t("Newest first")))</option><option value=\"oldest\"\(f.sort == .oldest ? " selected" : "")>\(e(t("Oldest first")))</option></select></label>"
        b += "<button class=\"primary\" type=\"submit\">\(e(t("Apply")))</button> <a href=\"/queue\">\(e(t("Reset")))</a>"
        return b + "</form>"
    }

    static func script(pollSeconds: Int) -> String {
        """
        (function(){
          var all=document.getElementById('selectall');
          if(all){all.addEventListener('change',function(){document.querySelectorAll('#rows input[name=id]').forEach(function(c){c.checked=all.checked;});});}
          var tb=document.getElementById('rows');if(!tb)return;
          var maxId=parseInt(tb.getAttribute('data-max-id'),10)||0,q=tb.getAttribute('data-query'),live=tb.getAttribute('data-live')==='1';
          var banner=document.getElementById('newbanner'),count=document.getElementById('newcount'),seen=0;
          function poll(){
            fetch('/queue/poll?'+q+(q?'&':'')+'after_id='+maxId,{credentials:'same-origin',headers:{'Accept':'application/json'}})
              .then(function(r){return r.ok?r.json():null;})
              .then(function(j){
                if(j&&j.count>0){
                  if(live){tb.insertAdjacentHTML('afterbegin',j.rows_html);}
                  seen+=j.count;maxId=j.max_id;count.textContent=seen;banner.classList.add('show');
                }
              }).catch(function(){}).then(function(){setTimeout(poll,\(pollSeconds * 1000));});
          }
          setTimeout(poll,\(pollSeconds * 1000));
        })();
        """
    }
}

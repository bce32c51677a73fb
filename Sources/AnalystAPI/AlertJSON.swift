import Foundation
import EventModel

/// The API's JSON for alerts (personal ids masked unless revealed) and the
/// CSV export of the queue.
enum AlertJSON {
    /// One alert of a list (no evidence).
    static func summary(_ a: AlertRow, masker m: IdentifierMasker? = nil) -> String {
        let m = m ?? a.listMasker
        var w = JSONWriter()
        w.field("id", a.id)
        w.field("rule_id", a.ruleID)
        w.field("rule_version", a.ruleVersion)
        w.field("severity", a.severity.rawValue)
        w.field("status", a.status.rawValue)
        w.field("assignee", a.assignee)
        w.field("disposition", a.disposition?.rawValue)
        w.field("disposition_reason", a.dispositionReason)
        w.field("village", a.village)
        w.field("township", a.township)
        w.field("district", a.district)
        w.field("key", m.maskKey(a.key))
        w.field("anchor_event_id", a.anchorEventID)
        w.field("anchor_time", ShanghaiTime.format(a.anchorTime))
        w.field("first_evidence_at", ShanghaiTime.format(a.firstEvidenceAt))
        w.field("last_evidence_at", ShanghaiTime.format(a.lastEvidenceAt))
        w.field("detected_at", ShanghaiTime.format(a.detectedAt))
        w.field("updated_at", ShanghaiTime.format(a.updatedAt))
        w.field("summary_zh", m.maskText(a.summaryZH))
        w.field("summary_en", m.maskText(a.summaryEN))
        if let f = JSONValue.parse(a.figuresJSON) { w.field("figures", m.maskJSON(f)) } else { w.raw("figures", "{}") }
        w.field("masked", m.masking)
        return w.json
    }

    /// Everything about one alert.
    static func detail(_ d: AlertDetail) -> String {
        let m = d.masker
        var w = JSONWriter()
        w.raw("alert", summary(d.alert, masker: m))
        w.field("evidence_event_ids", d.alert.evidenceEventIDs)
        w.raw("evidence", JSONWriter.array(d.evidence.map { raw, value in
            value.map { m.maskJSON($0).jsonText } ?? JSONWriter.quote(m.maskRawJSON(raw))
        }))
        w.field("personal_fields", d.personalFields)
        w.raw("same_key", JSONWriter.array(d.sameKey.map { summary($0) }))
        w.raw("same_village", JSONWriter.array(d.sameVillage.map { summary($0) }))
        var rule = JSONWriter()
        rule.field("id", d.alert.ruleID)
        rule.field("alert_version", d.alert.ruleVersion)
        rule.field("source_version", d.ruleSource?.version)
        rule.field("source", d.ruleSource?.text)
        rule.field("title_zh", d.rule?.titleZH)
        rule.field("title_en", d.rule?.titleEN)
        w.raw("rule", rule.json)
        w.raw("history", JSONWriter.array(d.history.map(audit)))
        w.raw("comments", JSONWriter.array(d.comments.map { c in
            var x = JSONWriter()
            x.field("id", c.id)
            x.field("author", c.author)
            x.field("body", c.body)
            x.field("at", ShanghaiTime.format(c.at))
            return x.json
        }))
        w.field("assignable", d.assignees)
        return w.json
    }

    static func audit(_ h: AuditEntry) -> String {
        var x = JSONWriter()
        x.field("id", h.id)
        x.field("at", ShanghaiTime.format(h.at))
        x.field("actor", h.actor)
        x.field("actor_role", h.actorRole)
        x.field("via", h.via)
        x.field("action", h.action)
        x.field("alert_id", h.alertID)
        x.field("district", h.district)
        // re-encoded: jsonb's text form leaves < > & as they are
        x.raw("details", JSONValue.parse(h.detailsJSON)?.jsonText ?? "{}")
        return x.json
    }

    static let csvHeader = "id,rule_id,rule_version,severity,status,assignee,disposition,village,township,district,key,anchor_event_id,anchor_time,detected_at,summary_zh,summary_en,figures"

    /// One CSV line (masked).
    static func csvLine(_ a: AlertRow) -> String {
        let m = a.listMasker
        let figures = JSONValue.parse(a.figuresJSON).map { m.maskJSON($0).jsonText } ?? "{}"
        let cells = [String(a.id), a.ruleID, String(a.ruleVersion), a.severity.rawValue, a.status.rawValue, a.assignee ?? "",
                     a.disposition?.rawValue ?? "", a.village, a.township, a.district, m.maskKey(a.key), a.anchorEventID,
                     ShanghaiTime.format(a.anchorTime), ShanghaiTime.format(a.detectedAt), m.maskText(a.summaryZH),
                     m.maskText(a.summaryEN), figures]
        return cells.map(csvCell).joined(separator: ",")
    }

    /// RFC 4180 quoting; cells that a spreadsheet would run as a formula
    /// (`= + - @` first) get a leading `'`.
    static func csvCell(_ s: String) -> String {
        var v = s
        if let f = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(f) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }
}

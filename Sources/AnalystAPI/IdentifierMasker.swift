import Foundation

/// Masks the ids of people and organisations (`payee_id`, `worker_id`,
/// `vendor_id`, the cadre of a relation rule…) wherever an alert shows them:
/// key, summaries, figures, evidence fields and raw evidence JSON.
///
/// A field is personal when its name is one of ``personalFields`` or ends in
/// `_id`/`_ids` and is not one of ``nonPersonalFields`` (ids of events,
/// documents and things). The values found in such fields are then masked
/// in every text of the alert; as a second line of defence, any token that
/// looks like a resident id or a unified social credit code (15–20 letters
/// and digits, 6+ digits) is masked in free text too.
struct IdentifierMasker: Sendable {
    /// Ids of people and organisations (and their accounts) in the event contract and in figures.
    static let personalFields: Set<String> = [
        "payee_id", "payer_id", "approver_id", "requester_id", "vendor_id", "worker_id", "lessee_id",
        "applicant_id", "operator_id", "signed_by", "inspector_ids", "person_id", "legal_rep_id",
        "shareholder_ids", "cadre_id", "via_person_id", "relative_id", "payee_account",
    ]
    /// `*_id` fields that name events, documents or things, not people.
    static let nonPersonalFields: Set<String> = [
        "event_id", "anchor_event_id", "procurement_id", "project_id", "lease_id", "seal_id", "application_id",
        "asset_id", "trace_id", "rule_id", "alert_id", "voucher_no", "decision_ref",
    ]

    /// True when values of `field` identify a person or organisation.
    static func isPersonal(_ field: String) -> Bool {
        if personalFields.contains(field) { return true }
        if nonPersonalFields.contains(field) { return false }
        return field.hasSuffix("_id") || field.hasSuffix("_ids")
    }

    /// False when the alert was revealed: every function returns its input.
    let masking: Bool
    /// The personal values found, longest first.
    private(set) var values: [String] = []

    /// A masker for one alert; `masking` false shows everything.
    init(masking: Bool, key: String, figures: JSONValue?, evidence: [JSONValue], extra: [String] = []) {
        self.masking = masking
        var found = Set(extra)
        for (k, v) in IdentifierMasker.keyParts(key) where IdentifierMasker.isPersonal(k) { found.insert(v) }
        if let figures { IdentifierMasker.collect(figures, into: &found) }
        for e in evidence { IdentifierMasker.collect(e, into: &found) }
        values = found.filter { !$0.isEmpty }.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Personal field names present in the alert's evidence and figures.
    static func personalFieldNames(figures: JSONValue?, evidence: [JSONValue], key: String) -> [String] {
        var names = Set<String>()
        func walk(_ v: JSONValue) {
            for (k, m) in v.members {
                if isPersonal(k) { names.insert(k) }
                walk(m)
            }
            for e in v.elements { walk(e) }
        }
        if let figures { walk(figures) }
        evidence.forEach(walk)
        for (k, _) in keyParts(key) where isPersonal(k) { names.insert(k) }
        return names.sorted()
    }

    private static func collect(_ v: JSONValue, into found: inout Set<String>) {
        for (k, m) in v.members {
            if isPersonal(k) { scalars(m, into: &found) } else { collect(m, into: &found) }
        }
        for e in v.elements { collect(e, into: &found) }
    }

    private static func scalars(_ v: JSONValue, into found: inout Set<String>) {
        if let s = v.scalarText {
            found.insert(s)
            // "a;b" lists in reference data
            if s.contains(";") { for p in s.split(separator: ";") { found.insert(String(p)) } }
        }
        for e in v.elements { scalars(e, into: &found) }
    }

    /// `village=1, payee_id=X` → [(village, 1), (payee_id, X)] (parts
    /// separated by spaces and/or commas).
    static func keyParts(_ key: String) -> [(String, String)] {
        key.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { part in
            guard let eq = part.firstIndex(of: "=") else { return nil }
            return (String(part[..<eq]), String(part[eq...].dropFirst()))
        }
    }

    /// `330521199011056271` → `3305************71`.
    static func mask(_ s: String) -> String {
        let c = Array(s)
        switch c.count {
        case 0: return s
        case 1...2: return String(repeating: "*", count: c.count)
        case 3...6: return String(c[0]) + String(repeating: "*", count: c.count - 2) + String(c[c.count - 1])
        default: return String(c[0..<4]) + String(repeating: "*", count: c.count - 6) + String(c[(c.count - 2)...])
        }
    }

    /// One value of a personal field.
    func maskValue(_ s: String) -> String { masking ? IdentifierMasker.mask(s) : s }

    /// Free text (summaries, keys) with every known personal value and every
    /// id-looking token masked.
    func maskText(_ text: String) -> String {
        guard masking else { return text }
        var out = text
        for v in values where v.count >= 3 && out.contains(v) {
            out = out.replacingOccurrences(of: v, with: IdentifierMasker.mask(v))
        }
        return IdentifierMasker.maskIDLikeTokens(out)
    }

    /// The alert key with personal values masked (separators kept).
    func maskKey(_ key: String) -> String {
        guard masking else { return key }
        var out = key
        for (k, v) in IdentifierMasker.keyParts(key) where IdentifierMasker.isPersonal(k) && !v.isEmpty {
            out = out.replacingOccurrences(of: k + "=" + v, with: k + "=" + IdentifierMasker.mask(v))
        }
        return IdentifierMasker.maskIDLikeTokens(out)
    }

    /// A parsed value with personal fields masked (recursively).
    func maskJSON(_ v: JSONValue) -> JSONValue {
        guard masking else { return v }
        switch v {
        case .object(let members):
            return .object(members.map { k, m in (k, IdentifierMasker.isPersonal(k) ? maskScalars(m) : maskJSON(m)) })
        case .array(let items):
            return .array(items.map(maskJSON))
        case .string(let s):
            return .string(maskText(s))
        default:
            return v
        }
    }

    private func maskScalars(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): .string(IdentifierMasker.mask(s))
        case .number(let n): .string(IdentifierMasker.mask(n))
        case .array(let a): .array(a.map(maskScalars))
        default: v
        }
    }

    /// Raw JSON text with the personal values replaced where they appear as
    /// JSON strings (the formatting of the source is kept).
    func maskRawJSON(_ raw: String) -> String {
        guard masking else { return raw }
        var out = raw
        for v in values {
            let quoted = JSONWriter.quoteMinimal(v)
            if out.contains(quoted) { out = out.replacingOccurrences(of: quoted, with: JSONWriter.quoteMinimal(IdentifierMasker.mask(v))) }
            // numbers: `"payer_id": 330521200011019737`
            if out.contains(": " + v) || out.contains(":" + v) {
                out = out.replacingOccurrences(of: ": " + v, with: ": " + JSONWriter.quoteMinimal(IdentifierMasker.mask(v)))
                out = out.replacingOccurrences(of: ":" + v, with: ":" + JSONWriter.quoteMinimal(IdentifierMasker.mask(v)))
            }
        }
        return out
    }

    /// Masks tokens of 15–20 ASCII letters and digits with at least 6 digits
    /// (resident ids, unified social credit codes).
    static func maskIDLikeTokens(_ text: String) -> String {
        var out = ""
        var token = ""
        func flush() {
            if !token.contains("*") && token.count >= 15 && token.count <= 20 && token.filter(\.isNumber).count >= 6 {
                out += mask(token)
            } else {
                out += token
            }
            token = ""
        }
        for ch in text {
            if ch.isASCII && (ch.isLetter || ch.isNumber || ch == "*") { token.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        return out
    }
}

extension JSONWriter {
    /// A JSON string literal with only `"` and `\` escaped (how ids appear in raw events).
    static func quoteMinimal(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

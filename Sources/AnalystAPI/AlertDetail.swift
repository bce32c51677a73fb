import AlertStore
import EventModel

/// Everything the alert page and the alert API show about one alert.
struct AlertDetail: Sendable {
    var alert: AlertRow
    /// True when the personal ids are shown (an audited reveal).
    var revealed: Bool
    /// Raw text and parsed value of each evidence event, in order.
    var evidence: [(raw: String, value: JSONValue?)]
    var figures: JSONValue?
    var sameKey: [AlertRow]
    var sameVillage: [AlertRow]
    var rule: RuleInfo?
    var storedVersions: [RuleVersionInfo]
    var history: [AuditEntry]
    var comments: [AlertComment]
    var assignees: [String]

    init(alert: AlertRow, revealed: Bool, sameKey: [AlertRow], sameVillage: [AlertRow], rule: RuleInfo?,
         storedVersions: [RuleVersionInfo], history: [AuditEntry], comments: [AlertComment], assignees: [String]) {
        self.alert = alert
        self.revealed = revealed
        let raws = alert.evidenceJSON.flatMap(JSONValue.rawElements(ofArray:)) ?? []
        evidence = raws.map { ($0, JSONValue.parse($0)) }
        figures = JSONValue.parse(alert.figuresJSON)
        self.sameKey = sameKey
        self.sameVillage = sameVillage
        self.rule = rule
        self.storedVersions = storedVersions
        self.history = history
        self.comments = comments
        self.assignees = assignees
    }

    /// The masker for this view (identity when revealed).
    var masker: IdentifierMasker {
        IdentifierMasker(masking: !revealed, key: alert.key, figures: figures, evidence: evidence.compactMap(\.value), extra: alert.personalValues)
    }

    /// The personal fields the alert holds (what a reveal shows).
    var personalFields: [String] {
        IdentifierMasker.personalFieldNames(figures: figures, evidence: evidence.compactMap(\.value), key: alert.key)
    }

    /// The rule's source in the alert's version when known, else the current one.
    var ruleSource: (text: String, version: String?)? {
        if let v = storedVersions.first(where: { $0.version == String(alert.ruleVersion) }), let s = v.source { return (s, v.version) }
        if let r = rule, let s = r.source { return (s, r.version.map(String.init)) }
        if let v = storedVersions.first, let s = v.source { return (s, v.version) }
        return nil
    }

    /// Parameter names of the rule (`param NAME = …` lines of its source).
    var ruleParameters: Set<String> {
        guard let src = ruleSource?.text else { return [] }
        var out = Set<String>()
        for line in src.split(separator: "\n") {
            let t = String(line).trimmed
            if t.hasPrefix("param ") {
                let name = t.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "=" }).first.map(String.init)
                if let name { out.insert(name) }
            }
        }
        return out
    }
}

/// Formatting of figure values and the figures-against-threshold view.
enum FigureFormat {
    /// True for figure names that are limits rather than measurements.
    static func isThreshold(_ name: String, parameters: Set<String>) -> Bool {
        parameters.contains(name) || name.contains("limit") || name.contains("threshold") || name == "window" || name == "lookback"
            || name == "deadline" || name == "markup" || name == "reference_price"
            || name.hasPrefix("min_") || name.hasPrefix("max_")
    }

    /// Chinese labels of the figure names the reference rules use.
    static let labelsZH: [String: String] = [
        "count": "笔数", "sum(amount)": "金额合计", "window": "时间窗口", "lookback": "回溯期", "approval_limit": "审批限额",
        "decision_limit": "集体决策限额", "min_payments": "最少笔数", "min_total": "最低合计", "min_villages": "最少村数",
        "count(distinct village)": "涉及村数", "count(distinct vendor_id)": "报价供应商数", "min_quotes": "最少报价数",
        "max_hours": "每日工时上限", "sum(hours)": "工时合计", "count(distinct project_id)": "项目数", "max_claims": "报销笔数上限",
        "amount": "金额", "deadline": "截止时间", "markup": "加价倍数", "unit_price": "单价", "reference_price": "参考价",
        "relation": "关联", "relation_kind": "关联类型", "cadre_id": "干部身份号", "cadre_name": "干部姓名", "cadre_role": "干部职务",
        "via_person_id": "中间人身份号",
    ]

    /// The figure's label in the UI's language (the name itself in English).
    static func label(_ name: String, _ t: Localizer) -> String {
        t.language == .zh ? (labelsZH[name] ?? name) : name
    }

    /// Figures that describe a relation path rather than amounts.
    static let relationNames: Set<String> = ["relation", "relation_kind", "cadre_id", "cadre_name", "cadre_role", "via_person_id"]

    /// Money figures are yuan strings with two decimals (`"18600.00"`).
    static func fen(_ v: JSONValue) -> Int64? {
        guard case .string(let s) = v else { return nil }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, !parts[0].isEmpty,
              parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber),
              let y = Int64(parts[0]), let f = Int64(parts[1]) else { return nil }
        return y * 100 + f
    }

    /// Integer figures (`count`).
    static func integer(_ v: JSONValue) -> Int64? {
        guard case .number(let n) = v else { return nil }
        return Int64(n)
    }

    /// A figure value for display: money as `¥18,600.00`, text as is.
    static func display(_ v: JSONValue) -> String {
        if let f = fen(v) { return Money.formatYuan(fen: f) }
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "—"
        default: return v.jsonText
        }
    }

    /// Words of a figure name, singular, without aggregate words:
    /// `count(distinct village)` → [village], `min_villages` → [village].
    static func words(_ name: String) -> Set<String> {
        let skip: Set<String> = ["min", "max", "count", "distinct", "sum", "avg", "total", "limit", "of"]
        var out = Set<String>()
        for w in name.split(whereSeparator: { !$0.isLetter }) {
            var x = String(w).lowercased()
            if skip.contains(x) { continue }
            if x.hasSuffix("s") && x.count > 3 { x.removeLast() }
            out.insert(x)
        }
        return out
    }

    /// Pairs of (measure, threshold) that compare like with like: money with
    /// money, integers with integers (by shared words, else `count`).
    static func comparisons(_ figures: JSONValue, parameters: Set<String>) -> [(String, Double, String, Double, String, String)] {
        let members = figures.members.filter { !relationNames.contains($0.0) }
        let thresholds = members.filter { isThreshold($0.0, parameters: parameters) }
        let measures = members.filter { !isThreshold($0.0, parameters: parameters) }
        var out: [(String, Double, String, Double, String, String)] = []
        var used = Set<String>()
        for (tn, tv) in thresholds {
            let tw = words(tn)
            if let th = fen(tv), th > 0 {
                let money = measures.filter { fen($0.1) != nil && !used.contains($0.0) }
                if let (mn, mv) = money.first(where: { !words($0.0).isDisjoint(with: tw) }) ?? money.first, let m = fen(mv) {
                    used.insert(mn)
                    out.append((mn, Double(m), tn, Double(th), display(mv), display(tv)))
                }
            } else if let th = integer(tv), th > 0 {
                let ints = measures.filter { integer($0.1) != nil && !used.contains($0.0) }
                if let (mn, mv) = ints.first(where: { !words($0.0).isDisjoint(with: tw) }) ?? ints.first(where: { $0.0 == "count" }),
                   let m = integer(mv) {
                    used.insert(mn)
                    out.append((mn, Double(m), tn, Double(th), display(mv), display(tv)))
                }
            }
        }
        return out
    }
}

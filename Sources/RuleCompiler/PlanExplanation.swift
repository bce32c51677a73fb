import EventModel
import RuleLanguage

/// `qianliyan rules explain NAME`: a compiled rule's evaluation plan in
/// words — its kind, the events it reads, filter, key, the state the engine
/// keeps for it and for how long, its deadline, its parameters with their
/// defaults and overrides, and whether village shards can evaluate it alone.
///
/// Built from the compiled rule (kind, dispatch, retention, parameters) and
/// the rule's own syntax (the texts of its filter, key and conditions, laid
/// out by ``RuleFormatter/inline(_:_:)``).
public struct PlanExplanation: Sendable, Hashable {
    /// One labelled part of the explanation.
    public struct Item: Sendable, Hashable {
        public var label: String
        public var text: String
        public init(_ label: String, _ text: String) {
            self.label = label
            self.text = text
        }
    }

    /// One parameter as it applies to this rule.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        /// `built-in` (from village_limits) or `param`.
        public var origin: String
        /// The default, formatted (`¥10,000.00`, `3`).
        public var defaultValue: String
        /// Overrides, formatted: `township 330521101 → 4`.
        public var overrides: [String]
        /// Whether the rule reads it.
        public var used: Bool
    }

    public var rule: String
    public var version: Int
    public var severity: String
    public var kind: String
    /// `path:line` of the rule.
    public var location: String
    public var items: [Item]
    public var parameters: [Parameter]
    /// A short hash of the rule's state signature: state carries over a deploy while it is unchanged.
    public var stateSignature: String

    /// Explains `rule` of `ruleSet` (the set supplies parameter defaults and
    /// overrides; pass the set as compiled, not a `subset`).
    public init(_ rule: CompiledRule, in ruleSet: CompiledRuleSet) {
        self.rule = rule.name
        version = rule.version
        severity = rule.severity.rawValue
        kind = rule.kind.name
        location = "\(rule.path):\(rule.line)"
        let sig = Fingerprint(rule.stateSignature)
        stateSignature = String(sig.hi, radix: 16).leftPadded(16) + String(sig.lo, radix: 16).leftPadded(16)
        let file = SourceFile(path: rule.path, text: rule.source)
        let syntax = Parser.parse(file).0.rules.first
        func text(_ e: Expr?) -> String? { e.map { RuleFormatter.inline(file, $0.range) } }
        func list(_ es: [Expr]) -> String { es.map { RuleFormatter.inline(file, $0.range) }.joined(separator: ", ") }
        func matchList(_ ms: [MatchSyntax]) -> String { ms.map { RuleFormatter.inline(file, $0.range) }.joined(separator: ", ") }
        let trigger = rule.triggerType
        let filter = text(syntax?.trigger?.filter)
        let retention = syntax?.retain.map { $0.0.text } ?? PlanExplanation.words(rule.retention)
        var items: [Item] = []

        switch rule.kind {
        case .condition:
            items.append(Item("kind", "event condition: fires at every \(trigger.name) that passes the filter; the anchor is that event"))
            items.append(Item("reads", "\(trigger.name) (topic \(trigger.topic))"))
            items.append(Item("filter", filter ?? "none: every \(trigger.name)"))
            items.append(Item("key", "none (each alert is its own event)"))
            items.append(Item("state", "none: the outcome depends on the event alone, so workers evaluate it as soon as an event arrives"))
        case .window(let plan):
            var window = plan.window.map(PlanExplanation.words)
            if case .duration(let d, _)? = syntax?.window { window = d.text }
            items.append(Item("kind", "window aggregate: fires at the event where the condition starts to hold for its key (one alert per crossing)"))
            items.append(Item("reads", "\(trigger.name) (topic \(trigger.topic))"))
            items.append(Item("filter", filter ?? "none: every \(trigger.name)"))
            items.append(Item("key", syntax?.groupBy.map(list) ?? "?"))
            items.append(Item("window", window.map { "\($0) of occurred_at before each event, both ends inclusive" }
                              ?? "all time: every earlier event of the key (kept for \(retention) after the key's last event)"))
            items.append(Item("aggregates", plan.aggregates.map(\.text).joined(separator: ", ")))
            items.append(Item("condition", text(syntax?.fireWhen) ?? "?"))
            let inputs = plan.aggregates.compactMap { $0.kind == .count ? nil : $0.text }
            let what = inputs.isEmpty ? "time and id" : "time, id and the inputs of \(inputs.joined(separator: ", "))"
            if let w = window {
                items.append(Item("state", "per key: the filtered events of the last \(w) (\(what)), running aggregates, and whether the condition held at the key's previous event; a key whose window is empty and whose condition is false is dropped at the daily sweep"))
            } else {
                items.append(Item("state", "per key: every filtered event (\(what)), running aggregates, and whether the condition held at the key's previous event"))
            }
            items.append(Item("retention", window == nil ? "\(retention) after a key's last event"
                              : "events that left the window leave the state at the key's next event, or all at once when its newest one leaves; an idle key goes once its window is empty and its condition false (at the latest \(retention) after its last event)"))
        case .precedence(let plan):
            let req = syntax?.require
            let lookback = req?.lookback.map { $0.0.text } ?? plan.lookback.map(PlanExplanation.words)
            items.append(Item("kind", "precedence: at each checked event, fires when the required earlier events are missing"))
            items.append(Item("reads", "checked: \(trigger.name) (topic \(trigger.topic)); required before it: \(plan.requiredType.name) (topic \(plan.requiredType.topic))"))
            items.append(Item("filter", filter ?? "none: every \(trigger.name) is checked"))
            items.append(Item("required", "\(plan.requiredType.name)" + (text(req?.event.filter).map { " where \($0)" } ?? "")))
            items.append(Item("key", req.map { $0.matching.isEmpty ? "none: any earlier \(plan.requiredType.name) counts" : matchList($0.matching) } ?? "?"))
            items.append(Item("lookback", lookback.map { "only \(plan.requiredType.name) events at most \($0) before the checked one (exactly \($0) counts)" } ?? "all earlier events (kept for \(retention))"))
            items.append(Item("condition", req?.having.map { "enough when \(RuleFormatter.inline(file, $0.range)); fires when it does not hold" }
                              ?? "at least one matching \(plan.requiredType.name) before; fires when there is none"))
            if lookback != nil {
                items.append(Item("state", "per key of the \(plan.requiredType.name) events: those of the lookback (their aggregate inputs), the last 8 as evidence"))
            } else {
                items.append(Item("state", "per key of the \(plan.requiredType.name) events: running counts and aggregates over all of them, the last 8 as evidence"))
            }
            items.append(Item("retention", lookback.map { "the lookback (\($0)); keys idle for \(retention) are dropped" } ?? "\(retention) after a key's last \(plan.requiredType.name)"))
        case .absence(let plan):
            let exp = syntax?.expect
            items.append(Item("kind", "absence: each opening event sets a deadline; fires when the watermark reaches it without enough expected events"))
            items.append(Item("reads", "opening: \(trigger.name) (topic \(trigger.topic)); expected: \(plan.expectedType.name) (topic \(plan.expectedType.topic))"))
            items.append(Item("filter", filter ?? "none: every \(trigger.name) opens a deadline"))
            items.append(Item("expected", "\(plan.expectedType.name)" + (text(exp?.event.filter).map { " where \($0)" } ?? "")))
            items.append(Item("key", exp.map { matchList($0.matching) } ?? "?"))
            if let f = exp?.from, let u = exp?.until {
                items.append(Item("counted", "expected events with occurred_at in [\(RuleFormatter.inline(file, f.range)), \(RuleFormatter.inline(file, u.range))), before or after the opening event"))
            } else {
                items.append(Item("counted", "every expected event of the key, before or after the opening event"))
            }
            items.append(Item("deadline", (text(syntax?.deadline) ?? "?") + "; in a replay, a deadline after the ledger's last event does not fire"))
            items.append(Item("condition", exp?.enough.map { "enough when \(RuleFormatter.inline(file, $0.range)); fires when it does not hold" }
                              ?? "at least one expected event; fires when there is none"))
            items.append(Item("state", "per key: the expected events (their aggregate inputs); one pending deadline per opening event"))
            items.append(Item("retention", "expected events are kept \(retention) after they occur"))
        }

        if let pinned = rule.pinnedVillages {
            items.append(Item("dispatch", "indexed under \(trigger.name), only for village\(pinned.count == 1 ? "" : "s") \(pinned.sorted().map { VillageCode(value: $0).description }.joined(separator: ", "))"))
        } else {
            items.append(Item("dispatch", "indexed under \(trigger.name), every village"))
        }
        items.append(Item("workers", rule.villageLocal
            ? "village-local: every event it depends on comes from the anchor's village, so each village shard evaluates it on its own"
            : "cross-village: its key spans villages, so one elected worker evaluates it over every partition (the global shard)"))
        self.items = items

        // Parameters.
        let used = Set(syntax.map(PlanExplanation.referencedNames) ?? [])
        var moneyParams: Set<String> = Set(ParameterResolver.builtins)
        for p in syntax?.params ?? [] { if case .money = p.value { moneyParams.insert(p.name) } }
        // In a set straight from the compiler, a rule's index is also its parameter table's.
        let resolverIndex = rule.index
        var params: [Parameter] = []
        for (i, name) in rule.parameterNames.enumerated() {
            let builtin = ParameterResolver.builtins.contains(name)
            if builtin && !used.contains(name) { continue }
            let money = moneyParams.contains(name)
            func show(_ v: Num) -> String { money ? Money.formatYuan(fen: NumScale.toFen(v)) : DecimalNumber.format(micros: NumScale.toMicros(v)) }
            let def: String
            if builtin {
                let column = name
                def = "village_limits.\(column) per village, else \(show(ruleSet.params.defaultValue(rule: resolverIndex, param: i)))"
            } else {
                def = show(ruleSet.params.defaultValue(rule: resolverIndex, param: i))
            }
            var overrides: [String] = []
            for o in ruleSet.params.overrides where o.name == name && (o.rule == nil || o.rule == rule.name) {
                let scope: String
                switch o.scope {
                case .village(let v): scope = "village \(VillageCode(value: v).description)"
                case .township(let t): scope = "township \(String(t).leftPadded(9, with: "0"))"
                case .district(let d): scope = "district \(String(d).leftPadded(6, with: "0"))"
                case .everywhere: scope = "everywhere"
                }
                overrides.append("\(scope) → \(show(o.value))" + (o.rule == nil ? " (for every rule)" : ""))
            }
            params.append(Parameter(name: name, origin: builtin ? "built-in" : "param", defaultValue: def, overrides: overrides, used: used.contains(name)))
        }
        parameters = params
    }

    /// A duration in words: `7 days`, `72 hours`, `90 minutes`.
    static func words(_ micros: Int64) -> String {
        for (unit, name) in [(TimeUnit.day, "day"), (TimeUnit.hour, "hour"), (TimeUnit.minute, "minute"), (TimeUnit.second, "second")]
        where micros % unit == 0 {
            let n = micros / unit
            return "\(n) \(name)\(n == 1 ? "" : "s")"
        }
        return DurationText.format(micros)
    }

    /// Names an expression tree reads (fields, parameters, aggregates).
    static func referencedNames(_ r: RuleSyntax) -> [String] {
        var out: [String] = []
        func walk(_ e: Expr?) {
            guard let e else { return }
            switch e {
            case .name(let n, _): out.append(n)
            case .member(_, let n, _): out.append(n)
            default: e.children.forEach(walk)
            }
        }
        walk(r.trigger?.filter)
        r.groupBy?.forEach(walk)
        walk(r.fireWhen)
        walk(r.require?.event.filter)
        walk(r.require?.having)
        r.require?.matching.forEach { walk($0.left); walk($0.right) }
        walk(r.expect?.event.filter)
        walk(r.expect?.enough)
        walk(r.expect?.from)
        walk(r.expect?.until)
        r.expect?.matching.forEach { walk($0.left); walk($0.right) }
        walk(r.deadline)
        // Summaries: names inside {…} placeholders.
        for s in [r.summaryZH?.0, r.summaryEN?.0].compactMap({ $0 }) {
            var word = ""
            var inside = false
            for ch in s {
                if ch == "{" { inside = true; continue }
                if ch == "}" { inside = false }
                if inside && (ch.isLetter || ch.isNumber || ch == "_") { word.append(ch); continue }
                if !word.isEmpty { out.append(word); word = "" }
            }
        }
        return out
    }

    /// The explanation as aligned text lines.
    public var text: String {
        var out = "\(rule)  (version \(version), severity \(severity))  \(location)\n"
        let width = (items.map(\.label.count) + [10]).max()!
        for item in items {
            out += "  " + (item.label + ":").padding(width + 1) + " " + item.text + "\n"
        }
        out += "  " + "parameters:".padding(width + 1) + (parameters.isEmpty ? " none\n" : "\n")
        let nameWidth = parameters.map(\.name.count).max() ?? 0
        for p in parameters {
            var line = "    " + p.name.padding(nameWidth) + "  " + p.defaultValue
            if p.origin == "param" { line += " (default in the rule)" }
            if !p.used { line += "; never read" }
            out += line + "\n"
            for o in p.overrides { out += "    " + "".padding(nameWidth) + "  override: " + o + "\n" }
        }
        out += "  " + "signature:".padding(width + 1) + " " + stateSignature
            + " (state carries over a deploy while the rule's kind, filters, key, window and correlation stay the same)\n"
        return out
    }
}

extension String {
    func leftPadded(_ n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }

    func padding(_ n: Int) -> String {
        count >= n ? self : self + String(repeating: " ", count: n - count)
    }
}

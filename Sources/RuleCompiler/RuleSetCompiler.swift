import EventModel
import RuleLanguage

/// Compiles rule files into a `CompiledRuleSet`: parse → check → lower.
/// Every problem of every file is reported in one run.
public enum RuleSetCompiler {
    /// State with no window of its own is kept this long by default.
    public static let defaultRetention: Int64 = 400 * TimeUnit.day

    public struct Output {
        public var ruleSet: CompiledRuleSet?
        public var diagnostics: [Diagnostic]
        public var sources: [String: SourceFile]
    }

    /// Compiles the given files. `ruleSet` is nil when any error was found.
    public static func compile(_ files: [SourceFile], overrides: [ParameterResolver.Override] = []) -> Output {
        var diags: [Diagnostic] = []
        var rules: [CompiledRule] = []
        var resolver = ParameterResolver()
        var seen: [String: (String, Int)] = [:]
        var sources: [String: SourceFile] = [:]
        for file in files {
            sources[file.path] = file
            // Rule files are stored as they are (a deployed version's files, jsonb),
            // and neither PostgreSQL text nor jsonb can hold U+0000.
            if let nul = file.bytes.firstIndex(of: 0) {
                diags.append(Diagnostic("E0002", .error, "the file holds the character U+0000 (NUL): rule files are plain text",
                                        in: file, at: SourceRange(nul, nul + 1)))
            }
            let (syntax, parseDiags) = Parser.parse(file)
            diags += parseDiags
            for r in syntax.rules {
                let (l, _) = file.position(of: r.nameRange.start)
                if let (p, line) = seen[r.name] {
                    diags.append(Diagnostic("E0208", .error, "a rule named '\(r.name)' already exists", in: file, at: r.nameRange,
                                            notes: ["first defined at \(p):\(line)"]))
                    continue
                }
                seen[r.name] = (file.path, l)
                let c = RuleLowering(file: file, syntax: r, index: rules.count)
                if let rule = c.lower(&resolver) { rules.append(rule) }
                diags += c.ec.diagnostics
            }
        }
        resolver.apply(overrides)
        if diags.hasErrors { return Output(ruleSet: nil, diagnostics: diags, sources: sources) }
        return Output(ruleSet: CompiledRuleSet(rules: rules, params: resolver), diagnostics: diags, sources: sources)
    }
}

/// Lowers one rule's syntax into a `CompiledRule`.
final class RuleLowering {
    let file: SourceFile
    let r: RuleSyntax
    let index: Int
    let ec: ExpressionCompiler
    let used = UsedNames()

    init(file: SourceFile, syntax: RuleSyntax, index: Int) {
        self.file = file
        self.r = syntax
        self.index = index
        self.ec = ExpressionCompiler(file: file)
    }

    func error(_ code: String, _ msg: String, _ range: SourceRange, notes: [String] = []) {
        ec.error(code, msg, range, notes: notes)
    }

    func eventType(_ c: EventClause) -> EventType? {
        if let t = EventType(name: c.typeName) { return t }
        let names = EventType.allCases.map(\.name)
        error("E0202", "unknown event type '\(c.typeName)'", c.typeRange,
              notes: ec.suggestion(c.typeName, names).map { ["did you mean '\($0)'?"] } ?? ["event types: " + names.joined(separator: ", ")])
        return nil
    }

    func lower(_ resolver: inout ParameterResolver) -> CompiledRule? {
        // Header clauses.
        var version = 1
        if let (v, _) = r.version { version = v } else {
            error("E0207", "rule '\(r.name)' has no 'version'", r.nameRange, notes: ["add a line such as: version 1"])
        }
        var severity = Severity.medium
        if let (s, sr) = r.severity {
            if let sv = Severity(rawValue: s) { severity = sv } else {
                error("E0203", "unknown severity '\(s)'", sr, notes: ["use low, medium, high or critical"])
            }
        } else {
            error("E0207", "rule '\(r.name)' has no 'severity'", r.nameRange, notes: ["add a line such as: severity high"])
        }
        if r.name.contains(where: { $0.isUppercase }) {
            ec.warning("W0305", "rule names are lower-case words joined by dashes", r.nameRange)
        }

        // Parameters: the built-ins first, then the rule's own.
        var params: [String: (index: Int, type: StaticType)] = [:]
        var names = ParameterResolver.builtins
        var defaults: [Num] = [NumScale.fromFen(ReferenceTables.defaultApprovalLimit), NumScale.fromFen(ReferenceTables.defaultDecisionLimit)]
        params["approval_limit"] = (0, .money)
        params["decision_limit"] = (1, .money)
        for p in r.params {
            if params[p.name] != nil {
                error("E0104", "parameter '\(p.name)' is defined twice (or shadows a built-in)", p.range)
                continue
            }
            var value: Num? = nil
            var type: StaticType = .number
            switch p.value {
            case .integer(let v, _): value = NumScale.fromInt(v)
            case .decimal(let t, _): value = DecimalNumber.parseMicros(t).map(NumScale.fromMicros)
            case .money(let lit, _):
                type = .money
                if case .integer(let v, _) = lit { value = NumScale.fromInt(v) }
                if case .decimal(let t, _) = lit { value = DecimalNumber.parseMicros(t).map(NumScale.fromMicros) }
            default: break
            }
            guard let value else {
                error("E0203", "a parameter's value must be a number or an amount such as 3, 1.3 or 200000 yuan", p.value.range)
                continue
            }
            params[p.name] = (names.count, type)
            names.append(p.name)
            defaults.append(value)
        }
        let ruleIndex = resolver.register(rule: r.name, names: names, defaults: defaults)

        guard let trigger = r.trigger else {
            error("E0207", "rule '\(r.name)' has no 'on' clause", r.nameRange, notes: ["say which events the rule looks at, e.g.: on finance.payment"])
            return nil
        }
        guard let ttype = eventType(trigger) else { return nil }

        var base = Scope(type: ttype)
        base.selfAliases = trigger.alias.map { [$0] } ?? []
        base.params = params
        base.ruleIndex = ruleIndex
        base.usedParams = used

        // Which kind?
        let isWindow = r.groupBy != nil || r.window != nil || r.fireWhen != nil
        let kinds = [isWindow ? "window (group by/within/fire when)" : nil, r.require != nil ? "precedence (require)" : nil,
                     r.expect != nil ? "absence (expect)" : nil].compactMap { $0 }
        if kinds.count > 1 {
            error("E0206", "a rule is one kind only, but this one mixes \(kinds.joined(separator: " and "))", r.nameRange,
                  notes: ["split it into two rules"])
            return nil
        }
        if r.deadline != nil && r.expect == nil {
            error("E0206", "'deadline' belongs to an 'expect' rule", r.deadline!.range)
        }

        let pinned = trigger.filter.flatMap { pinnedVillages($0) }
        // Compiled for its errors as written; the engine runs it without the village pins, which
        // the dispatch by village already guarantees (`pinnedTriggers`).
        let filter = trigger.filter.flatMap { ec.compileBool($0, base) }
        var runFilter = filter
        var runFilterExpr = trigger.filter
        if pinned != nil, filter != nil, let f = trigger.filter {
            runFilterExpr = RuleLowering.withoutVillagePins(f)
            runFilter = runFilterExpr.flatMap { ec.compileBool($0, base) }
        }
        // What makes two rules' filters test an event alike (see `CompiledRule.filterSignature`).
        var filterSignature: String? = nil
        var filterParameters: [String] = []
        if runFilter != nil, let f = runFilterExpr {
            filterSignature = [ttype.name, trigger.alias ?? "-", RuleLowering.canonical(f)].joined(separator: "\u{1}")
            // (A member's field named like a parameter counts too: at worst a share is missed.)
            filterParameters = Set(referencedNames(f)).filter { params[$0] != nil }.sorted()
        }

        var kind: CompiledRule.Kind = .condition
        var keyDisplay: [(String, DisplayFn)] = []
        var aggSpecs: [AggregateSpec] = []
        var aggScope: Scope? = nil
        var extraFigures: [FigureSpec] = []
        var allowDeadline = false
        var retention = RuleSetCompiler.defaultRetention
        if let (d, _) = r.retain { retention = d.micros }
        // Parameters read on the required/expected side (they make the stored history the rule's own).
        let feedUsed = UsedNames()

        if isWindow {
            guard let keys = r.groupBy, let win = r.window, let cond = r.fireWhen else {
                let missing = [r.groupBy == nil ? "group by" : nil, r.window == nil ? "within" : nil, r.fireWhen == nil ? "fire when" : nil].compactMap { $0 }
                error("E0207", "a window rule needs 'group by', 'within' and 'fire when'; missing: \(missing.joined(separator: ", "))", r.nameRange)
                return nil
            }
            let reg = AggregateRegistry(memberScope: base)
            var s = base
            s.aggregates = reg
            var keyFns: [KeyPart] = []
            for k in keys {
                guard let c = ec.compile(k, base, hint: nil) else { continue }
                if case .bool = c { error("E0203", "group by needs values, not conditions", k.range); continue }
                keyFns.append(KeyPart(c.keyFn))
                keyDisplay.append((file.slice(k.range), display(c, k)))
            }
            let condition = ec.compileBool(cond, s)
            var window: Int64? = nil
            switch win {
            case .duration(let d, let wr):
                if d.micros <= 0 { error("E0203", "the window must be longer than zero", wr) }
                window = d.micros
                extraFigures.append(FigureSpec(name: "window", value: { _, _ in .duration(d.micros) }))
            case .unbounded:
                window = nil
            }
            if let w = window, r.retain != nil, retention < w {
                error("E0203", "'retain' must be at least the window (\(DurationText.format(w)))", r.retain!.1)
            }
            aggScope = s
            guard let condition, keyFns.count == keys.count else { return nil }
            aggSpecs = reg.specs
            kind = .window(WindowPlan(key: keyFns, window: window, aggregates: reg.specs, inputs: reg.inputs, condition: condition))
        } else if let req = r.require {
            guard let rtype = eventType(req.event) else { return nil }
            var rs = Scope(type: rtype)
            rs.selfAliases = req.event.alias.map { [$0] } ?? []
            rs.params = params
            rs.ruleIndex = ruleIndex
            rs.usedParams = feedUsed
            if let a = trigger.alias { rs.foreignAliases[a] = "conditions after 'require … before' read only the \(rtype.name) event; correlate the two with 'matching'" }
            let rfilter = req.event.filter.flatMap { ec.compileBool($0, rs) }
            let (tk, rk, disp) = matching(req.matching, trigger: base, other: rs)
            keyDisplay = disp
            let reg = AggregateRegistry(memberScope: rs)
            var hs = base
            hs.aggregates = reg
            var having: BoolFn? = nil
            if let h = req.having {
                having = ec.compileBool(h, hs)
            } else {
                _ = ec.aggregate(.count, nil, "count", reg, req.range)
                having = { _, env in (env.aggs[0] ?? 0) >= NumScale.one }
            }
            if req.matching.isEmpty {
                ec.warning("W0306", "no 'matching': any earlier \(rtype.name) of any village satisfies this rule", req.range)
            }
            if let (lb, _) = req.lookback {
                extraFigures.append(FigureSpec(name: "lookback", value: { _, _ in .duration(lb.micros) }))
            }
            aggScope = hs
            guard let having, tk.count == req.matching.count, rk.count == req.matching.count else { return nil }
            if req.event.filter != nil && rfilter == nil { return nil }
            aggSpecs = reg.specs
            kind = .precedence(PrecedencePlan(lookback: req.lookback?.0.micros, requiredType: rtype, requiredFilter: rfilter,
                                              triggerKey: tk, requiredKey: rk, aggregates: reg.specs, inputs: reg.inputs, having: having))
        } else if let exp = r.expect {
            guard let xtype = eventType(exp.event) else { return nil }
            var xs = Scope(type: xtype)
            xs.selfAliases = exp.event.alias.map { [$0] } ?? []
            xs.params = params
            xs.ruleIndex = ruleIndex
            xs.usedParams = feedUsed
            if let a = trigger.alias { xs.foreignAliases[a] = "conditions after 'expect' read only the \(xtype.name) event; correlate the two with 'matching'" }
            let xfilter = exp.event.filter.flatMap { ec.compileBool($0, xs) }
            let (ok, xk, disp) = matching(exp.matching, trigger: base, other: xs)
            keyDisplay = disp
            func instant(_ e: Expr?, _ what: String) -> IntFn? {
                guard let e, let c = ec.compile(e, base, hint: nil) else { return nil }
                guard case .int(let f, .instant) = c else {
                    error("E0203", "\(what) must be a point in time (e.g. start_of_day(due_date + 31 days)), found \(c.type)", e.range)
                    return nil
                }
                return f
            }
            let from = instant(exp.from, "'from'")
            let until = instant(exp.until, "'until'")
            guard let dl = r.deadline else {
                error("E0207", "an 'expect' rule needs a 'deadline'", exp.range, notes: ["e.g.: deadline start_of_day(due_date + 31 days)"])
                return nil
            }
            let deadline = instant(dl, "'deadline'")
            let reg = AggregateRegistry(memberScope: xs)
            var es = base
            es.aggregates = reg
            var enough: BoolFn? = nil
            if let en = exp.enough {
                enough = ec.compileBool(en, es)
            } else {
                _ = ec.aggregate(.count, nil, "count", reg, exp.range)
                enough = { _, env in (env.aggs[0] ?? 0) >= NumScale.one }
            }
            allowDeadline = true
            aggScope = es
            guard let enough, let deadline, ok.count == exp.matching.count, xk.count == exp.matching.count else { return nil }
            if exp.from != nil && from == nil || exp.until != nil && until == nil { return nil }
            if exp.event.filter != nil && xfilter == nil { return nil }
            aggSpecs = reg.specs
            extraFigures.append(FigureSpec(name: "deadline", value: { _, env in .instant(env.deadline) }))
            kind = .absence(AbsencePlan(expectedType: xtype, expectedFilter: xfilter, openKey: ok, expectedKey: xk, from: from, until: until,
                                        aggregates: reg.specs, inputs: reg.inputs, enough: enough, deadline: deadline))
        } else {
            // Condition rules show the fields their filter reads as their key.
            if let f = trigger.filter {
                for n in referencedFields(f, ttype) where Field(name: n)?.kind == .string {
                    if let c = ec.compile(.name(n, .none), base, hint: nil) { keyDisplay.append((n, display(c, .name(n, .none)))) }
                }
            }
        }
        if trigger.filter != nil && filter == nil { return nil }

        // Summaries.
        var sumScope = aggScope ?? base
        sumScope.allowDeadline = allowDeadline
        let title = r.titleZH ?? r.name
        // Placeholders that read the same in both languages are formatted once an alert.
        var shared: [String: Int] = [:]
        let zh = r.summaryZH.map { template($0.0, $0.1, sumScope, shared: &shared) } ?? Template(parts: [.text(title)])
        let en = r.summaryEN.map { template($0.0, $0.1, sumScope, shared: &shared) } ?? Template(parts: [.text(r.titleEN ?? r.name)])
        if r.summaryZH == nil {
            ec.warning("W0307", "rule '\(r.name)' has no summary; analysts will see only its title", r.nameRange,
                       notes: ["add: summary \"…{amount}…\" — placeholders in braces are filled with the alert's figures"])
        }
        // Aggregates used only in summaries were registered late: refresh the plans.
        if let reg = sumScope.aggregates, reg.specs.count != aggSpecs.count {
            aggSpecs = reg.specs
            switch kind {
            case .window(var p): p.aggregates = reg.specs; p.inputs = reg.inputs; kind = .window(p)
            case .precedence(var p): p.aggregates = reg.specs; p.inputs = reg.inputs; kind = .precedence(p)
            case .absence(var p): p.aggregates = reg.specs; p.inputs = reg.inputs; kind = .absence(p)
            case .condition: break
            }
        }

        used.names.formUnion(feedUsed.names)
        switch kind {
        case .precedence(var p):
            if let req = r.require {
                p.feedSignature = feedSignature("require", req.event, req.matching, aggSpecs, lookback: p.lookback, retention: retention, readsParameters: !feedUsed.names.isEmpty)
            }
            kind = .precedence(p)
        case .absence(var p):
            if let exp = r.expect {
                p.feedSignature = feedSignature("expect", exp.event, exp.matching, aggSpecs, lookback: nil, retention: retention, readsParameters: !feedUsed.names.isEmpty)
            }
            kind = .absence(p)
        default: break
        }

        // Figures: aggregates, parameters read, and the rule's own durations.
        var figures: [FigureSpec] = []
        for (i, a) in aggSpecs.enumerated() {
            let money = a.resultType == .money
            figures.append(FigureSpec(name: a.text, value: { _, env in
                guard let v = env.aggregate(i) else { return nil }
                return money ? .money(fen: NumScale.toFen(v)) : .number(micros: NumScale.toMicros(v))
            }))
        }
        if case .condition = kind, let f = trigger.filter {
            for n in referencedFields(f, ttype) {
                guard let c = ec.compile(.name(n, .none), base, hint: nil) else { continue }
                if let fig = figureFn(c) { figures.append(FigureSpec(name: n, value: fig)) }
            }
            if case .call(_, let args, _, _)? = findCall(f, "cadre_link"),
               let c = ec.compile(.call("cadre_link", args, distinct: false, .none), base, hint: nil), case .link(let lf) = c {
                // The path that made the rule fire, for the alert detail.
                let describe = display(c, .call("cadre_link", args, distinct: false, .none))
                figures.append(FigureSpec(name: "relation", value: { e, env in describe(e, env).map { .text($0) } }))
                figures.append(FigureSpec(name: "relation_kind", value: { e, env in lf(e, env).map { .text($0.kind.rawValue) } }))
                figures.append(FigureSpec(name: "cadre_id", value: { e, env in lf(e, env).map { .text($0.cadreID) } }))
                figures.append(FigureSpec(name: "cadre_name", value: { e, env in lf(e, env).flatMap { env.tables.people[$0.cadreID].map { .text($0.name) } } }))
                figures.append(FigureSpec(name: "cadre_role", value: { e, env in lf(e, env).flatMap { env.tables.people[$0.cadreID].map { .text($0.role) } } }))
                figures.append(FigureSpec(name: "via_person_id", value: { e, env in lf(e, env).flatMap { $0.viaPersonID.map { .text($0) } } }))
            }
            for fnName in ["reference_price"] where usesCall(f, fnName) {
                if case .call(_, let args, _, _)? = findCall(f, fnName), let c = ec.compile(.call(fnName, args, distinct: false, .none), base, hint: nil),
                   let fig = figureFn(c) {
                    figures.append(FigureSpec(name: fnName, value: fig))
                }
            }
        }
        for n in names where used.names.contains(n) {
            let pi = params[n]!.index
            let money = params[n]!.type == .money
            figures.append(FigureSpec(name: n, value: { e, env in
                let v = env.parameter(rule: ruleIndex, param: pi, village: e.village)
                return money ? .money(fen: NumScale.toFen(v)) : .number(micros: NumScale.toMicros(v))
            }))
        }
        figures += extraFigures
        for p in r.params where !used.names.contains(p.name) {
            ec.warning("W0303", "parameter '\(p.name)' is never used", p.range)
        }

        let (line, _) = file.position(of: r.range.start)
        var compiled = CompiledRule(name: r.name, version: version, severity: severity, titleZH: title, titleEN: r.titleEN ?? r.name,
                            source: file.slice(r.range), path: file.path, line: line, index: index, kind: kind, triggerType: ttype,
                            triggerFilter: runFilter, pinnedVillages: pinned, retention: retention, summaryZH: zh, summaryEN: en,
                            keyDisplay: keyDisplay, figures: figures, parameterNames: names,
                            stateSignature: RuleLowering.signature(file.slice(r.range)), villageLocal: villageLocal())
        compiled.filterSignature = filterSignature
        compiled.filterParameters = filterParameters
        compiled.parameterRule = ruleIndex
        return compiled
    }

    /// An expression as text without positions, every operand bracketed
    /// and every literal quoted, so that equal texts are equal expressions.
    static func canonical(_ e: Expr) -> String {
        switch e {
        case .integer(let v, _): return "i:\(v)"
        case .decimal(let t, _): return "d:\(t)"
        case .string(let t, _): return "s:" + t.debugDescription
        case .timeOfDay(let v, _): return "t:\(v)"
        case .duration(let d, _): return "D:\(d.micros)"
        case .money(let x, _): return "(money " + canonical(x) + ")"
        case .name(let n, _): return "n:" + n
        case .member(let a, let f, _): return "m:" + a + "." + f
        case .call(let f, let args, let distinct, _):
            return "(call " + f + (distinct ? " distinct" : "") + args.map { " " + canonical($0) }.joined() + ")"
        case .unary(let op, let x, _): return "(" + op + " " + canonical(x) + ")"
        case .binary(let op, let a, let b, _): return "(" + op + " " + canonical(a) + " " + canonical(b) + ")"
        case .isPresent(let x, let negated, _): return "(" + (negated ? "absent " : "present ") + canonical(x) + ")"
        case .inList(let x, let items, let negated, _):
            return "(" + (negated ? "notin " : "in ") + canonical(x) + items.map { " " + canonical($0) }.joined() + ")"
        }
    }

    /// What the history of required/expected events depends on: their type and
    /// filter, the correlation, the aggregated values, lookback and retention.
    /// Rules with equal signatures (per-village variants of one rule) keep one
    /// shared history. When that side reads a parameter (values are per rule),
    /// the rule's name makes the signature its own.
    func feedSignature(_ word: String, _ ev: EventClause, _ matching: [MatchSyntax], _ specs: [AggregateSpec],
                       lookback: Int64?, retention: Int64, readsParameters: Bool) -> String {
        var parts = [word, ev.typeName, ev.alias ?? "-", ev.filter.map { RuleLowering.signature(file.slice($0.range)) } ?? "-"]
        parts += matching.map { RuleLowering.signature(file.slice($0.range)) }
        parts += specs.map { "\($0.kind.rawValue):\($0.inputSlot ?? -1):\($0.text)" }
        parts += [lookback.map(String.init) ?? "-", String(retention)]
        if readsParameters { parts.append("rule:" + r.name) }
        return parts.joined(separator: "\u{1}")
    }

    /// Whether the rule's key or correlation pins the village.
    func villageLocal() -> Bool {
        func isVillage(_ e: Expr) -> Bool {
            if case .name("village", _) = e { return true }
            if case .member(_, "village", _) = e { return true }
            return false
        }
        if let g = r.groupBy { return g.contains(where: isVillage) }
        let matches = r.require?.matching ?? r.expect?.matching
        if let m = matches {
            return m.contains { isVillage($0.left) && ($0.right.map(isVillage) ?? true) }
        }
        return true
    }

    /// The rule's tokens without comments, layout, and the clauses that do
    /// not shape its state (version, severity, title, description, summary,
    /// param): reformatting a rule or changing a threshold keeps its state.
    static func signature(_ text: String) -> String {
        let skip: Set<String> = ["version", "severity", "title", "description", "summary", "param"]
        var lexer = Lexer(SourceFile(path: "", text: text))
        var parts: [String] = []
        var skipping = false
        for t in lexer.tokenize() where t.kind != .eof {
            if t.kind == .identifier && Parser.clauseWords.contains(t.text) { skipping = skip.contains(t.text) }
            else if t.kind == .identifier && skip.contains(t.text) && parts.last == nil { skipping = true }
            if !skipping { parts.append(t.text) }
        }
        return parts.joined(separator: " ")
    }

    // MARK: matching

    /// Splits `matching` items into trigger-side and other-side key functions.
    func matching(_ items: [MatchSyntax], trigger: Scope, other: Scope) -> ([KeyPart], [KeyPart], [(String, DisplayFn)]) {
        var tk: [KeyPart] = [], ok: [KeyPart] = [], disp: [(String, DisplayFn)] = []
        let triggerAliases = trigger.selfAliases
        for m in items {
            let l: Expr, rgt: Expr
            if let right = m.right {
                // Which side reads the triggering event? The one naming its alias,
                // else the one whose fields exist only on the trigger's type.
                let lt = mentionsAlias(m.left, triggerAliases) || (!mentionsAlias(m.right!, triggerAliases) && fieldsFit(m.left, trigger.type) && !fieldsFit(m.left, other.type))
                if lt { l = m.left; rgt = right } else { l = right; rgt = m.left }
            } else {
                l = m.left
                rgt = stripAlias(m.left)
            }
            var ts = trigger
            ts.foreignAliases = other.selfAliases.reduce(into: [:]) { $0[$1] = "this side of '=' reads the triggering event" }
            var os = other
            os.selfAliases.subtract(triggerAliases)
            guard let ct = ec.compile(stripAliasIf(l, triggerAliases), ts, hint: nil), let co = ec.compile(rgt, os, hint: ct.type) else { continue }
            if case .bool = ct { error("E0203", "matching needs values, not conditions", m.range); continue }
            let compatible: Bool
            switch (ct.type, co.type) {
            case (.money, .money), (.number, .number), (.date, .date), (.month, .month), (.instant, .instant): compatible = true
            case (.division(let a), .division(let b)): compatible = a == b
            case (let a, let b) where a.isText && b.isText: compatible = true
            default: compatible = false
            }
            guard compatible else {
                error("E0203", "cannot match \(ct.type) with \(co.type)", m.range)
                continue
            }
            tk.append(KeyPart(ct.keyFn))
            ok.append(KeyPart(co.keyFn))
            disp.append((file.slice(stripAlias(l).range), display(ct, stripAliasIf(l, triggerAliases))))
        }
        return (tk, ok, disp)
    }

    func mentionsAlias(_ e: Expr, _ aliases: Set<String>) -> Bool {
        switch e {
        case .member(let a, _, _): return aliases.contains(a)
        case .call(_, let args, _, _): return args.contains { mentionsAlias($0, aliases) }
        case .binary(_, let a, let b, _): return mentionsAlias(a, aliases) || mentionsAlias(b, aliases)
        case .unary(_, let a, _): return mentionsAlias(a, aliases)
        default: return false
        }
    }

    func fieldsFit(_ e: Expr, _ t: EventType) -> Bool {
        referencedNames(e).allSatisfy { n in
            ["event_id", "occurred_at", "village", "township", "district"].contains(n) || Field(name: n).flatMap { t.slot(of: $0) } != nil
        }
    }

    func stripAlias(_ e: Expr) -> Expr {
        switch e {
        case .member(_, let f, let r): return .name(f, r)
        case .call(let n, let args, let d, let r): return .call(n, args.map(stripAlias), distinct: d, r)
        case .binary(let o, let a, let b, let r): return .binary(o, stripAlias(a), stripAlias(b), r)
        case .unary(let o, let a, let r): return .unary(o, stripAlias(a), r)
        default: return e
        }
    }

    func stripAliasIf(_ e: Expr, _ aliases: Set<String>) -> Expr {
        if case .member(let a, let f, let r) = e, aliases.contains(a) { return .name(f, r) }
        return e
    }

    // MARK: helpers

    /// Names and member fields an expression reads, in order of mention.
    func referencedNames(_ e: Expr) -> [String] {
        switch e {
        case .name(let n, _), .member(_, let n, _): return [n]
        default: return e.children.flatMap(referencedNames)
        }
    }

    /// Fields of `t` the expression reads, in order of first mention.
    func referencedFields(_ e: Expr, _ t: EventType) -> [String] {
        var out: [String] = []
        for n in referencedNames(e) where !out.contains(n) {
            if let f = Field(name: f2(n)), t.slot(of: f) != nil { out.append(n) }
        }
        return out
    }

    private func f2(_ n: String) -> String { n }

    func usesCall(_ e: Expr, _ name: String) -> Bool { findCall(e, name) != nil }

    func findCall(_ e: Expr, _ name: String) -> Expr? {
        switch e {
        case .call(let n, let args, _, _): return n == name ? e : args.lazy.compactMap { self.findCall($0, name) }.first
        case .binary(_, let a, let b, _): return findCall(a, name) ?? findCall(b, name)
        case .unary(_, let a, _), .isPresent(let a, _, _), .money(let a, _): return findCall(a, name)
        case .inList(let a, let items, _, _): return findCall(a, name) ?? items.lazy.compactMap { self.findCall($0, name) }.first
        default: return nil
        }
    }

    /// `e` without its top-level conjuncts `village = "…"` and `village in (…)` of 12-digit
    /// codes (nil when nothing is left): what is still to test of an event that the
    /// dispatch by village (`pinnedVillages`) has already put in every pinned set.
    static func withoutVillagePins(_ e: Expr) -> Expr? {
        func isCode(_ x: Expr) -> Bool {
            guard case .string(let v, _) = x else { return false }
            return v.utf8.count == 12 && v.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        }
        switch e {
        case .binary("and", let a, let b, let r):
            switch (withoutVillagePins(a), withoutVillagePins(b)) {
            case (nil, nil): return nil
            case (let x?, nil): return x
            case (nil, let y?): return y
            case (let x?, let y?): return .binary("and", x, y, r)
            }
        case .binary("=", .name("village", _), let v, _) where isCode(v): return nil
        case .binary("=", let v, .name("village", _), _) where isCode(v): return nil
        case .inList(.name("village", _), let items, false, _) where !items.isEmpty && items.allSatisfy(isCode): return nil
        default: return e
        }
    }

    /// Villages pinned by top-level conjuncts `village = "…"` or `village in (…)`.
    func pinnedVillages(_ e: Expr) -> Set<UInt64>? {
        switch e {
        case .binary("and", let a, let b, _):
            let x = pinnedVillages(a), y = pinnedVillages(b)
            if let x, let y { return x.intersection(y) }
            return x ?? y
        case .binary("=", .name("village", _), .string(let v, _), _), .binary("=", .string(let v, _), .name("village", _), _):
            return UInt64(v).map { [$0] }
        case .inList(.name("village", _), let items, false, _):
            var out: Set<UInt64> = []
            for i in items {
                guard case .string(let v, _) = i, let code = UInt64(v) else { return nil }
                out.insert(code)
            }
            return out
        default:
            return nil
        }
    }

    func figureFn(_ c: Compiled) -> (@Sendable (borrowing Event, EvalEnv) -> Figure.Value?)? {
        switch c {
        case .num(let f, .money): return { e, env in f(e, env).map { .money(fen: NumScale.toFen($0)) } }
        case .num(let f, _): return { e, env in f(e, env).map { .number(micros: NumScale.toMicros($0)) } }
        case .int(let f, .instant): return { e, env in f(e, env).map { .instant($0) } }
        case .int(let f, .duration): return { e, env in f(e, env).map { .duration($0) } }
        case .int(let f, .date): return { e, env in f(e, env).map { .date(day: $0) } }
        case .int(let f, .month): return { e, env in f(e, env).map { .month($0) } }
        case .int(let f, _): return { e, env in f(e, env).map { .integer($0) } }
        case .bool(let f): return { e, env in f(e, env).map { .bool($0) } }
        default: return nil
        }
    }

    /// How a value is shown in summaries and keys.
    func display(_ c: Compiled, _ e: Expr) -> DisplayFn {
        switch c {
        case .text(_, .division(let level)):
            return { ev, _ in
                level == 12 ? ev.village.description : (level == 9 ? ev.village.townshipCode : ev.village.districtCode)
            }
        case .text(let f, _):
            if case .name(let n, _) = e { return { ev, env in env.text(ev, n) } }
            if case .member(_, let n, _) = e { return { ev, env in env.text(ev, n) } }
            if case .string(let s, _) = e { return { _, _ in s } }
            return { ev, env in f(ev, env).map { _ in "…" } }
        case .num(let f, .money):
            return { ev, env in f(ev, env).map { Money.formatYuan(fen: NumScale.toFen($0)) } }
        case .num(let f, _):
            return { ev, env in f(ev, env).map { DecimalNumber.format(micros: NumScale.toMicros($0)) } }
        case .int(let f, let t):
            return { ev, env in
                guard let v = f(ev, env) else { return nil }
                switch t {
                case .instant: return ShanghaiTime.format(v)
                case .date: return CivilDate.format(days: v)
                case .month: return CivilDate.format(month: v)
                case .duration: return DurationText.format(v)
                case .timeOfDay:
                    let s = v / TimeUnit.second
                    return String(format2: s / 3600) + ":" + String(format2: s / 60 % 60)
                default: return String(v)
                }
            }
        case .bool(let f):
            return { ev, env in f(ev, env).map { env.chinese ? ($0 ? "是" : "否") : ($0 ? "yes" : "no") } }
        case .link(let f):
            return { ev, env in f(ev, env).map { env.tables.describe($0, chinese: env.chinese) } }
        }
    }

    /// Parses `{expr}` placeholders of a summary string.
    /// `shared`: share indexes (`Template`) by placeholder text, for the
    /// templates of one rule; a placeholder whose text depends on the
    /// language (a yes/no, a cadre link) gets none.
    func template(_ text: String, _ range: SourceRange, _ s: Scope, shared: inout [String: Int]) -> Template {
        var parts: [Template.Part] = []
        var shares: [Int] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        // Byte offset of the string's content in the file (escapes make this approximate).
        let contentStart = range.start + 1
        while i < chars.count {
            if chars[i] == "{" {
                guard let close = chars[i...].firstIndex(of: "}") else {
                    error("E0213", "'{' without a closing '}' in the summary", range)
                    break
                }
                if !literal.isEmpty { parts.append(.text(literal)); shares.append(-1); literal = "" }
                let inner = String(chars[(i + 1)..<close])
                let offset = contentStart + String(chars[0..<(i + 1)]).utf8.count
                // The placeholder alone (not padded to its offset in the file: that made
                // compiling quadratic in the file's size); ranges are shifted back below.
                let sub = SourceFile(path: file.path, text: inner)
                let shift = { (r: SourceRange) in SourceRange(r.start + offset, r.end + offset) }
                let (exprOpt, pd) = parsePlaceholder(sub)
                for d in pd { ec.diagnostics.append(Diagnostic(d.code, d.severity, d.message, in: file, at: shift(d.range), notes: d.notes)) }
                if let expr = exprOpt {
                    let sub2 = ExpressionCompiler(file: sub)
                    // Share aggregates and parameters with the rule.
                    if let c = sub2.compile(expr, s, hint: nil) {
                        parts.append(.value(display(c, expr)))
                        switch c {
                        case .bool, .link: shares.append(-1)
                        default:
                            if shared[inner] == nil { shared[inner] = shared.count }
                            shares.append(shared[inner]!)
                        }
                    }
                    for d in sub2.diagnostics { ec.diagnostics.append(Diagnostic(d.code, d.severity, d.message, in: file, at: shift(d.range), notes: d.notes)) }
                }
                i = close + 1
                continue
            }
            literal.append(chars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.text(literal)); shares.append(-1) }
        return Template(parts: parts, shares: shares)
    }

    func parsePlaceholder(_ sub: SourceFile) -> (Expr?, [Diagnostic]) {
        var p = Parser(sub)
        let e = p.parseExpr()
        return (e, p.diagnostics)
    }
}

extension String {
    init(format2 v: Int64) {
        self = v < 10 ? "0\(v)" : "\(v)"
    }
}

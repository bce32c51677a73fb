import EventModel
import RuleLanguage

/// What names mean where an expression is written.
struct Scope {
    /// The event whose fields bare names read.
    var type: EventType
    /// Aliases that name that same event.
    var selfAliases: Set<String> = []
    /// Aliases of other events that may not be read here, with the reason.
    var foreignAliases: [String: String] = [:]
    /// Where aggregates may be used, the registry that collects them.
    var aggregates: AggregateRegistry?
    /// Rule index and parameter table.
    var params: [String: (index: Int, type: StaticType)] = [:]
    var ruleIndex = 0
    var allowDeadline = false
    /// Names of the rule's parameters that were read (for unused-parameter warnings).
    var usedParams: UsedNames?
}

final class UsedNames {
    var names: Set<String> = []
}

/// Collects the aggregates of one rule; their arguments are compiled in the
/// scope of the member events.
final class AggregateRegistry {
    var memberScope: Scope
    var specs: [AggregateSpec] = []
    var inputs: [Compiled] = []
    var inputTexts: [String] = []

    init(memberScope: Scope) { self.memberScope = memberScope }

    func slot(for text: String) -> Int? { specs.firstIndex { $0.text == text } }
}

/// Type-checks expressions and turns them into closures.
final class ExpressionCompiler {
    /// References compiled so far to aggregates an engine may compute only
    /// when they are read (count(distinct …): `EvalEnv.aggregate`); `and`
    /// tests the other side first (see `compileBinary`).
    private var lazyAggregateReferences = 0
    let file: SourceFile
    var diagnostics: [Diagnostic] = []

    init(file: SourceFile) { self.file = file }

    func error(_ code: String, _ msg: String, _ r: SourceRange, notes: [String] = []) {
        diagnostics.append(Diagnostic(code, .error, msg, in: file, at: r, notes: notes))
    }

    func warning(_ code: String, _ msg: String, _ r: SourceRange, notes: [String] = []) {
        diagnostics.append(Diagnostic(code, .warning, msg, in: file, at: r, notes: notes))
    }

    // MARK: entry points

    func compileBool(_ e: Expr, _ s: Scope) -> BoolFn? {
        guard let c = compile(e, s, hint: nil) else { return nil }
        guard case .bool(let f) = c else {
            error("E0203", "expected a condition here, but this is \(c.type)", e.range)
            return nil
        }
        checkContradictions(e, s)
        return f
    }

    // MARK: expressions

    func compile(_ e: Expr, _ s: Scope, hint: StaticType?) -> Compiled? {
        switch e {
        case .integer(let v, let r):
            if hint == .money { return constMoney(NumScale.fromInt(v)) }
            if let h = hint, h != .number, h.isTimeLike || h.isText {
                error("E0203", "expected \(h), found the number \(v)", r)
                return nil
            }
            let n = NumScale.fromInt(v)
            return .num({ _, _ in n }, .number)
        case .decimal(let text, let r):
            guard let micros = DecimalNumber.parseMicros(text) else { error("E0106", "number out of range", r); return nil }
            let n = NumScale.fromMicros(micros)
            if hint == .money { return constMoney(n) }
            return .num({ _, _ in n }, .number)
        case .money(let lit, let r):
            guard let c = compile(lit, s, hint: .number), case .num(let f, _) = c else {
                error("E0203", "expected a number before 'yuan'", r); return nil
            }
            return .num(f, .money)
        case .string(let v, let r):
            if case .division(let level) = hint {
                guard v.utf8.count == level, v.allSatisfy({ $0.isASCII && $0.isNumber }), UInt64(v) != nil else {
                    error("E0209", "a \(StaticType.division(level)) has \(level) digits; '\(v)' does not", r)
                    return nil
                }
                let fp = ExpressionCompiler.stringConstant(v, hint)
                return .text({ _, _ in fp }, .division(level))
            }
            if case .enumeration(let allowed) = hint {
                guard allowed.contains(v) else {
                    error("E0209", "'\(v)' is not a possible value here", r, notes: ["possible values: " + allowed.joined(separator: ", ")])
                    return nil
                }
            }
            let fp = ExpressionCompiler.stringConstant(v, hint)
            return .text({ _, _ in fp }, hint.flatMap { $0.isText ? $0 : nil } ?? .string)
        case .timeOfDay(let v, _):
            return .int({ _, _ in v }, .timeOfDay)
        case .duration(let d, _):
            let v = d.micros
            return .int({ _, _ in v }, .duration)
        case .name(let n, let r):
            return compileName(n, r, s)
        case .member(let alias, let field, let r):
            if s.selfAliases.contains(alias) { return compileField(field, r, s) }
            if let why = s.foreignAliases[alias] { error("E0211", "'\(alias).\(field)' cannot be used here: \(why)", r); return nil }
            error("E0201", "unknown name '\(alias)'", r, notes: ["'NAME.field' reads a field of the event named with 'on TYPE as NAME'"])
            return nil
        case .call(let name, let args, let distinct, let r):
            return compileCall(name, args, distinct, r, s)
        case .unary(let op, let x, let r):
            if op == "not" {
                guard let c = compile(x, s, hint: nil) else { return nil }
                guard case .bool(let f) = c else { error("E0203", "'not' needs a condition, found \(c.type)", r); return nil }
                return .bool { ev, env in f(ev, env).map { !$0 } }
            }
            guard let c = compile(x, s, hint: hint) else { return nil }
            switch c {
            case .num(let f, let t): return .num({ ev, env in f(ev, env).map { -$0 } }, t)
            case .int(let f, .duration): return .int({ ev, env in f(ev, env).map { -$0 } }, .duration)
            default: error("E0203", "cannot negate \(c.type)", r); return nil
            }
        case .isPresent(let x, let negated, _):
            guard let c = compile(x, s, hint: nil) else { return nil }
            let present = ExpressionCompiler.presence(c)
            if let (field, type) = fieldOf(x, s), let spec = type.fields.first(where: { $0.field == field }), spec.required {
                warning("W0302", "'\(field.name)' is required in \(type.name), so it is never absent: this test is always \(negated ? "false" : "true")", e.range)
            }
            return negated ? .bool { ev, env in !present(ev, env) } : .bool { ev, env in present(ev, env) }
        case .inList(let x, let items, let negated, let r):
            guard let c = compile(x, s, hint: nil) else { return nil }
            var tests: [ListTest] = []
            for item in items {
                guard let ic = compile(item, s, hint: c.type) else { return nil }
                guard let t = equality(c, ic, r, itemRange: item.range) else { return nil }
                tests.append(ListTest(t))
            }
            // A text against quoted strings (`category in ("travel", "office")`): the
            // value read once and compared with fingerprints known now. Reading it
            // again for each item through an equality closure was 5 % of the
            // engine's instructions (`Benchmarks/instructions`). Same result: a
            // missing value makes every comparison unknown.
            if case .text(let read, let t) = c {
                var keys: [Fingerprint] = []
                for item in items { if case .string(let v, _) = item { keys.append(ExpressionCompiler.stringConstant(v, t)) } }
                if keys.count == items.count {
                    let constants = keys
                    return .bool { ev, env in
                        guard let v = read(ev, env) else { return constants.isEmpty ? negated : nil }
                        for k in constants where k == v { return !negated }
                        return negated
                    }
                }
            }
            let all = tests
            return .bool { ev, env in
                var sawNil = false
                for t in all {
                    switch t.fn(ev, env) {
                    case .some(true): return !negated
                    case .none: sawNil = true
                    default: break
                    }
                }
                return sawNil ? nil : negated
            }
        case .binary(let op, let a, let b, let r):
            return compileBinary(op, a, b, r, s)
        }
    }

    func constMoney(_ n: Num) -> Compiled { .num({ _, _ in n }, .money) }

    /// The fingerprint a quoted string compiles to where a value of type
    /// `hint` is expected (checked by `compile` first: a division's digits).
    static func stringConstant(_ v: String, _ hint: StaticType?) -> Fingerprint {
        if case .division(let level) = hint, let code = UInt64(v) { return Compiled.divisionFingerprint(level: level, code: code) }
        return Fingerprint(v)
    }

    static func presence(_ c: Compiled) -> @Sendable (borrowing Event, EvalEnv) -> Bool {
        switch c {
        case .bool(let f): return { e, env in f(e, env) != nil }
        case .num(let f, _): return { e, env in f(e, env) != nil }
        case .int(let f, _): return { e, env in f(e, env) != nil }
        case .text(let f, _): return { e, env in f(e, env) != nil }
        case .link(let f): return { e, env in f(e, env) != nil }
        }
    }

    /// The field a bare or aliased reference names, for warnings.
    func fieldOf(_ e: Expr, _ s: Scope) -> (Field, EventType)? {
        switch e {
        case .name(let n, _): return Field(name: n).map { ($0, s.type) }
        case .member(let a, let n, _) where s.selfAliases.contains(a): return Field(name: n).map { ($0, s.type) }
        default: return nil
        }
    }

    // MARK: names and fields

    func compileName(_ n: String, _ r: SourceRange, _ s: Scope) -> Compiled? {
        if n == "count", let agg = s.aggregates {
            return aggregate(.count, nil, "count", agg, r)
        }
        if n == "deadline" && s.allowDeadline {
            return .int({ _, env in env.deadline }, .instant)
        }
        if let p = s.params[n] {
            s.usedParams?.names.insert(n)
            let ri = s.ruleIndex, pi = p.index
            return .num({ e, env in env.parameter(rule: ri, param: pi, village: e.village) }, p.type)
        }
        if s.selfAliases.contains(n) {
            error("E0203", "'\(n)' names an event; write '\(n).field' to read one of its fields", r)
            return nil
        }
        if s.foreignAliases[n] != nil {
            error("E0211", "'\(n)' names another event, which cannot be read here", r)
            return nil
        }
        return compileField(n, r, s)
    }

    func compileField(_ n: String, _ r: SourceRange, _ s: Scope) -> Compiled? {
        let t = s.type
        switch n {
        case "event_id":
            return .text({ e, _ in e.idKey }, .string)
        case "occurred_at":
            return .int({ e, _ in e.time }, .instant)
        case "village":
            return .text({ e, _ in Compiled.divisionFingerprint(level: 12, code: e.village.value) }, .division(12))
        case "township":
            return .text({ e, _ in Compiled.divisionFingerprint(level: 9, code: e.village.township) }, .division(9))
        case "district":
            return .text({ e, _ in Compiled.divisionFingerprint(level: 6, code: e.village.district) }, .division(6))
        default:
            break
        }
        guard let f = Field(name: n) else {
            let known = ["event_id", "occurred_at", "village", "township", "district"] + t.fields.map(\.field.name)
            error("E0201", "unknown name '\(n)'", r, notes: suggestion(n, known + Array(s.params.keys)).map { ["did you mean '\($0)'?"] } ?? ["fields of \(t.name): " + t.fields.map(\.field.name).joined(separator: ", ")])
            return nil
        }
        guard let slot = t.slot(of: f) else {
            let fields = t.fields.map(\.field.name)
            error("E0201", "\(t.name) has no field '\(n)'", r, notes: suggestion(n, fields).map { ["did you mean '\($0)'?"] } ?? ["fields of \(t.name): " + fields.joined(separator: ", ")])
            return nil
        }
        switch f.kind {
        case .string:
            return .text({ e, _ in
                let v = e.fields[slot]
                return v.tag == .string ? v.fingerprint : nil
            }, .string)
        case .money:
            return .num({ e, _ in
                let v = e.fields[slot]
                return v.tag == .money ? NumScale.fromFen(v.a) : nil
            }, .money)
        case .number:
            return .num({ e, _ in
                let v = e.fields[slot]
                return v.tag == .number ? NumScale.fromMicros(v.a) : nil
            }, .number)
        case .date:
            return .int({ e, _ in
                let v = e.fields[slot]
                return v.tag == .date ? v.a : nil
            }, .date)
        case .month:
            return .int({ e, _ in
                let v = e.fields[slot]
                return v.tag == .month ? v.a : nil
            }, .month)
        case .enumeration:
            let allowed = t.fields[slot].allowed
            let fps = allowed.map { Fingerprint($0) }
            return .text({ e, _ in
                let v = e.fields[slot]
                return v.tag == .enumeration ? fps[Int(v.a)] : nil
            }, .enumeration(allowed))
        case .stringList:
            return .text({ e, _ in
                let v = e.fields[slot]
                return v.tag == .stringList ? Fingerprint(hi: UInt64(v.a), lo: v.b) : nil
            }, .stringList)
        }
    }

    func suggestion(_ n: String, _ candidates: [String]) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = ExpressionCompiler.editDistance(n, c)
            if d <= max(1, n.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    // MARK: calls

    func compileCall(_ name: String, _ args: [Expr], _ distinct: Bool, _ r: SourceRange, _ s: Scope) -> Compiled? {
        let aggregateNames: [String: AggregateSpec.Kind] = ["count": .count, "sum": .sum, "min": .min, "max": .max, "avg": .avg]
        if let kind = aggregateNames[name] {
            guard let agg = s.aggregates else {
                error("E0210", "\(name)(…) is an aggregate; it can be used only in 'fire when', 'having', 'enough when' and summaries", r)
                return nil
            }
            if name == "count" && args.isEmpty { return aggregate(.count, nil, "count", agg, r) }
            guard args.count == 1 else { error("E0204", "\(name) takes one argument", r); return nil }
            if distinct && name != "count" { error("E0204", "'distinct' is allowed only in count(distinct …)", r); return nil }
            let k: AggregateSpec.Kind = name == "count" ? (distinct ? .countDistinct : .countOf) : kind
            let text = name + "(" + (distinct ? "distinct " : "") + file.slice(args[0].range) + ")"
            return aggregate(k, args[0], text, agg, r)
        }
        if distinct { error("E0204", "'distinct' is allowed only in count(distinct …)", r); return nil }
        func one(_ want: String) -> Compiled? {
            guard args.count == 1 else { error("E0204", "\(name) takes one argument (\(want))", r); return nil }
            return compile(args[0], s, hint: nil)
        }
        switch name {
        case "local_time", "local_date", "local_hour", "weekday":
            guard let c = one("a point in time") else { return nil }
            guard case .int(let f, .instant) = c else { error("E0203", "\(name) needs a point in time such as occurred_at, found \(c.type)", args[0].range); return nil }
            switch name {
            case "local_time": return .int({ e, env in f(e, env).map { ShanghaiTime.localTimeOfDay($0) } }, .timeOfDay)
            case "local_date": return .int({ e, env in f(e, env).map { ShanghaiTime.localDay($0) } }, .date)
            case "local_hour": return .num({ e, env in f(e, env).map { NumScale.fromInt(ShanghaiTime.localTimeOfDay($0) / TimeUnit.hour) } }, .number)
            default:
                // ISO weekday: Monday 1 … Sunday 7 (1970-01-01 was a Thursday).
                return .num({ e, env in f(e, env).map { NumScale.fromInt((ShanghaiTime.floorDiv(ShanghaiTime.localDay($0) + 3, 7) * -7 + ShanghaiTime.localDay($0) + 3) + 1) } }, .number)
            }
        case "month":
            guard let c = one("a date") else { return nil }
            switch c {
            case .int(let f, .date):
                return .int({ e, env in f(e, env).map { d in let (y, m, _) = CivilDate.date(fromDays: d); return Int64(y) * 12 + Int64(m - 1) } }, .month)
            case .int(let f, .instant):
                return .int({ e, env in f(e, env).map { t in let (y, m, _) = CivilDate.date(fromDays: ShanghaiTime.localDay(t)); return Int64(y) * 12 + Int64(m - 1) } }, .month)
            default:
                error("E0203", "month needs a date or a point in time, found \(c.type)", args[0].range); return nil
            }
        case "start_of_day":
            guard let c = one("a date") else { return nil }
            guard case .int(let f, .date) = c else { error("E0203", "start_of_day needs a date such as due_date, found \(c.type)", args[0].range); return nil }
            return .int({ e, env in f(e, env).map { ShanghaiTime.startOfDay($0) } }, .instant)
        case "reference_price":
            guard let c = one("an item category") else { return nil }
            guard case .text(let f, .string) = c else { error("E0203", "reference_price needs an item category, found \(c.type)", args[0].range); return nil }
            return .num({ e, env in
                guard let k = f(e, env), let p = env.tables.referencePrice(k) else { return nil }
                return NumScale.fromFen(p)
            }, .money)
        case "cadre_link":
            guard let c = one("a person or vendor id") else { return nil }
            guard case .text(let f, .string) = c else { error("E0203", "cadre_link needs a person or vendor id such as payee_id, found \(c.type)", args[0].range); return nil }
            return .link { e, env in
                guard let k = f(e, env) else { return nil }
                return env.tables.cadreLink(k, village: e.village)
            }
        case "abs":
            guard let c = one("a number") else { return nil }
            guard case .num(let f, let t) = c else { error("E0203", "abs needs a number", args[0].range); return nil }
            return .num({ e, env in f(e, env).map { $0 < 0 ? -$0 : $0 } }, t)
        default:
            let known = ["local_time", "local_date", "local_hour", "weekday", "month", "start_of_day", "reference_price", "cadre_link", "abs", "count", "sum", "min", "max", "avg"]
            error("E0204", "unknown function '\(name)'", r, notes: suggestion(name, known).map { ["did you mean '\($0)'?"] } ?? ["functions: " + known.joined(separator: ", ")])
            return nil
        }
    }

    func aggregate(_ kind: AggregateSpec.Kind, _ arg: Expr?, _ text: String, _ reg: AggregateRegistry, _ r: SourceRange) -> Compiled? {
        let slot: Int
        if let existing = reg.slot(for: text) {
            slot = existing
        } else {
            var argC: Compiled? = nil
            var inputSlot: Int? = nil
            var resultType: StaticType = .number
            if let arg {
                guard let c = compile(arg, reg.memberScope, hint: nil) else { return nil }
                switch kind {
                case .sum, .min, .max, .avg:
                    guard case .num(_, let t) = c else { error("E0203", "\(text) needs a number or an amount, found \(c.type)", arg.range); return nil }
                    resultType = t
                default:
                    if case .bool = c { error("E0203", "\(text) needs a value, found a condition", arg.range); return nil }
                }
                argC = c
                let at = file.slice(arg.range)
                if let i = reg.inputTexts.firstIndex(of: at) { inputSlot = i } else {
                    guard reg.inputs.count < 4 else {
                        error("E0212", "a rule can aggregate at most 4 different values", arg.range)
                        return nil
                    }
                    reg.inputs.append(c)
                    reg.inputTexts.append(at)
                    inputSlot = reg.inputs.count - 1
                }
            }
            guard reg.specs.count < 8 else { error("E0212", "a rule can use at most 8 aggregates", r); return nil }
            reg.specs.append(AggregateSpec(kind: kind, argument: argC, text: text, resultType: resultType, inputSlot: inputSlot))
            slot = reg.specs.count - 1
        }
        let type = reg.specs[slot].resultType
        if reg.specs[slot].kind == .countDistinct { lazyAggregateReferences += 1 }
        return .num({ _, env in env.aggregate(slot) }, type)
    }

    // MARK: operators

    static func isNumericLiteral(_ e: Expr) -> Bool {
        switch e {
        case .integer, .decimal: return true
        case .unary("-", let x, _): return isNumericLiteral(x)
        default: return false
        }
    }

    /// Compiles both sides, letting a literal take its type from the other side.
    func operands(_ a: Expr, _ b: Expr, _ s: Scope) -> (Compiled, Compiled)? {
        if ExpressionCompiler.isNumericLiteral(a) || isStringLiteral(a) {
            guard let cb = compile(b, s, hint: nil), let ca = compile(a, s, hint: cb.type) else { return nil }
            return (ca, cb)
        }
        guard let ca = compile(a, s, hint: nil), let cb = compile(b, s, hint: ca.type) else { return nil }
        return (ca, cb)
    }

    func isStringLiteral(_ e: Expr) -> Bool {
        if case .string = e { return true }
        return false
    }

    func compileBinary(_ op: String, _ a: Expr, _ b: Expr, _ r: SourceRange, _ s: Scope) -> Compiled? {
        if op == "and" || op == "or" {
            let before = lazyAggregateReferences
            guard let ca = compile(a, s, hint: nil) else { return nil }
            let middle = lazyAggregateReferences
            guard let cb = compile(b, s, hint: nil) else { return nil }
            guard case .bool(let first) = ca else { error("E0203", "'\(op)' joins conditions, but this is \(ca.type)", a.range); return nil }
            guard case .bool(let second) = cb else { error("E0203", "'\(op)' joins conditions, but this is \(cb.type)", b.range); return nil }
            // Either side may be tested first: both are pure, and Kleene's
            // `and` and `or` are symmetric. A side that reads a count(distinct …)
            // goes second, so that a window whose other test settles it (most
            // events: `sum(amount) >= min_total` is false) never counts.
            let swapped = middle > before && lazyAggregateReferences == middle
            let fa = swapped ? second : first, fb = swapped ? first : second
            if op == "and" {
                return .bool { e, env in
                    let x = fa(e, env)
                    if x == false { return false }
                    let y = fb(e, env)
                    if y == false { return false }
                    return (x == nil || y == nil) ? nil : true
                }
            }
            return .bool { e, env in
                let x = fa(e, env)
                if x == true { return true }
                let y = fb(e, env)
                if y == true { return true }
                return (x == nil || y == nil) ? nil : false
            }
        }
        // Division literals compared with village/township/district.
        if op == "=" || op == "!=" {
            if let div = divisionComparison(a, b, s) ?? divisionComparison(b, a, s) {
                return op == "=" ? .bool(div) : .bool { e, env in div(e, env).map { !$0 } }
            }
        }
        guard let (ca, cb) = operands(a, b, s) else { return nil }
        switch op {
        case "=", "!=":
            guard let eq = equality(ca, cb, r, itemRange: b.range) else { return nil }
            return op == "=" ? .bool(eq) : .bool { e, env in eq(e, env).map { !$0 } }
        case "<", "<=", ">", ">=":
            return ordering(op, ca, cb, r)
        case "+", "-":
            return additive(op, ca, cb, r)
        case "*", "/":
            return multiplicative(op, ca, cb, r)
        default:
            error("E0101", "unknown operator \(op)", r)
            return nil
        }
    }

    func divisionComparison(_ a: Expr, _ b: Expr, _ s: Scope) -> BoolFn? {
        guard case .name(let n, _) = a, ["village", "township", "district"].contains(n), s.params[n] == nil else { return nil }
        guard case .string(let lit, let lr) = b else { return nil }
        let level = n == "village" ? 12 : (n == "township" ? 9 : 6)
        guard lit.utf8.count == level, let code = UInt64(lit), lit.allSatisfy(\.isNumber) else {
            error("E0209", "a \(n) code has \(level) digits; '\(lit)' does not", lr)
            return { _, _ in false }
        }
        switch level {
        case 12: return { e, _ in e.village.value == code }
        case 9: return { e, _ in e.village.township == code }
        default: return { e, _ in e.village.district == code }
        }
    }

    func equality(_ ca: Compiled, _ cb: Compiled, _ r: SourceRange, itemRange: SourceRange) -> BoolFn? {
        switch (ca, cb) {
        case (.num(let fa, let ta), .num(let fb, let tb)):
            guard ta == tb else { error("E0203", "cannot compare \(ta) with \(tb)", r); return nil }
            return { e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return x == y
            }
        case (.int(let fa, let ta), .int(let fb, let tb)):
            guard ta == tb else { error("E0203", "cannot compare \(ta) with \(tb)", r); return nil }
            return { e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return x == y
            }
        case (.text(let fa, let ta), .text(let fb, let tb)):
            switch (ta, tb) {
            case (.division(let x), .division(let y)) where x == y: break
            case (.division, _), (_, .division), (.stringList, _), (_, .stringList):
                error("E0203", "cannot compare \(ta) with \(tb)", r); return nil
            default: break
            }
            return { e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return x == y
            }
        case (.bool(let fa), .bool(let fb)):
            return { e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return x == y
            }
        default:
            error("E0203", "cannot compare \(ca.type) with \(cb.type)", r)
            return nil
        }
    }

    func ordering(_ op: String, _ ca: Compiled, _ cb: Compiled, _ r: SourceRange) -> Compiled? {
        @Sendable func cmp(_ x: Int64, _ y: Int64) -> Bool {
            switch op {
            case "<": return x < y
            case "<=": return x <= y
            case ">": return x > y
            default: return x >= y
            }
        }
        switch (ca, cb) {
        case (.num(let fa, let ta), .num(let fb, let tb)):
            guard ta == tb else {
                error("E0203", "cannot compare \(ta) with \(tb)", r,
                      notes: ta == .money || tb == .money ? ["write amounts as numbers of yuan, e.g. 10000 or 10000 yuan"] : [])
                return nil
            }
            switch op {
            case "<": return .bool { e, env in guard let x = fa(e, env), let y = fb(e, env) else { return nil }; return x < y }
            case "<=": return .bool { e, env in guard let x = fa(e, env), let y = fb(e, env) else { return nil }; return x <= y }
            case ">": return .bool { e, env in guard let x = fa(e, env), let y = fb(e, env) else { return nil }; return x > y }
            default: return .bool { e, env in guard let x = fa(e, env), let y = fb(e, env) else { return nil }; return x >= y }
            }
        case (.int(let fa, let ta), .int(let fb, let tb)):
            guard ta == tb else { error("E0203", "cannot compare \(ta) with \(tb)", r); return nil }
            return .bool { e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return cmp(x, y)
            }
        default:
            error("E0203", "cannot order \(ca.type) and \(cb.type) (only numbers, amounts, times and dates have an order)", r)
            return nil
        }
    }

    func additive(_ op: String, _ ca: Compiled, _ cb: Compiled, _ r: SourceRange) -> Compiled? {
        let sub = op == "-"
        switch (ca, cb) {
        case (.num(let fa, let ta), .num(let fb, let tb)):
            guard ta == tb else { error("E0203", "cannot \(sub ? "subtract" : "add") \(tb) \(sub ? "from" : "to") \(ta)", r); return nil }
            return .num({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return sub ? x - y : x + y
            }, ta)
        case (.int(let fa, .date), .int(let fb, .duration)):
            return .int({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                guard y % TimeUnit.day == 0 else { return nil }
                return sub ? x - y / TimeUnit.day : x + y / TimeUnit.day
            }, .date)
        case (.int(let fa, .instant), .int(let fb, .duration)):
            return .int({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return sub ? x - y : x + y
            }, .instant)
        case (.int(let fa, .duration), .int(let fb, .duration)):
            return .int({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return sub ? x - y : x + y
            }, .duration)
        case (.int(let fa, .instant), .int(let fb, .instant)) where sub:
            return .int({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return x - y
            }, .duration)
        case (.int(let fa, .date), .int(let fb, .date)) where sub:
            return .int({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return (x - y) * TimeUnit.day
            }, .duration)
        default:
            error("E0203", "cannot \(sub ? "subtract" : "add") \(cb.type) \(sub ? "from" : "to") \(ca.type)", r)
            return nil
        }
    }

    func multiplicative(_ op: String, _ ca: Compiled, _ cb: Compiled, _ r: SourceRange) -> Compiled? {
        guard case .num(let fa, let ta) = ca, case .num(let fb, let tb) = cb else {
            if op == "*", case .int(let fa, .duration) = ca, case .num(let fb, .number) = cb {
                return .int({ e, env in
                    guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                    return Int64(clamping: Num(x) * y / NumScale.one)
                }, .duration)
            }
            error("E0203", "cannot \(op == "*" ? "multiply" : "divide") \(ca.type) and \(cb.type)", r)
            return nil
        }
        if op == "*" {
            guard !(ta == .money && tb == .money) else { error("E0203", "cannot multiply two amounts", r); return nil }
            return .num({ e, env in
                guard let x = fa(e, env), let y = fb(e, env) else { return nil }
                return NumScale.multiply(x, y)
            }, ta == .money || tb == .money ? .money : .number)
        }
        let t: StaticType = (ta == .money && tb == .number) ? .money : .number
        guard !(ta == .number && tb == .money) else { error("E0203", "cannot divide a number by an amount", r); return nil }
        return .num({ e, env in
            guard let x = fa(e, env), let y = fb(e, env) else { return nil }
            return NumScale.divide(x, y)
        }, t)
    }

    // MARK: warnings

    /// Warns about conjunctions whose numeric bounds on one field cannot all hold.
    func checkContradictions(_ e: Expr, _ s: Scope) {
        var lower: [String: (Double, Bool, SourceRange)] = [:]
        var upper: [String: (Double, Bool, SourceRange)] = [:]
        func literal(_ x: Expr) -> Double? {
            switch x {
            case .integer(let v, _): return Double(v)
            case .decimal(let t, _): return Double(t)
            case .money(let l, _): return literal(l)
            default: return nil
            }
        }
        func visit(_ x: Expr) {
            guard case .binary(let op, let a, let b, let r) = x else { return }
            if op == "and" { visit(a); visit(b); return }
            var name: String? = nil, value: Double? = nil, o = op
            if case .name(let n, _) = a, let v = literal(b) { name = n; value = v }
            if case .name(let n, _) = b, let v = literal(a) {
                name = n; value = v
                o = ["<": ">", "<=": ">=", ">": "<", ">=": "<="][op] ?? op
            }
            guard let n = name, let v = value else { return }
            switch o {
            case ">", ">=": if lower[n] == nil || v > lower[n]!.0 { lower[n] = (v, o == ">=", r) }
            case "<", "<=": if upper[n] == nil || v < upper[n]!.0 { upper[n] = (v, o == "<=", r) }
            default: break
            }
            if let l = lower[n], let u = upper[n], l.0 > u.0 || (l.0 == u.0 && !(l.1 && u.1)) {
                warning("W0301", "this condition can never hold: '\(n)' cannot be both \(l.1 ? "≥" : ">") \(l.0) and \(u.1 ? "≤" : "<") \(u.0)", r)
            }
        }
        visit(e)
    }
}

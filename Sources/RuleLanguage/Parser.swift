/// A recovering parser: it reports every syntax problem of a file in one
/// run and goes on with the next clause or rule after each.
public struct Parser {
    let file: SourceFile
    var tokens: [Token]
    var p = 0
    public private(set) var diagnostics: [Diagnostic] = []
    /// How deep the expression being parsed is nested so far.
    var nesting = 0
    /// Expressions nested deeper than this are refused (E0107): no person
    /// writes them, and the checker and compiler recurse over the tree.
    public static let maxNesting = 100

    /// Words that start a clause inside a rule.
    public static let clauseWords: Set<String> = [
        "version", "severity", "title", "description", "param", "on", "where", "group", "within", "fire",
        "require", "matching", "having", "expect", "from", "until", "enough", "deadline", "retain", "summary", "end", "rule",
    ]

    public init(_ file: SourceFile) {
        self.file = file
        var lexer = Lexer(file)
        tokens = lexer.tokenize()
        for (msg, r) in lexer.problems { diagnostics.append(Diagnostic("E0001", .error, msg, in: file, at: r)) }
    }

    /// Parses a whole file.
    public static func parse(_ file: SourceFile) -> (RuleFileSyntax, [Diagnostic]) {
        var parser = Parser(file)
        let rules = parser.parseFile()
        return (RuleFileSyntax(file: file, rules: rules), parser.diagnostics)
    }

    // MARK: token helpers

    var tok: Token { tokens[p] }
    func peek(_ k: Int = 1) -> Token { tokens[min(p + k, tokens.count - 1)] }
    mutating func advance() { if p < tokens.count - 1 { p += 1 } }
    func isWord(_ w: String) -> Bool { tok.kind == .identifier && tok.text == w }
    var atClauseStart: Bool { tok.kind == .identifier && Parser.clauseWords.contains(tok.text) || tok.kind == .eof }

    mutating func error(_ code: String, _ message: String, _ range: SourceRange, notes: [String] = []) {
        diagnostics.append(Diagnostic(code, .error, message, in: file, at: range, notes: notes))
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of file"
        case .string: return "string \(t.text)"
        default: return "'\(t.text)'"
        }
    }

    mutating func expectWord(_ w: String) -> Bool {
        if isWord(w) { advance(); return true }
        error("E0101", "expected '\(w)', found \(describe(tok))", tok.range)
        return false
    }

    /// Skips to the start of the next clause (error recovery).
    mutating func synchronize() {
        while !atClauseStart { advance() }
    }

    // MARK: file and rules

    mutating func parseFile() -> [RuleSyntax] {
        var rules: [RuleSyntax] = []
        while tok.kind != .eof {
            if isWord("rule") {
                if let r = parseRule() { rules.append(r) }
            } else {
                error("E0101", "expected 'rule', found \(describe(tok))", tok.range,
                      notes: ["a rule file holds blocks of the form: rule NAME … end"])
                advance()
                while tok.kind != .eof && !isWord("rule") { advance() }
            }
        }
        return rules
    }

    /// Reads a dashed name such as `split-payments` (adjacent tokens).
    mutating func parseDashedName() -> (String, SourceRange)? {
        guard tok.kind == .identifier || tok.kind == .integer else { return nil }
        var name = tok.text
        var range = tok.range
        advance()
        while (tok.kind == .minus || tok.kind == .identifier || tok.kind == .integer) && tok.range.start == range.end {
            if tok.kind != .minus && tokens[p - 1].kind != .minus { break }
            name += tok.text
            range = range.to(tok.range)
            advance()
        }
        return (name, range)
    }

    mutating func parseRule() -> RuleSyntax? {
        let start = tok.range
        advance() // rule
        guard !isWord("end"), let (name, nameRange) = parseDashedName() else {
            error("E0101", "expected a rule name after 'rule', found \(describe(tok))", tok.range,
                  notes: ["rule names are lower-case words joined by dashes, e.g. split-payments"])
            synchronize()
            if isWord("end") { advance() }
            return nil
        }
        var rule = RuleSyntax(name: name, nameRange: nameRange, range: start)
        var lastEvent: EventTarget = .none
        var seen: [String: SourceRange] = [:]
        while true {
            if tok.kind == .eof {
                error("E0103", "rule '\(name)' has no 'end'", nameRange)
                break
            }
            if isWord("rule") {
                error("E0103", "rule '\(name)' has no 'end' before the next rule", tok.range)
                break
            }
            if isWord("end") {
                rule.range = start.to(tok.range)
                advance()
                break
            }
            parseClause(&rule, &lastEvent, &seen)
        }
        return rule
    }

    enum EventTarget { case none, trigger, require, expect }

    mutating func duplicate(_ word: String, _ r: SourceRange, _ seen: inout [String: SourceRange]) {
        if let first = seen[word] {
            let (l, c) = file.position(of: first.start)
            error("E0104", "'\(word)' appears twice in this rule", r, notes: ["first at line \(l), column \(c)"])
        }
        seen[word] = r
    }

    mutating func parseClause(_ rule: inout RuleSyntax, _ last: inout EventTarget, _ seen: inout [String: SourceRange]) {
        let word = tok.text
        let wr = tok.range
        guard tok.kind == .identifier, Parser.clauseWords.contains(word) else {
            error("E0102", "expected a clause (on, where, group by, within, fire when, require, expect, summary, …), found \(describe(tok))", tok.range)
            advance()
            synchronize()
            return
        }
        advance()
        switch word {
        case "version":
            duplicate(word, wr, &seen)
            if tok.kind == .integer, let v = Int(tok.text) {
                // Stored in the alerts' int4 column `rule_version`.
                if v < 1 || v > Int(Int32.max) {
                    error("E0106", "version \(tok.text) is out of range: use a whole number from 1 to 2147483647", tok.range)
                }
                rule.version = (v, tok.range); advance()
            } else if tok.kind == .integer {
                error("E0106", "version \(tok.text) is out of range: use a whole number from 1 to 2147483647", tok.range)
                rule.version = (1, tok.range); advance()  // given, if wrongly: no second error for a missing version
            } else {
                error("E0101", "expected a whole number after 'version', found \(describe(tok))", tok.range); synchronize()
            }
        case "severity":
            duplicate(word, wr, &seen)
            if tok.kind == .identifier && !Parser.clauseWords.contains(tok.text) { rule.severity = (tok.text, tok.range); advance() } else {
                error("E0101", "expected low, medium, high or critical after 'severity', found \(describe(tok))", tok.range); synchronize()
            }
        case "title":
            duplicate(word, wr, &seen)
            if let (zh, en) = parseTexts() { rule.titleZH = zh; rule.titleEN = en }
        case "description":
            if tok.kind == .string { rule.description = tok.value; advance() } else {
                error("E0101", "expected a string after 'description'", tok.range); synchronize()
            }
        case "summary":
            var lang = "zh"
            if isWord("zh") || isWord("en") { lang = tok.text; advance() }
            guard tok.kind == .string else {
                error("E0101", "expected a string after 'summary', found \(describe(tok))", tok.range); synchronize(); return
            }
            duplicate("summary " + lang, wr, &seen)
            if lang == "zh" { rule.summaryZH = (tok.value, tok.range) } else { rule.summaryEN = (tok.value, tok.range) }
            advance()
        case "param":
            guard tok.kind == .identifier, !Parser.clauseWords.contains(tok.text) else {
                error("E0101", "expected a parameter name after 'param', found \(describe(tok))", tok.range); synchronize(); return
            }
            let name = tok.text, nr = tok.range
            advance()
            guard tok.kind == .eq else { error("E0101", "expected '=' after the parameter name", tok.range); synchronize(); return }
            advance()
            guard let v = parseExpr() else { synchronize(); return }
            rule.params.append(ParamSyntax(name: name, range: nr, value: v))
        case "on":
            duplicate(word, wr, &seen)
            guard let ev = parseEventClause() else { synchronize(); return }
            rule.trigger = ev
            last = .trigger
        case "where":
            guard let e = parseExpr() else { synchronize(); return }
            switch last {
            case .none:
                error("E0105", "'where' must follow 'on', 'require … before' or 'expect'", wr)
            case .trigger:
                if rule.trigger?.filter != nil { duplicate("where", wr, &seen) }
                let old = rule.trigger?.filter
                rule.trigger?.filter = Parser.conjoin(old, e)
            case .require:
                let old = rule.require?.event.filter
                rule.require?.event.filter = Parser.conjoin(old, e)
            case .expect:
                let old = rule.expect?.event.filter
                rule.expect?.event.filter = Parser.conjoin(old, e)
            }
        case "group":
            duplicate(word, wr, &seen)
            guard expectWord("by") else { synchronize(); return }
            var keys: [Expr] = []
            repeat {
                if tok.kind == .comma { advance() }
                guard let e = parseExpr() else { synchronize(); return }
                keys.append(e)
            } while tok.kind == .comma
            rule.groupBy = keys
            rule.groupByRange = wr.to(keys.last!.range)
        case "within":
            duplicate(word, wr, &seen)
            if isWord("all") {
                let r = tok.range
                advance()
                guard expectWord("time") else { synchronize(); return }
                rule.window = .unbounded(r)
            } else if let (d, r) = parseDuration() {
                rule.window = .duration(d, r)
            } else { synchronize() }
        case "fire":
            duplicate(word, wr, &seen)
            guard expectWord("when") else { synchronize(); return }
            guard let e = parseExpr() else { synchronize(); return }
            rule.fireWhen = e
        case "require":
            duplicate(word, wr, &seen)
            var lookback: (Duration, SourceRange)? = nil
            if isWord("within") {
                advance()
                guard let d = parseDuration() else { synchronize(); return }
                lookback = d
            }
            guard expectWord("before") else { synchronize(); return }
            if tok.kind == .colon { advance() }
            guard let ev = parseEventClause() else { synchronize(); return }
            rule.require = RequireSyntax(range: wr, lookback: lookback, event: ev)
            last = .require
        case "expect":
            duplicate(word, wr, &seen)
            guard let ev = parseEventClause() else { synchronize(); return }
            rule.expect = ExpectSyntax(range: wr, event: ev)
            last = .expect
        case "matching":
            var ms: [MatchSyntax] = []
            repeat {
                if tok.kind == .comma { advance() }
                guard let l = parseExpr() else { synchronize(); return }
                if case .binary("=", let a, let b, let r) = l {
                    ms.append(MatchSyntax(left: a, right: b, range: r))
                } else {
                    ms.append(MatchSyntax(left: l, right: nil, range: l.range))
                }
            } while tok.kind == .comma
            switch last {
            case .require: rule.require?.matching += ms
            case .expect: rule.expect?.matching += ms
            default: error("E0105", "'matching' must follow 'require … before' or 'expect'", wr)
            }
        case "having":
            guard let e = parseExpr() else { synchronize(); return }
            if last == .require { rule.require?.having = e } else {
                error("E0105", "'having' must follow 'require … before'", wr)
            }
        case "from":
            guard let a = parseExpr() else { synchronize(); return }
            guard expectWord("until") else { synchronize(); return }
            guard let b = parseExpr() else { synchronize(); return }
            if last == .expect { rule.expect?.from = a; rule.expect?.until = b } else {
                error("E0105", "'from … until …' must follow 'expect'", wr)
            }
        case "until":
            error("E0105", "'until' must follow 'from …' inside an 'expect' clause", wr)
            synchronize()
        case "enough":
            guard expectWord("when") else { synchronize(); return }
            guard let e = parseExpr() else { synchronize(); return }
            if last == .expect { rule.expect?.enough = e } else {
                error("E0105", "'enough when' must follow 'expect'", wr)
            }
        case "deadline":
            duplicate(word, wr, &seen)
            guard let e = parseExpr() else { synchronize(); return }
            rule.deadline = e
        case "retain":
            duplicate(word, wr, &seen)
            guard let d = parseDuration() else { synchronize(); return }
            rule.retain = d
        default:
            break
        }
    }

    static func conjoin(_ a: Expr?, _ b: Expr) -> Expr {
        guard let a else { return b }
        return .binary("and", a, b, a.range.to(b.range))
    }

    /// `"zh" [en "en"]`
    mutating func parseTexts() -> (String, String?)? {
        guard tok.kind == .string else { error("E0101", "expected a string, found \(describe(tok))", tok.range); synchronize(); return nil }
        let zh = tok.value
        advance()
        var en: String? = nil
        if isWord("en") {
            advance()
            if tok.kind == .string { en = tok.value; advance() } else { error("E0101", "expected a string after 'en'", tok.range) }
        }
        return (zh, en)
    }

    /// `TYPE [as ALIAS] [where EXPR]` where TYPE is `word.word`.
    mutating func parseEventClause() -> EventClause? {
        guard tok.kind == .identifier, !Parser.clauseWords.contains(tok.text) else {
            error("E0101", "expected an event type such as finance.payment, found \(describe(tok))", tok.range)
            return nil
        }
        var name = tok.text
        var range = tok.range
        advance()
        while tok.kind == .dot && peek().kind == .identifier {
            name += "." + peek().text
            range = range.to(peek().range)
            advance(); advance()
        }
        var ev = EventClause(typeName: name, typeRange: range, alias: nil, filter: nil)
        if isWord("as") {
            advance()
            if tok.kind == .identifier && !Parser.clauseWords.contains(tok.text) { ev.alias = tok.text; advance() } else {
                error("E0101", "expected a name after 'as', found \(describe(tok))", tok.range)
            }
        }
        if isWord("where") {
            advance()
            ev.filter = parseExpr()
        }
        return ev
    }

    static let durationUnits: [String: Int64] = [
        "microsecond": 1, "microseconds": 1,
        "second": 1_000_000, "seconds": 1_000_000,
        "minute": 60_000_000, "minutes": 60_000_000,
        "hour": 3_600_000_000, "hours": 3_600_000_000,
        "day": 86_400_000_000, "days": 86_400_000_000,
        "week": 604_800_000_000, "weeks": 604_800_000_000,
    ]

    mutating func parseDuration() -> (Duration, SourceRange)? {
        guard tok.kind == .integer, let n = Int64(tok.text) else {
            error("E0101", "expected a duration such as 7 days or 72 hours, found \(describe(tok))", tok.range)
            return nil
        }
        let r = tok.range
        advance()
        guard tok.kind == .identifier, let unit = Parser.durationUnits[tok.text] else {
            error("E0101", "expected a unit (seconds, minutes, hours, days, weeks) after \(n), found \(describe(tok))", tok.range)
            return nil
        }
        let text = "\(n) \(tok.text)"
        let range = r.to(tok.range)
        advance()
        return (Duration(micros: n * unit, text: text), range)
    }

    // MARK: expressions

    /// Enters one more level of nesting (`levels` for a chain of operators
    /// that builds a left-deep tree); false, with E0107, beyond the limit.
    mutating func deeper(_ levels: Int = 1, at range: SourceRange) -> Bool {
        nesting += levels
        if nesting <= Parser.maxNesting { return true }
        error("E0107", "expression nested more than \(Parser.maxNesting) levels deep; split it with a parameter or a simpler condition", range)
        return false
    }

    public mutating func parseExpr() -> Expr? { parseOr() }

    mutating func parseOr() -> Expr? {
        let outer = nesting
        defer { nesting = outer }
        guard var l = parseAnd() else { return nil }
        while isWord("or") {
            guard deeper(at: tok.range) else { return nil }
            advance()
            guard let r = parseAnd() else { return nil }
            l = .binary("or", l, r, l.range.to(r.range))
        }
        return l
    }

    mutating func parseAnd() -> Expr? {
        let outer = nesting
        defer { nesting = outer }
        guard var l = parseNot() else { return nil }
        while isWord("and") {
            guard deeper(at: tok.range) else { return nil }
            advance()
            guard let r = parseNot() else { return nil }
            l = .binary("and", l, r, l.range.to(r.range))
        }
        return l
    }

    mutating func parseNot() -> Expr? {
        if isWord("not") {
            let r = tok.range
            let outer = nesting
            defer { nesting = outer }
            guard deeper(at: r) else { return nil }
            advance()
            guard let e = parseNot() else { return nil }
            return .unary("not", e, r.to(e.range))
        }
        return parseComparison()
    }

    mutating func parseComparison() -> Expr? {
        guard let l = parseAdditive() else { return nil }
        let ops: [Token.Kind: String] = [.eq: "=", .ne: "!=", .lt: "<", .le: "<=", .gt: ">", .ge: ">="]
        if let op = ops[tok.kind] {
            advance()
            guard let r = parseAdditive() else { return nil }
            return .binary(op, l, r, l.range.to(r.range))
        }
        if isWord("is") {
            advance()
            var negated = false
            if isWord("not") { negated = true; advance() }
            if isWord("present") || isWord("absent") {
                if tok.text == "absent" { negated.toggle() }
                let r = l.range.to(tok.range)
                advance()
                return .isPresent(l, negated: negated, r)
            }
            error("E0101", "expected 'present' or 'absent' after 'is', found \(describe(tok))", tok.range)
            return nil
        }
        var negated = false
        if isWord("not") && peek().kind == .identifier && peek().text == "in" { negated = true; advance() }
        if isWord("in") {
            advance()
            guard tok.kind == .lparen else { error("E0101", "expected '(' after 'in'", tok.range); return nil }
            advance()
            var items: [Expr] = []
            while tok.kind != .rparen {
                guard let e = parseAdditive() else { return nil }
                items.append(e)
                if tok.kind == .comma { advance() } else if tok.kind != .rparen {
                    error("E0101", "expected ',' or ')' in the list, found \(describe(tok))", tok.range); return nil
                }
            }
            let r = l.range.to(tok.range)
            advance()
            return .inList(l, items, negated: negated, r)
        }
        return l
    }

    mutating func parseAdditive() -> Expr? {
        let outer = nesting
        defer { nesting = outer }
        guard var l = parseMultiplicative() else { return nil }
        while tok.kind == .plus || tok.kind == .minus {
            guard deeper(at: tok.range) else { return nil }
            let op = tok.text
            advance()
            guard let r = parseMultiplicative() else { return nil }
            l = .binary(op, l, r, l.range.to(r.range))
        }
        return l
    }

    mutating func parseMultiplicative() -> Expr? {
        let outer = nesting
        defer { nesting = outer }
        guard var l = parseUnary() else { return nil }
        while tok.kind == .star || tok.kind == .slash {
            guard deeper(at: tok.range) else { return nil }
            let op = tok.text
            advance()
            guard let r = parseUnary() else { return nil }
            l = .binary(op, l, r, l.range.to(r.range))
        }
        return l
    }

    mutating func parseUnary() -> Expr? {
        if tok.kind == .minus {
            let r = tok.range
            let outer = nesting
            defer { nesting = outer }
            guard deeper(at: r) else { return nil }
            advance()
            guard let e = parseUnary() else { return nil }
            return .unary("-", e, r.to(e.range))
        }
        return parsePrimary()
    }

    mutating func parsePrimary() -> Expr? {
        let t = tok
        switch t.kind {
        case .integer, .decimal:
            advance()
            let lit: Expr
            if t.kind == .integer {
                guard let v = Int64(t.text) else { error("E0106", "number too large", t.range); return nil }
                lit = .integer(v, t.range)
            } else {
                lit = .decimal(t.text, t.range)
            }
            if tok.kind == .identifier {
                if let unit = Parser.durationUnits[tok.text], case .integer(let v, _) = lit {
                    let r = t.range.to(tok.range)
                    let text = "\(v) \(tok.text)"
                    advance()
                    return .duration(Duration(micros: v * unit, text: text), r)
                }
                if tok.text == "yuan" {
                    let r = t.range.to(tok.range)
                    advance()
                    return .money(lit, r)
                }
            }
            return lit
        case .timeOfDay:
            advance()
            let parts = t.text.split(separator: ":").compactMap { Int64($0) }
            let h = parts[0], m = parts.count > 1 ? parts[1] : 0, s = parts.count > 2 ? parts[2] : 0
            guard h <= 24, m <= 59, s <= 59, h * 3600 + m * 60 + s <= 86400 else {
                error("E0106", "'\(t.text)' is not a time of day", t.range)
                return nil
            }
            return .timeOfDay((h * 3600 + m * 60 + s) * 1_000_000, t.range)
        case .string:
            advance()
            return .string(t.value, t.range)
        case .lparen:
            let outer = nesting
            defer { nesting = outer }
            guard deeper(at: t.range) else { return nil }
            advance()
            guard let e = parseExpr() else { return nil }
            guard tok.kind == .rparen else { error("E0101", "expected ')', found \(describe(tok))", tok.range); return nil }
            advance()
            return e
        case .identifier:
            if (Parser.clauseWords.contains(t.text) && t.text != "deadline") || ["and", "or", "not", "is", "in"].contains(t.text) {
                error("E0101", "expected a value, found the keyword '\(t.text)'", t.range)
                return nil
            }
            advance()
            if tok.kind == .lparen && tok.range.start == t.range.end {
                let outer = nesting
                defer { nesting = outer }
                guard deeper(at: tok.range) else { return nil }
                advance()
                var args: [Expr] = []
                var distinct = false
                if isWord("distinct") { distinct = true; advance() }
                while tok.kind != .rparen {
                    guard let e = parseExpr() else { return nil }
                    args.append(e)
                    if tok.kind == .comma { advance() } else if tok.kind != .rparen {
                        error("E0101", "expected ',' or ')' in the call of \(t.text), found \(describe(tok))", tok.range); return nil
                    }
                }
                let r = t.range.to(tok.range)
                advance()
                return .call(t.text, args, distinct: distinct, r)
            }
            if tok.kind == .dot && peek().kind == .identifier {
                let f = peek()
                advance(); advance()
                return .member(t.text, f.text, t.range.to(f.range))
            }
            return .name(t.text, t.range)
        case .invalid:
            error("E0001", "unexpected character '\(t.text)'", t.range)
            advance()
            return nil
        default:
            error("E0101", "expected a value, found \(describe(t))", t.range)
            return nil
        }
    }
}

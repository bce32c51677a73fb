/// `qianliyan rules fmt`: lays a rule file out the one canonical way, from
/// its tokens and comments, so that every rule file reads alike and a diff
/// shows only what changed in meaning.
///
/// The layout:
/// - `rule NAME` and `end` at column 0, one blank line between rules;
/// - each clause on a line of its own, indented 2 spaces (`version`,
///   `severity`, `title`, `param`, `on`, the `where` of `on`, `group by`,
///   `within`, `fire when`, `require`, `expect`, `deadline`, `retain`,
///   `summary`); the parts of `require` and `expect` (`where`, `matching`,
///   `having`, `from … until …`, `enough when`) indented 4;
/// - one space between tokens, none inside parentheses, before `,` or
///   after a unary minus, none between a function and its `(`;
/// - comments kept where they were (on their own line, or at the end of
///   the line); the blank lines an author put between clauses kept (at most
///   one); a line break before `and`/`or` inside a long condition kept as a
///   continuation line, indented 4 more than its clause.
///
/// Only layout changes: the tokens, and so the compiled rules, stay the
/// same. A file with syntax errors is not formatted. Formatting is
/// idempotent: formatting the output again changes nothing.
public enum RuleFormatter {
    /// The result of formatting one file.
    public struct Output: Sendable {
        /// The formatted text (the original text when `diagnostics` has errors).
        public var text: String
        /// Syntax errors that prevented formatting.
        public var diagnostics: [Diagnostic]
        /// Whether `text` differs from the input.
        public var changed: Bool
    }

    /// Formats a whole file. Files with syntax errors come back unchanged, with their errors.
    public static func format(_ file: SourceFile) -> Output {
        let (_, diagnostics) = Parser.parse(file)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { return Output(text: file.text, diagnostics: errors, changed: false) }
        var layout = Layout(items: FormatterItems.scan(file))
        let text = layout.run()
        return Output(text: text, diagnostics: [], changed: text != file.text)
    }

    /// The tokens of `range` on one line with the canonical spacing and
    /// without comments: how `rules explain` quotes a filter or a key.
    public static func inline(_ file: SourceFile, _ range: SourceRange) -> String {
        var lexer = Lexer(file)
        let tokens = lexer.tokenize().filter { $0.kind != .eof && $0.range.start >= range.start && $0.range.end <= range.end }
        var out = ""
        var prev: Token? = nil
        var beforePrev: Token? = nil
        for t in tokens {
            if let p = prev, FormatterSpacing.needsSpace(p, t, adjacent: p.range.end == t.range.start, beforePrev: beforePrev) { out += " " }
            out += t.text
            beforePrev = prev
            prev = t
        }
        return out
    }
}

/// One token or comment of a file, with the line breaks before it in the source.
enum FormatterItem {
    case token(Token, newlinesBefore: Int)
    case comment(String, newlinesBefore: Int)

    var newlinesBefore: Int {
        switch self {
        case .token(_, let n), .comment(_, let n): return n
        }
    }
}

enum FormatterItems {
    /// Tokens and the comments between them, in file order.
    static func scan(_ file: SourceFile) -> [FormatterItem] {
        var lexer = Lexer(file)
        let tokens = lexer.tokenize()
        let bytes = file.bytes
        var items: [FormatterItem] = []
        var pos = 0
        // The start of the file counts as a line start.
        var newlines = 1
        for t in tokens {
            var i = pos
            while i < t.range.start {
                let c = bytes[i]
                if c == 10 {
                    newlines += 1
                    i += 1
                } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "/")) {
                    var e = i
                    while e < t.range.start && bytes[e] != 10 { e += 1 }
                    var textEnd = e
                    while textEnd > i && (bytes[textEnd - 1] == 32 || bytes[textEnd - 1] == 9 || bytes[textEnd - 1] == 13) { textEnd -= 1 }
                    items.append(.comment(String(decoding: bytes[i..<textEnd], as: UTF8.self), newlinesBefore: newlines))
                    newlines = 0
                    i = e
                } else {
                    i += 1
                }
            }
            if t.kind != .eof { items.append(.token(t, newlinesBefore: newlines)) }
            newlines = 0
            pos = t.range.end
        }
        return items
    }
}

/// Where one token goes relative to the one before it.
enum FormatterSpacing {
    /// Words after which a value is expected (so a `-` after them is unary).
    static let operatorWords: Set<String> = Parser.clauseWords.union(["and", "or", "not", "in", "is", "when", "by", "before", "as", "en", "zh"])

    /// Whether `t` ends a value (a following `-` is then binary).
    static func endsValue(_ t: Token) -> Bool {
        switch t.kind {
        case .integer, .decimal, .string, .timeOfDay, .rparen: return true
        case .identifier: return !operatorWords.contains(t.text)
        default: return false
        }
    }

    /// Whether a space goes between `prev` and `t`. `beforePrev` is the token
    /// before `prev` (to tell a unary minus from a binary one).
    static func needsSpace(_ prev: Token, _ t: Token, adjacent: Bool, beforePrev: Token?) -> Bool {
        switch t.kind {
        case .comma, .rparen, .dot, .colon: return false
        case .lparen:
            // `f(x)` is a call only when the name touches the parenthesis.
            if prev.kind == .identifier && adjacent { return false }
        default: break
        }
        switch prev.kind {
        case .lparen, .dot: return false
        case .minus:
            // A unary minus sticks to its operand.
            if beforePrev.map({ !endsValue($0) }) ?? true { return false }
        default: break
        }
        return true
    }
}

/// The layout pass: items in, lines out.
struct Layout {
    let items: [FormatterItem]
    var lines: [String] = []
    /// The line being built (without its indentation) and its indentation.
    var current = ""
    var indent = 0
    /// Indentation of the clause being written (continuation lines add 4).
    var clauseIndent = 0
    /// Whether the next token must start a new line (after a comment).
    var mustBreak = false
    var inRule = false
    /// 1: the next token is the rule's name; 2: inside the dashed name.
    var nameState = 0
    /// The clause that `where`, `matching` … belong to.
    enum Section { case other, trigger, require, expect }
    var section = Section.other
    /// Between `from` and its `until`.
    var inFrom = false
    var prev: Token? = nil
    var beforePrev: Token? = nil
    /// The last line written was `end` (top level: one blank line follows).
    var afterEnd = false

    init(items: [FormatterItem]) { self.items = items }

    mutating func run() -> String {
        for (i, item) in items.enumerated() {
            switch item {
            case .token(let t, let n): token(t, newlinesBefore: n)
            case .comment(let c, let n): comment(c, newlinesBefore: n, next: nextToken(after: i))
            }
        }
        flush()
        while lines.last == "" { lines.removeLast() }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    func nextToken(after i: Int) -> Token? {
        for item in items[(i + 1)...] { if case .token(let t, _) = item { return t } }
        return nil
    }

    // MARK: lines

    mutating func flush() {
        guard !current.isEmpty else { return }
        lines.append(String(repeating: " ", count: indent) + current)
        current = ""
    }

    mutating func newLine(indent i: Int, blankBefore: Bool) {
        flush()
        if blankBefore, let last = lines.last, last != "" { lines.append("") }
        indent = i
        mustBreak = false
    }

    // MARK: clauses

    /// Whether `t` starts a clause (a new line) at this point.
    func startsClause(_ t: Token) -> Bool {
        guard t.kind == .identifier else { return false }
        if !inRule { return t.text == "rule" }
        if nameState != 0 { return false }
        guard Parser.clauseWords.contains(t.text) else { return false }
        switch t.text {
        case "within": return prev.map { !($0.kind == .identifier && $0.text == "require") } ?? true
        case "until": return !inFrom
        case "deadline": return prev.map(FormatterSpacing.endsValue) ?? true
        default: return true
        }
    }

    /// The indentation of a clause word, given the clause it belongs to.
    func clauseIndentation(_ word: String) -> Int {
        switch word {
        case "rule", "end": return 0
        case "where": return section == .require || section == .expect ? 4 : 2
        case "matching", "having", "from", "enough", "until": return 4
        default: return 2
        }
    }

    mutating func token(_ t: Token, newlinesBefore: Int) {
        // The dashed name after `rule`: its pieces touch each other.
        if nameState == 1 {
            nameState = 2
            append(t, spaced: true)
            return
        }
        if nameState == 2 {
            if let p = prev, p.range.end == t.range.start, t.kind == .minus || p.kind == .minus {
                append(t, spaced: false)
                return
            }
            nameState = 0
        }
        if startsClause(t) {
            let word = t.text
            let i = clauseIndentation(word)
            switch word {
            case "rule":
                newLine(indent: 0, blankBefore: afterEnd || (newlinesBefore > 1 && !lines.isEmpty))
                inRule = true
                nameState = 1
                section = .other
            case "end":
                newLine(indent: 0, blankBefore: false)
                // No blank line just before `end`.
                while lines.last == "" { lines.removeLast() }
            default:
                newLine(indent: i, blankBefore: newlinesBefore > 1 && !isRightAfterRuleLine)
                switch word {
                case "on": section = .trigger
                case "require": section = .require
                case "expect": section = .expect
                case "where", "matching", "having", "from", "enough", "until": break
                default: section = .other
                }
            }
            clauseIndent = i
            inFrom = word == "from"
            afterEnd = false
            append(t, spaced: false)
            if word == "end" {
                inRule = false
                afterEnd = true
            }
            return
        }
        if !inRule {
            // Text outside rules is a syntax error and never gets here; keep it anyway.
            if afterEnd || mustBreak { newLine(indent: 0, blankBefore: afterEnd) }
            afterEnd = false
            append(t, spaced: !current.isEmpty)
            return
        }
        if t.kind == .identifier && t.text == "until" { inFrom = false }
        let continuation = mustBreak || (newlinesBefore > 0 && t.kind == .identifier && (t.text == "and" || t.text == "or"))
        if continuation && !current.isEmpty {
            newLine(indent: clauseIndent + 4, blankBefore: false)
            append(t, spaced: false)
            return
        }
        if mustBreak {
            // After a comment on a line of its own.
            newLine(indent: clauseIndent + 4, blankBefore: false)
        }
        var spaced = false
        if !current.isEmpty, let p = prev {
            spaced = FormatterSpacing.needsSpace(p, t, adjacent: p.range.end == t.range.start, beforePrev: beforePrev)
        }
        append(t, spaced: spaced)
    }

    /// The previous line written is the `rule NAME` line.
    var isRightAfterRuleLine: Bool {
        let last = current.isEmpty ? lines.last : String(repeating: " ", count: indent) + current
        return last?.hasPrefix("rule ") == true
    }

    mutating func append(_ t: Token, spaced: Bool) {
        if spaced { current += " " }
        current += t.text
        beforePrev = prev
        prev = t
    }

    mutating func comment(_ text: String, newlinesBefore: Int, next: Token?) {
        if newlinesBefore == 0 && !current.isEmpty {
            // At the end of a line: it stays there, and the clause goes on below.
            current += " " + text
            mustBreak = true
            return
        }
        // On a line of its own: indented like what follows it.
        var i = 0
        if inRule, let n = next {
            if startsClause(n) {
                i = n.text == "end" ? 2 : clauseIndentation(n.text)
            } else {
                i = clauseIndent + 4
            }
        }
        let blank = newlinesBefore > 1 && (inRule ? !isRightAfterRuleLine : true) || (!inRule && afterEnd)
        newLine(indent: i, blankBefore: blank && !lines.isEmpty)
        afterEnd = false
        current = text
        flush()
        // What follows goes on a new line.
        mustBreak = inRule
    }
}

/// A lexical token of the rule language.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case identifier      // also keywords; the parser reads them in context
        case name            // a rule name with dashes, read only after `rule`
        case integer
        case decimal
        case timeOfDay       // 22:00 or 22:00:30
        case string
        case lparen, rparen, comma, dot, colon
        case eq, ne, lt, le, gt, ge
        case plus, minus, star, slash
        case eof
        case invalid
    }

    public var kind: Kind
    public var text: String
    public var range: SourceRange
    /// For strings: the unescaped value.
    public var value: String
}

/// Splits a rule file into tokens. Never fails: bad characters become
/// `.invalid` tokens that the parser reports.
public struct Lexer {
    let bytes: [UInt8]
    var i = 0
    public private(set) var problems: [(String, SourceRange)] = []

    public init(_ file: SourceFile) { bytes = file.bytes }

    public mutating func tokenize() -> [Token] {
        var out: [Token] = []
        while true {
            let t = next()
            out.append(t)
            if t.kind == .eof { break }
        }
        return out
    }

    func text(_ s: Int, _ e: Int) -> String { String(decoding: bytes[s..<e], as: UTF8.self) }

    static func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80 }
    static func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 48 && c <= 57) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    mutating func next() -> Token {
        // whitespace and comments
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 10 || c == 13 { i += 1; continue }
            if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "/")) {
                while i < bytes.count && bytes[i] != 10 { i += 1 }
                continue
            }
            break
        }
        let s = i
        guard i < bytes.count else { return Token(kind: .eof, text: "", range: SourceRange(s, s), value: "") }
        let c = bytes[i]
        func tok(_ k: Token.Kind, _ len: Int) -> Token {
            i += len
            return Token(kind: k, text: text(s, i), range: SourceRange(s, i), value: "")
        }
        if Lexer.isIdentStart(c) {
            // Non-ASCII letters are allowed in identifiers only so that a stray
            // Chinese word becomes one readable error, not many.
            while i < bytes.count && Lexer.isIdentChar(bytes[i]) { i += 1 }
            return Token(kind: .identifier, text: text(s, i), range: SourceRange(s, i), value: "")
        }
        if Lexer.isDigit(c) {
            while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
            if i + 1 < bytes.count && bytes[i] == UInt8(ascii: ":") && Lexer.isDigit(bytes[i + 1]) {
                i += 1
                while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
                if i + 1 < bytes.count && bytes[i] == UInt8(ascii: ":") && Lexer.isDigit(bytes[i + 1]) {
                    i += 1
                    while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
                }
                return Token(kind: .timeOfDay, text: text(s, i), range: SourceRange(s, i), value: "")
            }
            if i + 1 < bytes.count && bytes[i] == UInt8(ascii: ".") && Lexer.isDigit(bytes[i + 1]) {
                i += 1
                while i < bytes.count && Lexer.isDigit(bytes[i]) { i += 1 }
                return Token(kind: .decimal, text: text(s, i), range: SourceRange(s, i), value: "")
            }
            return Token(kind: .integer, text: text(s, i), range: SourceRange(s, i), value: "")
        }
        switch c {
        case UInt8(ascii: "\""):
            i += 1
            var value: [UInt8] = []
            while i < bytes.count && bytes[i] != UInt8(ascii: "\"") && bytes[i] != 10 {
                if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count {
                    let e = bytes[i + 1]
                    switch e {
                    case UInt8(ascii: "n"): value.append(10)
                    case UInt8(ascii: "t"): value.append(9)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), UInt8(ascii: "}"): value.append(e)
                    default:
                        problems.append(("unknown escape '\\\(Character(UnicodeScalar(e)))' in string", SourceRange(i, i + 2)))
                        value.append(e)
                    }
                    i += 2
                    continue
                }
                value.append(bytes[i])
                i += 1
            }
            if i < bytes.count && bytes[i] == UInt8(ascii: "\"") {
                i += 1
            } else {
                problems.append(("unterminated string (strings end on the same line)", SourceRange(s, i)))
            }
            return Token(kind: .string, text: text(s, i), range: SourceRange(s, i), value: String(decoding: value, as: UTF8.self))
        case UInt8(ascii: "("): return tok(.lparen, 1)
        case UInt8(ascii: ")"): return tok(.rparen, 1)
        case UInt8(ascii: ","): return tok(.comma, 1)
        case UInt8(ascii: "."): return tok(.dot, 1)
        case UInt8(ascii: ":"): return tok(.colon, 1)
        case UInt8(ascii: "+"): return tok(.plus, 1)
        case UInt8(ascii: "-"): return tok(.minus, 1)
        case UInt8(ascii: "*"): return tok(.star, 1)
        case UInt8(ascii: "/"): return tok(.slash, 1)
        case UInt8(ascii: "="): return tok(.eq, i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "=") ? 2 : 1)
        case UInt8(ascii: "!"):
            if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "=") { return tok(.ne, 2) }
            return tok(.invalid, 1)
        case UInt8(ascii: "<"):
            if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "=") { return tok(.le, 2) }
            if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: ">") { return tok(.ne, 2) }
            return tok(.lt, 1)
        case UInt8(ascii: ">"):
            if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "=") { return tok(.ge, 2) }
            return tok(.gt, 1)
        default:
            // one whole UTF-8 character
            var len = 1
            if c >= 0xF0 { len = 4 } else if c >= 0xE0 { len = 3 } else if c >= 0xC0 { len = 2 }
            return tok(.invalid, min(len, bytes.count - i))
        }
    }
}

/// A problem found in a rule file: a stable code, a severity, a message,
/// notes, and where. Rule mistakes are values, never thrown.
public struct Diagnostic: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable { case error, warning, note }

    public var code: String
    public var severity: Severity
    public var message: String
    public var path: String
    public var range: SourceRange
    public var line: Int
    public var column: Int
    public var notes: [String]

    public init(_ code: String, _ severity: Severity, _ message: String, in file: SourceFile, at range: SourceRange, notes: [String] = []) {
        self.code = code
        self.severity = severity
        self.message = message
        self.path = file.path
        self.range = range
        (self.line, self.column) = file.position(of: range.start)
        self.notes = notes
    }

    /// A diagnostic that is not tied to a source position (e.g. an unreadable file).
    public init(code: String, severity: Severity, message: String, path: String, line: Int = 1, column: Int = 1, notes: [String] = []) {
        self.code = code
        self.severity = severity
        self.message = message
        self.path = path
        self.range = .none
        self.line = line
        self.column = column
        self.notes = notes
    }

    /// `path:line:col: error[E0201]: message`
    public var headline: String { "\(path):\(line):\(column): \(severity.rawValue)[\(code)]: \(message)" }

    /// The headline, the source line, a caret under the range, and the notes.
    public func rendered(source: SourceFile?) -> String {
        var out = headline
        if let source, line >= 1 {
            let text = source.lineText(line)
            let gutter = String(line)
            let pad = String(repeating: " ", count: gutter.count)
            let (endLine, endCol) = source.position(of: max(range.start, range.end))
            let width = endLine == line ? max(1, endCol - column) : max(1, text.count - column + 1)
            let caretPad = String(text.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : ($0.isWide ? "  " : " ") }.joined())
            out += "\n\(pad) |\n\(gutter) | \(text)\n\(pad) | \(caretPad)\(String(repeating: "^", count: width))"
        }
        for n in notes { out += "\n  note: \(n)" }
        return out
    }
}

extension Character {
    /// East Asian wide characters take two terminal columns.
    var isWide: Bool {
        guard let v = unicodeScalars.first?.value else { return false }
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}

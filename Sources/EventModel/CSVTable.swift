/// A CSV document with a header row (RFC 4180: quoted fields, doubled
/// quotes, CRLF or LF). Parsing is pure; reading the file is the caller's.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// 1-based line number of each row in the source, for error messages.
    public var lineNumbers: [Int]

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
        self.lineNumbers = Array(2..<(2 + rows.count))
    }

    public init(parsing text: String) throws(ParseError) {
        var records: [[String]] = []
        var lines: [Int] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        var fieldStarted = false
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let d = next() {
                        if d == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = d }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where !fieldStarted:
                inQuotes = true
                fieldStarted = true
            case ",":
                record.append(field); field = ""; fieldStarted = false
            case "\r":
                continue
            case "\n":
                record.append(field); field = ""; fieldStarted = false
                if !(record.count == 1 && record[0].isEmpty) { records.append(record); lines.append(recordLine) }
                record = []
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
                fieldStarted = true
            }
        }
        if inQuotes { throw ParseError(line: recordLine, message: "unterminated quoted field") }
        if fieldStarted || !record.isEmpty {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty) { records.append(record); lines.append(recordLine) }
        }
        guard let first = records.first else { throw ParseError(line: 1, message: "empty file: a header row is required") }
        header = first.map { $0.trimmingSpaces() }
        rows = Array(records.dropFirst())
        lineNumbers = Array(lines.dropFirst())
    }

    /// Index of a header column.
    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\u{FEFF}" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

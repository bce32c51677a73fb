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
        var t = text
        let parsed = t.withUTF8 { bytes in Result { () throws(ParseError) in try CSVTable(parsingUTF8: bytes) } }
        self = try parsed.get()
    }

    /// Parses UTF-8 bytes (a file as read). Works on bytes: the separators
    /// and quotes are ASCII, which never occur inside a multi-byte UTF-8
    /// sequence. (Appending one `Unicode.Scalar` at a time to a `String`
    /// took 70 ms of a replay's start for a 1.2 MB people table.)
    public init(parsingUTF8 bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var records: [[String]] = []
        var lines: [Int] = []
        var field: [UInt8] = []
        var record: [String] = []
        var inQuotes = false
        var fieldStarted = false
        var line = 1
        var recordLine = 1
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRecord() {
            endField()
            if !(record.count == 1 && record[0].isEmpty) {
                records.append(record)
                lines.append(recordLine)
            }
            // Room for as many fields as the header has: one allocation a record.
            record = []
            record.reserveCapacity(records.first?.count ?? 8)
        }
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            i += 1
            if inQuotes {
                if c == quote {
                    if i < n && bytes[i] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == lf { line += 1 }
                    field.append(c)
                    // The rest of a run with no quote or line feed, at once.
                    let runStart = i
                    while i < n && bytes[i] != quote && bytes[i] != lf { i += 1 }
                    if i > runStart { field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                }
                continue
            }
            switch c {
            case quote where !fieldStarted:
                inQuotes = true
                fieldStarted = true
            case comma:
                endField()
            case cr:
                continue
            case lf:
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(c)
                fieldStarted = true
                // The rest of a run of plain bytes, at once (a byte at a time
                // was most of loading a reference table).
                let runStart = i
                while i < n {
                    let d = bytes[i]
                    if d == comma || d == lf || d == cr || d == quote { break }
                    i += 1
                }
                if i > runStart { field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            }
        }
        if inQuotes { throw ParseError(line: recordLine, message: "unterminated quoted field") }
        if fieldStarted || !record.isEmpty { endRecord() }
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
        // Most cells have nothing to trim (read in place: `utf8.first` and `last` cost more).
        var text = self
        let plain = text.withUTF8 { b in
            guard let f = b.first, let l = b.last else { return false }
            return f != 0x20 && f != 0x09 && f != 0xEF && l != 0x20 && l != 0x09
        }
        if plain { return self }
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\u{FEFF}" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

import EventModel
import FuzzSupport
import Testing

/// The byte-level CSV parser against a scalar-by-scalar reading of the same
/// grammar (the parser it replaced), on random documents built from the
/// characters that matter: separators, quotes, CR, LF, spaces and
/// multi-byte text.
@Suite struct CSVParsingTests {
    @Test func byteParserAgreesWithAScalarReadingOnRandomDocuments() {
        let alphabet = ["a", "b", "村", "é", ",", ",", "\"", "\"", "\n", "\n", "\r", " ", "\"\""]
        var rng = SeededRandom(seed: 0xC5F)
        for round in 0..<3_000 {
            var text = ""
            for _ in 0..<rng.below(40) { text += alphabet[rng.below(alphabet.count)] }
            let expected = Result { () throws(ScalarCSV.Failure) in try ScalarCSV.parse(text) }
            let actual = Result { () throws(CSVTable.ParseError) in try CSVTable(parsing: text) }
            switch (expected, actual) {
            case (.success(let e), .success(let a)):
                #expect(a.header == e.header && a.rows == e.rows && a.lineNumbers == e.lineNumbers, "round \(round): \(text.debugDescription)")
            case (.failure(let e), .failure(let a)):
                #expect(a.line == e.line && a.message == e.message, "round \(round): \(text.debugDescription)")
            default:
                Issue.record("round \(round): \(text.debugDescription): \(expected) vs \(actual)")
            }
        }
    }

    @Test func invalidUTF8IsRepairedPerField() throws {
        let bytes: [UInt8] = Array("h,v\n".utf8) + [0xE6, 0x9D, 0x2C, 0x78, 0x0A]   // a cut-off 村, then ",x"
        let t = try bytes.withUnsafeBufferPointer { b in Result { () throws(CSVTable.ParseError) in try CSVTable(parsingUTF8: b) } }.get()
        #expect(t.rows == [["\u{FFFD}", "x"]])
    }

    @Test func cellsAreTrimmedOnlyWhereThereIsSomethingToTrim() throws {
        let t = try CSVTable(parsing: "\u{FEFF}id , name\n")
        #expect(t.header == ["id", "name"])
    }
}

/// The grammar read one Unicode scalar at a time (the implementation before
/// 2026-11-27), kept as the oracle.
private enum ScalarCSV {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    static func parse(_ text: String) throws(ScalarCSV.Failure) -> (header: [String], rows: [[String]], lineNumbers: [Int]) {
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
        if inQuotes { throw Failure(line: recordLine, message: "unterminated quoted field") }
        if fieldStarted || !record.isEmpty {
            record.append(field)
            if !(record.count == 1 && record[0].isEmpty) { records.append(record); lines.append(recordLine) }
        }
        guard let first = records.first else { throw Failure(line: 1, message: "empty file: a header row is required") }
        let trim = { (s: String) -> String in
            var t = Substring(s)
            while let f = t.first, f == " " || f == "\t" || f == "\u{FEFF}" { t.removeFirst() }
            while let l = t.last, l == " " || l == "\t" { t.removeLast() }
            return String(t)
        }
        return (first.map(trim), Array(records.dropFirst()), Array(lines.dropFirst()))
    }
}

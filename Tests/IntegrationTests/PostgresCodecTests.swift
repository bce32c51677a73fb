@testable import AlertStore
import EventModel
import Testing

@Suite("Postgres text codecs")
struct PostgresCodecTests {
    @Test func timestampsAreExactUTCWithMicroseconds() {
        #expect(PostgresText.timestamp(0) == "1970-01-01 00:00:00.000000+00")
        #expect(PostgresText.timestamp(1_709_600_000_123_456) == "2024-03-05 00:53:20.123456+00")
        #expect(PostgresText.timestamp(-1) == "1969-12-31 23:59:59.999999+00")
        #expect(PostgresText.timestamp(CivilDate.days(year: 0, month: 6, day: 1) * TimeUnit.day) == "0001-06-01 00:00:00.000000+00 BC")
    }

    @Test func arraysRoundTrip() {
        let items = ["a", "with \"quote\"", "back\\slash", "comma,brace}{", "NULL", "", "空格 space", "nul\u{0}"]
        let literal = PostgresText.arrayLiteral(items)
        #expect(literal.hasPrefix(#"{"a","with \"quote\"","back\\slash""#))
        var expected = items
        expected[7] = "nul\u{FFFD}"
        #expect(PostgresText.parseArray(literal) == expected.map { Optional($0) })
        #expect(PostgresText.parseArray(#"{a,NULL,"NULL",b c}"#) == ["a", nil, "NULL", "b c"])
        #expect(PostgresText.parseArray("{}") == [])
        #expect(PostgresText.parseArray("{\"open") == nil)
        #expect(PostgresText.parseArray("nope") == nil)
    }

    @Test func byteaAndLikePatterns() {
        #expect(PostgresText.byteaHex([0, 0xAB, 0x10]) == #"\x00ab10"#)
        #expect(PostgresText.parseBytea(#"\x00ab10"#) == [0, 0xAB, 0x10])
        #expect(PostgresText.parseBytea(#"\x0"#) == nil)
        #expect(PostgresText.containsPattern(#"100%_a\b"#) == #"%100\%\_a\\b%"#)
        #expect(PostgresText.prefixPattern("3305") == "3305%")
    }

    @Test func copyFieldsAreEscaped() throws {
        var sent: [[UInt8]] = []
        var w = CopyInWriter { sent.append($0) }
        w.field("a\tb\nc\\d\r\u{0}")
        w.field(nil)
        w.field(bytea: [1, 255])
        try w.endRow()
        try w.flush()
        #expect(String(decoding: sent.joined(), as: UTF8.self) == "a\\tb\\nc\\\\d\\r\u{FFFD}\t\\N\t\\\\x01ff\n")
    }

    /// COPY's binary format byte for byte: signature and header, per row the
    /// field count and each field's length and send form, the trailer.
    @Test func binaryCopyRowsAreLaidOutAsPostgreSQLReadsThem() throws {
        var sent: [[UInt8]] = []
        var w = CopyBinaryWriter { sent.append($0) }
        try w.beginRow()
        w.text("a\u{0}")
        w.int4(-2)
        w.timestamp(946_684_800_000_001)            // 2000-01-01 00:00:00.000001 UTC
        w.textArray(["x", ""])
        w.jsonb("{}")
        w.jsonArray(of: [Array(#"{"x":"\u0000"}"#.utf8), [0x31, 0x00], [0x22, 0xFF, 0x22]])
        w.null()
        try w.beginRow()
        w.textArray([])
        try w.finish()
        let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
        let json = Array(#"[{"x":"\u0000"},1"#.utf8) + [0xEF, 0xBF, 0xBD] + Array(#","#.utf8) + [0x22, 0xEF, 0xBF, 0xBD, 0x22, 0x5D]
        var row: [UInt8] = [0, 7]
        row += [0, 0, 0, 4] + [0x61, 0xEF, 0xBF, 0xBD]
        row += [0, 0, 0, 4] + [0xFF, 0xFF, 0xFF, 0xFE]
        row += [0, 0, 0, 8] + [0, 0, 0, 0, 0, 0, 0, 1]
        row += [0, 0, 0, 29] + [0, 0, 0, 1] + [0, 0, 0, 0] + [0, 0, 0, 25] + [0, 0, 0, 2] + [0, 0, 0, 1]
            + [0, 0, 0, 1, 0x78] + [0, 0, 0, 0]
        row += [0, 0, 0, 3] + [1, 0x7B, 0x7D]
        row += [0, 0, 0, UInt8(json.count)] + json
        row += [0xFF, 0xFF, 0xFF, 0xFF]
        let empty: [UInt8] = [0, 1] + [0, 0, 0, 12] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 25]
        #expect(Array(sent.joined()) == signature + row + empty + [0xFF, 0xFF])
    }

    @Test func passwordsAreRedacted() {
        #expect(ConnInfo.redacted("postgresql://u:s3cret@db.example:5432/q?sslmode=require&password=two")
                == "postgresql://u:***@db.example:5432/q?sslmode=require&password=***")
        #expect(ConnInfo.redacted("postgres://u@h/db") == "postgres://u@h/db")
        #expect(ConnInfo.redacted("postgresql:///qianliyan?host=/run/postgresql&user=x")
                == "postgresql:///qianliyan?host=/run/postgresql&user=x")
        #expect(ConnInfo.redacted("host=h password=s3cret dbname=q") == "host=h password=*** dbname=q")
        #expect(ConnInfo.redacted("host=h password = 'a b\\' c' user=u") == "host=h password = *** user=u")
    }

    @Test func errorsSayWhetherToRetry() {
        for state in ["40001", "40P01", "57P01", "57P02", "57P03", "08006", "08001", "53300"] {
            #expect(PostgresError(.queryFailed, sqlState: state, message: "m").isRetriable, "\(state)")
        }
        for state in ["42P01", "23505", "22P02", "42601"] {
            #expect(!PostgresError(.queryFailed, sqlState: state, message: "m").isRetriable, "\(state)")
        }
        #expect(PostgresError(.connectionLost, message: "gone").isRetriable)
        let e = PostgresError(.queryFailed, sqlState: "22P02", message: #"invalid input syntax for type integer: "42 yuan""#)
        #expect(!e.description.contains("42 yuan"))
        #expect(e.debugDescription.contains("42 yuan"))
    }

    @Test func embeddedDefaultsFollowTheEnvironment() {
        #expect(EmbeddedPostgres.defaultDirectory(environment: ["QIANLIYAN_HOME": "/srv/q"]) == "/srv/q/pg")
        #expect(EmbeddedPostgres.defaultBinDirectory(environment: [:]) == "/usr/lib/postgresql/15/bin")
        let pg = EmbeddedPostgres(directory: "/tmp/q pg")
        #expect(pg.url(port: 5433, database: "qianliyan") == "postgresql:///qianliyan?host=/tmp/q%20pg&port=5433&user=postgres")
        #expect(EmbeddedPostgres.psqlCommand(url: "postgresql:///a?host=/x'y") == #"psql 'postgresql:///a?host=/x'\''y'"#)
    }
}

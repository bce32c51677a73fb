import EventModel
import Testing

/// Display text of an event's members, read lazily from its raw JSON.
@Suite struct RawFieldsTests {
    static func fields(_ json: String) -> RawFields { RawFields(Array(json.utf8)) }

    @Test func stringsAreUnescapedAndOtherValuesKeepTheirJSONText() {
        let f = Self.fields(#"{"purpose": "村内\"排水\"\u00e9", "amount": 4000.50, "ok": true, "device": {"sn": "S1"}, "ids": [1, 2], "note": null}"#)
        #expect(f.text("purpose") == "村内\"排水\"é")
        #expect(f.text("amount") == "4000.50")
        #expect(f.text("ok") == "true")
        #expect(f.text("device") == #"{"sn": "S1"}"#)
        #expect(f.text("ids") == "[1, 2]")
        #expect(f.text("note") == nil)
        #expect(f.text("sn") == nil, "only top-level members")
        #expect(f.text("absent") == nil)
    }

    @Test func theLastOccurrenceOfANameCountsAndEscapedNamesMatch() {
        let f = Self.fields(#"{"payee_id": "A", "pay\u0065e_id": "B", "x": null, "x": "now"}"#)
        #expect(f.text("payee_id") == "B")
        #expect(f.text("x") == "now")
        let g = Self.fields(#"{"x": "first", "x": null}"#)
        #expect(g.text("x") == nil)
    }

    @Test func membersBeforeBrokenJSONStillRead() {
        let f = Self.fields(#"{"a": "1", "b": 2, "c": }"#)
        #expect(f.text("a") == "1" && f.text("b") == "2")
        #expect(f.text("c") == nil)
        #expect(Self.fields("[1]").text("a") == nil)
        #expect(Self.fields("").text("a") == nil)
    }

    /// An index of the members (one scan, then a read per name) reads what `RawFields` reads.
    @Test func anIndexReadsWhatAScanPerNameReads() {
        let objects = [
            #"{"purpose": "村内\"排水\"\u00e9", "amount": 4000.50, "ok": true, "device": {"sn": "S1"}, "ids": [1, 2], "note": null}"#,
            #"{"payee_id": "A", "pay\u0065e_id": "B", "x": null, "x": "now"}"#,
            #"{"x": "first", "x": null}"#,
            #"{"a": "1", "b": 2, "c": }"#,
            "[1]", "", "{}",
        ]
        let names = ["purpose", "amount", "ok", "device", "ids", "note", "sn", "absent", "payee_id", "x", "a", "b", "c"]
        var index = RawMemberIndex()
        for json in objects {
            let raw = Array(json.utf8)
            index.index(raw)
            for name in names {
                #expect(index.text(name, in: raw) == RawFields(raw).text(name), "\(name) in \(json)")
            }
        }
        let raw = Array(#"{"x": "first", "x": null, "y": "\u4e2d"}"#.utf8)
        index.index(raw)
        #expect(index.text("x", in: raw) == nil && index.text("y", in: raw) == "中")
    }

    /// The id of an event read back for evidence: found where it leads the
    /// line, and the same as a full scan finds in every other case.
    @Test func theEventIDIsWhatAFullScanFinds() {
        let lines = [
            #"{"event_id": "a:1", "type": "finance.payment"}"#,
            #"{"event_id":"a:2","type":"finance.payment","purpose":"中文"}"#,
            #"  { "event_id" :  "a:3" }"#,
            #"{"type": "x", "event_id": "a:4"}"#,
            #"{"event_id": "a:5", "event_id": "a:6"}"#,
            #"{"event_id": "a:7", "event\u005fid": "a:8"}"#,
            #"{"event_id": "a:9", "note": "\"event_id\""}"#,
            #"{"event_id": "a:10", "note": "event_id"}"#,
            #"{"event_id": "a:11", "note": "say \"hi\""}"#,
            #"{"event_id": "b\u003a12"}"#,
            #"{"event_id": 13}"#,
            #"{"event_id": null, "x": 1}"#,
            #"{"event_id": "a:14"#,
            "[]", "",
        ]
        for line in lines {
            let raw = Array(line.utf8)
            #expect(RawFields.eventID(of: raw) == RawFields(raw).text("event_id"), "\(line)")
        }
        #expect(RawFields.eventID(of: Array(lines[4].utf8)) == "a:6")
        #expect(RawFields.eventID(of: Array(lines[5].utf8)) == "a:8")
        #expect(RawFields.eventID(of: Array(lines[0].utf8)) == "a:1")
    }
}

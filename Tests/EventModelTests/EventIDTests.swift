import EventModel
import FuzzSupport
import Testing

/// A decoded event names its id in its raw bytes (no `String` of its own);
/// its id, comparisons and byte view must equal those of the id as a `String`.
@Suite struct EventIDTests {
    static func line(id: String, seconds: Int = 0) -> [UInt8] {
        Array(#"{"event_id": "\#(id)", "type": "seal.usage", "occurred_at": "2023-01-01T00:00:0\#(seconds)Z", "village": "110101001001", "seal_id": "S1", "operator_id": "P1", "document_type": "contract"}"#.utf8)
    }

    static func decoded(_ id: String, into e: inout Event) {
        let status = EventDecoder().decode(line(id: id), into: &e)
        #expect(status == .event, "\(status)")
    }

    @Test func aDecodedIdReadsBackAsSentAndEscapesAreUnescaped() {
        var e = Event.placeholder
        Self.decoded("cg:340323102221:900062", into: &e)
        #expect(e.id == "cg:340323102221:900062")
        #expect(e.withIDBytes { Array($0) } == Array("cg:340323102221:900062".utf8))
        #expect(e.idKey == Fingerprint("cg:340323102221:900062"))
        #expect(EventDecoder().decode(Self.line(id: #"a\u002Db\/c"#), into: &e) != .event, "a-b/c is no valid id")
        Self.decoded(#"a\u002Db"#, into: &e)
        #expect(e.id == "a-b")
        #expect(e.withIDBytes { Array($0) } == Array("a-b".utf8))
        #expect(e.idKey == Fingerprint("a-b"))
        // Decoding again into the same event after an escaped id: the id is the new one, read from raw.
        Self.decoded("Z.9", into: &e)
        #expect(e.id == "Z.9" && e.idEquals("Z.9") && !e.idEquals("Z.90"))
    }

    @Test func anIdGivenInCodeWinsOverRaw() {
        var e = Event(id: "given", type: .sealUsage, time: 0, village: VillageCode(value: 1), raw: Self.line(id: "other"))
        #expect(e.id == "given")
        e.id = "changed"
        #expect(e.id == "changed" && e.withIDBytes { Array($0) } == Array("changed".utf8))
    }

    @Test func idComparisonsAgreeWithStringByteOrder() {
        var rng = SeededRandom(seed: 7)
        let alphabet = Array("Aa0.:_-zZ9".utf8)
        func randomID() -> String {
            String(decoding: (0..<(1 + rng.below(20))).map { _ in alphabet[rng.below(alphabet.count)] }, as: UTF8.self)
        }
        var a = Event.placeholder, b = Event.placeholder
        for _ in 0..<3_000 {
            let x = randomID(), y = rng.chance(0.2) ? x : (rng.chance(0.3) ? x + randomID() : randomID())
            Self.decoded(x, into: &a)
            Self.decoded(y, into: &b)
            let expected = EventOrder.idPrecedes(x, y)
            #expect(a.idPrecedes(b) == expected, "\(x) vs \(y)")
            #expect(a.idPrecedes(y) == expected, "\(x) vs \(y) (string)")
            #expect(a.idEquals(y) == (x == y))
            var given = Event(id: x, type: .sealUsage, time: 0, village: VillageCode(value: 1), raw: [])
            #expect(given.idPrecedes(b) == expected)
            // Read in place: the sign of the three-way comparison, both ways, decoded and given ids.
            let sign = expected ? -1 : (x == y ? 0 : 1)
            #expect(Event.compareIDs(&a, &b).signum() == sign, "\(x) vs \(y) (in place)")
            #expect(Event.compareIDs(&b, &a).signum() == -sign, "\(y) vs \(x) (in place)")
            #expect(Event.compareIDs(&a, y).signum() == sign, "\(x) vs \(y) (in place, string)")
            #expect(Event.compareIDs(&given, &b).signum() == sign, "\(x) vs \(y) (given id, in place)")
        }
    }
}

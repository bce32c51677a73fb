import EventModel
import Testing

@Suite("Alert JSON text")
struct AlertJSONTextTests {
    @Test func quoteEscapesWhatJSONRequires() {
        #expect(JSONText.quote("plain 王🧧") == "\"plain 王🧧\"")
        #expect(JSONText.quote("q\"b\\s/") == #""q\"b\\s/""#)
        #expect(JSONText.quote("n\nr\rt\t") == #""n\nr\rt\t""#)
        #expect(JSONText.quote("\u{1}\u{1F}\u{7F}") == "\"\\u0001\\u001f\u{7F}\"")
        #expect(JSONText.quote("a\u{0}b") == #""a\u0000b""#)
        #expect(JSONText.quote("a\u{0}b", replacingNUL: true) == "\"a\u{FFFD}b\"")
        #expect(JSONText.quote("") == "\"\"")
    }

    @Test func storableFiguresReplaceNULOnly() {
        let a = Alert(ruleID: "r", ruleVersion: 1, severity: .low, anchorEventID: "E1", anchorTime: 0,
                      village: VillageCode(value: 330_521_101_203), key: "", evidenceEventIDs: [],
                      firstEvidenceAt: 0, lastEvidenceAt: 0,
                      figures: [Figure("payee", .text("名\u{0}\"x\"\\u0000")), Figure("count", .integer(3))],
                      summaryZH: "", summaryEN: "", evidence: [])
        #expect(a.figuresJSON == #"{"payee":"名\u0000\"x\"\\u0000","count":3}"#)
        #expect(a.storableFiguresJSON == "{\"payee\":\"名\u{FFFD}\\\"x\\\"\\\\u0000\",\"count\":3}")
    }
}

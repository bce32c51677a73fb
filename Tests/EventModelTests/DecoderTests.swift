import Foundation
import EventModel
import Testing

@Suite struct DecoderTests {
    let decoder = EventDecoder()
    static let payment = #"{"event_id":"p1","type":"finance.payment","occurred_at":"2023-03-14T10:22:05+08:00","village":"330521101202","voucher_no":"V1","amount":"12500.50","payee_id":"X","category":"engineering","approver_id":"A"}"#

    func decode(_ s: String) -> EventDecoder.Outcome { decoder.decode(Array(s.utf8)) }

    func error(_ s: String) -> DecodeError? {
        if case .invalid(let e) = decode(s) { return e }
        return nil
    }

    /// The payment with one member replaced (or removed when `value` is nil).
    func payment(_ key: String, _ value: String?) -> String {
        var members = Self.payment.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        members.removeAll { $0.hasPrefix("\"\(key)\":") }
        if let value { members.append("\"\(key)\":\(value)") }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test func decodesAPaymentWithTypedFields() throws {
        guard case .event(let e) = decode(Self.payment) else { Issue.record("not decoded"); return }
        #expect(e.id == "p1")
        #expect(e.type == .financePayment)
        #expect(e.village.description == "330521101202")
        #expect(e.village.townshipCode == "330521101")
        #expect(e.village.districtCode == "330521")
        #expect(e[.amount] == .money(fen: 1_250_050))
        #expect(e[.payeeID].fingerprint == Fingerprint("X"))
        #expect(e[.decisionRef].isAbsent)
        #expect(e.time == (try Timestamp.parse("2023-03-14T02:22:05Z").get()))
        #expect(e.raw == Array(Self.payment.utf8))
    }

    /// `decode(sharing:)` (a Kafka record's value) gives the event `decode` gives, its raw bytes
    /// the caller's array itself; a record that is not an event leaves them alone.
    @Test func decodingSharingTheBytesGivesTheSameEvent() throws {
        let bytes = Array(Self.payment.utf8)
        var shared = Event.placeholder
        #expect(decoder.decode(sharing: bytes, into: &shared) == .event)
        guard case .event(let copied) = decode(Self.payment) else { Issue.record("not decoded"); return }
        #expect(shared.id == copied.id && shared.type == copied.type && shared.time == copied.time)
        #expect(shared[.amount] == copied[.amount] && shared[.payeeID] == copied[.payeeID] && shared[.category] == copied[.category])
        #expect(shared.raw == bytes)
        #expect(shared.raw.withUnsafeBufferPointer { $0.baseAddress } == bytes.withUnsafeBufferPointer { $0.baseAddress })
        var other = Event.placeholder
        #expect(decoder.decode(sharing: Array(payment("amount", "\"12.345\"").utf8), into: &other) != .event)
        #expect(other.raw.isEmpty)
    }

    /// `decode(_:into:idKnown:)` (a replay asking for the id's place in its id
    /// set early) hands over the fingerprint the event then carries, once,
    /// as soon as the id is valid — also for an event refused later — and
    /// never for an invalid id; the event is the one `decode` gives.
    @Test func theIdIsHandedOverAsSoonAsItIsValid() {
        func decodeNoting(_ s: String) -> (DecodeStatus, Event, [Fingerprint]) {
            var seen: [Fingerprint] = []
            var e = Event.placeholder
            let status = Array(s.utf8).withUnsafeBufferPointer { decoder.decode($0, into: &e, idKnown: { seen.append($0) }) }
            return (status, e, seen)
        }
        let (status, e, seen) = decodeNoting(Self.payment)
        #expect(status == .event && seen == [Fingerprint("p1")] && e.idKey == Fingerprint("p1"))
        guard case .event(let plain) = decode(Self.payment) else { Issue.record("not decoded"); return }
        #expect(e.id == plain.id && e.time == plain.time && e[.amount] == plain[.amount] && e.raw == plain.raw)
        let escaped = decodeNoting(payment("event_id", #""p\u0031""#))
        #expect(escaped.0 == .event && escaped.2 == [Fingerprint("p1")])
        let refusedLater = decodeNoting(payment("amount", "\"12.345\""))
        #expect(refusedLater.0 != .event && refusedLater.2 == [Fingerprint("p1")])
        for badID in [payment("event_id", nil), payment("event_id", "7"), payment("event_id", "\"\"")] {
            let r = decodeNoting(badID)
            #expect(r.0 != .event && r.2.isEmpty, "\(badID)")
        }
    }

    @Test func blankLinesAreNotViolations() {
        guard case .blank = decode("   \t\r") else { Issue.record("expected blank"); return }
        guard case .blank = decode("") else { Issue.record("expected blank"); return }
    }

    @Test(arguments: [
        ("{\"event_id\": \"x\"", DecodeError.Kind.badJSON),
        ("{\"a\":1,}", .badJSON),
        ("{'event_id':'x'}", .badJSON),
        ("{\"a\": NaN}", .badJSON),
        ("{\"a\": 01}", .badJSON),
        ("{\"a\":\"\u{1}\"}", .badJSON),
        ("{} {}", .badJSON),
        ("[1,2,3]", .notObject),
        ("\"just a string\"", .notObject),
        ("42", .notObject),
        ("null", .notObject),
    ])
    func structuralFaults(_ input: String, _ kind: DecodeError.Kind) {
        #expect(error(input)?.kind == kind, "\(input)")
    }

    @Test func invalidUTF8IsBadJSON() {
        var bytes = Array(Self.payment.utf8)
        let i = bytes.firstIndex(of: UInt8(ascii: "X"))!
        bytes[i] = 0xC3 // a lead byte without its continuation
        guard case .invalid(let e) = decoder.decode(bytes) else { Issue.record("accepted invalid UTF-8"); return }
        #expect(e.kind == .badJSON)
    }

    @Test func deepNestingIsRejectedWithoutCrashing() {
        let deep = "{\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(error(deep)?.kind == .badJSON)
    }

    @Test func hugeObjectsAreRejectedBySize() {
        let big = payment("purpose", "\"" + String(repeating: "a", count: 2 << 20) + "\"")
        #expect(error(big)?.kind == .tooLarge)
    }

    @Test(arguments: [
        ("event_id", nil, DecodeError.Kind.missingField),
        ("event_id", "null", .nullRequired),
        ("event_id", "7", .wrongType),
        ("event_id", "\"\"", .badEventID),
        ("event_id", "\"a b\"", .badEventID),
        ("event_id", "\"" + String(repeating: "a", count: 65) + "\"", .badEventID),
        ("type", "\"finance.Payment\"", .unknownType),
        ("type", "\"finance.refund\"", .unknownType),
        ("occurred_at", "\"2023-03-14 10:22:05+08:00\"", .badTimestamp),
        ("occurred_at", "\"2023-03-14t10:22:05+08:00\"", .badTimestamp),
        ("occurred_at", "\"2023-03-14T10:22:05z\"", .badTimestamp),
        ("occurred_at", "\"2023-03-14T10:22:05\"", .badTimestamp),
        ("occurred_at", "\"2023-03-14T24:00:00Z\"", .badTimestamp),
        ("occurred_at", "\"2016-12-31T23:59:60Z\"", .badTimestamp),
        ("occurred_at", "\"2023-02-29T10:00:00Z\"", .badTimestamp),
        ("occurred_at", "\"2023-03-14T10:22:05+0800\"", .badTimestamp),
        ("occurred_at", "1678760525", .wrongType),
        ("village", "\"33052110120\"", .badVillage),
        ("village", "\"33052110120a\"", .badVillage),
        ("village", "330521101202", .wrongType),
        ("amount", "-1", .badAmount),
        ("amount", "1.235", .badAmount),
        ("amount", "1e3", .badAmount),
        ("amount", "\"12,500\"", .badAmount),
        ("amount", "\"12500.505\"", .badAmount),
        ("amount", "\"-5\"", .badAmount),
        ("amount", "\"1.\"", .badAmount),
        ("amount", "\"1e3\"", .badAmount),
        ("amount", "12345678901234567", .badAmount),
        ("amount", "true", .wrongType),
        ("amount", "null", .nullRequired),
        ("amount", nil, .missingField),
        ("category", "\"Travel\"", .badEnum),
        ("category", "\"rent\"", .badEnum),
        ("payee_id", "12", .wrongType),
        ("decision_ref", "12", .wrongType),
    ] as [(String, String?, DecodeError.Kind)])
    func fieldFaults(_ key: String, _ value: String?, _ kind: DecodeError.Kind) {
        let e = error(payment(key, value))
        #expect(e?.kind == kind, "\(key)=\(value ?? "<missing>"): \(e?.description ?? "accepted")")
        if kind != .badJSON { #expect(e?.field == key) }
    }

    @Test func moneyAcceptsTheContractForms() throws {
        for (text, fen) in [("0", 0), ("12500.5", 1_250_050), ("1.230", 123), ("\"123\"", 12_300), ("\"123.4\"", 12_340),
                            ("\"123.45\"", 12_345), ("-0", 0), ("7.00", 700)] {
            guard case .event(let e) = decode(payment("amount", text)) else { Issue.record("rejected \(text)"); continue }
            #expect(e[.amount] == .money(fen: Int64(fen)), "\(text)")
        }
    }

    @Test func optionalIDsThatAreEmptyOrNullAreAbsent() {
        guard case .event(let e) = decode(payment("decision_ref", "\"\"")) else { Issue.record(); return }
        #expect(e[.decisionRef].isAbsent)
        guard case .event(let e2) = decode(payment("procurement_id", "null")) else { Issue.record(); return }
        #expect(e2[.procurementID].isAbsent)
        guard case .event(let e3) = decode(payment("payee_name", "\"\"")) else { Issue.record(); return }
        #expect(!e3[.payeeName].isAbsent, "an optional text that is not an id stays present")
    }

    @Test func numbersMustBeJSONNumbersAndAreExact() {
        let att = #"{"event_id":"a1","type":"labor.attendance","occurred_at":"2023-05-10T12:00:00+08:00","village":"330521101202","worker_id":"W","project_id":"P","work_date":"2023-05-10","hours":7.5}"#
        guard case .event(let e) = decode(att) else { Issue.record(); return }
        #expect(e[.hours] == .number(micros: 7_500_000))
        #expect(e[.workDate] == .date(day: CivilDate.days(year: 2023, month: 5, day: 10)))
        let asString = att.replacingOccurrences(of: "\"hours\":7.5", with: "\"hours\":\"7.5\"")
        #expect(error(asString)?.kind == .wrongType)
        let exp = att.replacingOccurrences(of: "\"hours\":7.5", with: "\"hours\":1.5e1")
        guard case .event(let e2) = decode(exp) else { Issue.record(); return }
        #expect(e2[.hours] == .number(micros: 15_000_000))
        let huge = att.replacingOccurrences(of: "\"hours\":7.5", with: "\"hours\":1e300")
        #expect(error(huge)?.kind == .badNumber)
    }

    @Test func unknownFieldsAndEscapesAreHandled() {
        let s = #"{"event_id":"p1","type":"finance.payment","occurred_at":"2023-03-14T10:22:05+08:00","village":"330521101202","voucher_no":"V1","amount":1,"payee_id":"\u0058","category":"other","approver_id":"A","extra":{"deep":[1,{"x":null}]},"trace_id":"abc"}"#
        guard case .event(let e) = decode(s) else { Issue.record(); return }
        #expect(e[.payeeID].fingerprint == Fingerprint("X"), "escaped text is compared by its value")
    }

    @Test func repeatedKeysTakeTheLastValue() {
        let s = Self.payment.replacingOccurrences(of: "\"amount\":\"12500.50\"", with: "\"amount\":1,\"amount\":2")
        guard case .event(let e) = decode(s) else { Issue.record(); return }
        #expect(e[.amount] == .money(fen: 200))
    }

    @Test func everyTypeDecodesWithItsRequiredFields() {
        for t in EventType.allCases {
            var members = ["\"event_id\":\"e\"", "\"type\":\"\(t.name)\"", "\"occurred_at\":\"2023-01-01T00:00:00Z\"", "\"village\":\"330521101202\""]
            for spec in t.fields where spec.required {
                let v: String
                switch spec.field.kind {
                case .string: v = "\"s\""
                case .money: v = "\"1.00\""
                case .number: v = "1"
                case .date: v = "\"2023-01-01\""
                case .month: v = "\"2023-01\""
                case .enumeration: v = "\"\(spec.allowed[0])\""
                case .stringList: v = "[]"
                }
                members.append("\"\(spec.field.name)\":\(v)")
            }
            let json = "{" + members.joined(separator: ",") + "}"
            guard case .event(let e) = decode(json) else { Issue.record("\(t.name): \(error(json)?.description ?? "")"); continue }
            #expect(e.type == t)
            // Dropping any required field is a violation naming it.
            for spec in t.fields where spec.required {
                let without = "{" + members.filter { !$0.hasPrefix("\"\(spec.field.name)\":") }.joined(separator: ",") + "}"
                #expect(error(without) == DecodeError(.missingField, field: spec.field.name, "required field is missing"))
            }
        }
    }
}

/// The fast paths of the decoder (word-at-a-time scanning, packed-key
/// lookup, straight-line timestamps, decoding into a reused event) against
/// the contract's edges.
@Suite struct DecoderFastPathTests {
    let decoder = EventDecoder()
    static let payment = DecoderTests.payment

    func error(_ s: String) -> DecodeError? {
        if case .invalid(let e) = decoder.decode(Array(s.utf8)) { return e }
        return nil
    }

    func event(_ s: String) -> Event? {
        if case .event(let e) = decoder.decode(Array(s.utf8)) { return e }
        return nil
    }

    func with(_ key: String, _ value: String) -> String {
        Self.payment.replacingOccurrences(of: "\"\(key)\":", with: "\"\(key)\":\(value),\"x_\(key)\":")
    }

    @Test func decodingIntoAReusedEventGivesTheSameEvent() throws {
        let lines = [Self.payment,
                     with("payee_id", "\"收款人甲\""),
                     #"{"event_id":"a1","type":"labor.attendance","occurred_at":"2023-05-10T12:00:00.25+08:00","village":"330521101202","worker_id":"W","project_id":"P","work_date":"2023-05-10","hours":7.5}"#]
        var reused = Event.placeholder
        for line in lines + lines.reversed() {
            let fresh = try #require(event(line))
            #expect(decoder.decode(Array(line.utf8), into: &reused) == .event)
            #expect(reused.id == fresh.id && reused.idKey == fresh.idKey && reused.type == fresh.type)
            #expect(reused.time == fresh.time && reused.village == fresh.village && reused.raw == fresh.raw)
            for s in 0..<13 { #expect(reused.fields[s] == fresh.fields[s]) }
        }
        #expect(decoder.decode(Array("  ".utf8), into: &reused) == .blank)
        #expect(decoder.decode(Array("{}".utf8), into: &reused) == .invalid(DecodeError(.missingField, field: "event_id", "required field is missing")))
    }

    @Test func aKeptRawBufferIsNeverOverwritten() throws {
        var reused = Event.placeholder
        _ = decoder.decode(Array(Self.payment.utf8), into: &reused)
        let kept = reused
        _ = decoder.decode(Array(with("payee_id", "\"Y\"").utf8), into: &reused)
        #expect(kept.raw == Array(Self.payment.utf8))
        #expect(kept[.payeeID].fingerprint == Fingerprint("X"))
    }

    @Test func eventIDCharactersAtEveryPositionOfAWord() {
        let allowed = "AZaz09._:-"
        for c in allowed {
            for len in [1, 7, 8, 9, 16, 25, 64] {
                let id = String(repeating: "b", count: len - 1) + String(c)
                #expect(event(with("event_id", "\"\(id)\"")) != nil, "\(id)")
            }
        }
        // Neighbours of the allowed ranges, and non-ASCII, at several offsets.
        for c in ["/", "@", "[", "`", "{", ",", ";", " ", "^", "~", "é", "中", "\\u0000", "\\/"] {
            for pos in [0, 3, 7, 8, 12, 24] {
                let id = String(repeating: "b", count: pos) + c + "cc"
                #expect(error(with("event_id", "\"\(id)\""))?.kind == .badEventID, "\(id)")
            }
        }
        #expect(event(with("event_id", "\"" + String(repeating: "x", count: 64) + "\"")) != nil)
        #expect(event(with("event_id", "\"\\u0041\\u0042\"")).map { $0.id } == "AB", "escapes are unescaped first")
    }

    @Test func stringsAreValidatedAtEveryOffset() {
        // A bad byte, a control character or an escape in every position of a
        // long value (raw bytes: invalid UTF-8 does not survive a String).
        let cases: [([UInt8], DecodeError.Kind?)] = [
            ([0x01], .badJSON), ([0x1F], .badJSON), ([0xC3], .badJSON), ([0xE4, 0xB8], .badJSON), ([0xED, 0xA0, 0x80], .badJSON),
            ([0xF4, 0x90, 0x80, 0x80], .badJSON), ([0xC0, 0x80], .badJSON), ([0xE0, 0x80, 0x80], .badJSON), ([0xFF], .badJSON),
            ([0xE4, 0xB8, 0xAD], nil), ([0xC3, 0xA9], nil), ([0xF0, 0x9F, 0x98, 0x80], nil), ([0xEF, 0xBF, 0xBF], nil), ([0x7F], nil),
            ([0x5C, 0x6E], nil), ([0x5C, 0x75, 0x34, 0x65, 0x32, 0x64], nil), ([0x5C, 0x71], .badJSON), ([0x5C, 0x75, 0x34, 0x65, 0x32, 0x67], .badJSON),
        ]
        var prefix = Array(Self.payment.utf8)
        prefix.removeLast() // '}'
        prefix += Array(",\"purpose\":\"".utf8)
        for pos in 0..<40 {
            for (bad, kind) in cases {
                for tail in [Array("\"}".utf8), Array("中文\"}".utf8), Array("\", \"source\": \"s\"}".utf8)] {
                    let bytes = prefix + Array(repeating: UInt8(ascii: "v"), count: pos) + bad + Array(repeating: UInt8(ascii: "w"), count: 40 - pos) + tail
                    let outcome = decoder.decode(bytes)
                    switch (outcome, kind) {
                    case (.event, nil): break
                    case (.invalid(let e), let k?) where e.kind == k: break
                    default: Issue.record("purpose with \(bad) at \(pos): \(outcome)")
                    }
                }
            }
        }
    }

    @Test func longRunsOfChineseTextAreValidatedEverywhere() {
        // 3-byte sequences are checked two at a time: a bad one in any position of a run.
        let good: [UInt8] = Array("农村集体三资管理平台收支".utf8)
        var prefix = Array(Self.payment.utf8)
        prefix.removeLast()
        prefix += Array(",\"purpose\":\"".utf8)
        guard case .event = decoder.decode(prefix + good + Array("\"}".utf8)) else { Issue.record("rejected valid text"); return }
        for at in stride(from: 0, to: good.count, by: 3) {
            for bad: [UInt8] in [[0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xE4, 0xB8, 0x41], [0xE4, 0x41, 0xAD], [0xC3, 0xA9, 0xA9], [0xF0, 0x9F, 0x98]] {
                var v = good
                v.replaceSubrange(at..<at + 3, with: bad)
                for shift in 0..<3 {
                    let bytes = prefix + Array(repeating: UInt8(ascii: "a"), count: shift) + v + Array("\"}".utf8)
                    guard case .invalid(let e) = decoder.decode(bytes) else { Issue.record("accepted \(bad) at \(at)+\(shift)"); continue }
                    #expect(e.kind == .badJSON)
                }
            }
            // Valid non-BMP and 2-byte characters in the middle of the run are fine.
            for ok: [UInt8] in [[0xF0, 0x9F, 0x98, 0x80], [0xC3, 0xA9], [0xEF, 0xBF, 0xBD], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF]] {
                var v = good
                v.replaceSubrange(at..<at + 3, with: ok)
                guard case .event = decoder.decode(prefix + v + Array("\"}".utf8)) else { Issue.record("rejected \(ok) at \(at)"); continue }
            }
        }
    }

    @Test func linesThatEndInsideAValueAreBadJSON() {
        let line = Array(with("purpose", "\"中文说明 and more text\"").utf8)
        for cut in 1..<line.count {
            guard case .invalid(let e) = decoder.decode(Array(line[0..<cut])) else { Issue.record("accepted a line cut at \(cut)"); continue }
            #expect(e.kind == .badJSON, "cut at \(cut)")
        }
    }

    @Test func escapedKeysAreRecognised() throws {
        let s = Self.payment.replacingOccurrences(of: "\"payee_id\"", with: "\"payee\\u005fid\"")
        let e = try #require(event(s))
        #expect(e[.payeeID].fingerprint == Fingerprint("X"))
        // Keys that only look alike are unknown, and so the field is missing.
        for key in ["payee_i", "payee_idd", "Payee_id", "payee_id ", "payee\\u0000id"] {
            let t = Self.payment.replacingOccurrences(of: "\"payee_id\"", with: "\"\(key)\"")
            #expect(error(t) == DecodeError(.missingField, field: "payee_id", "required field is missing"), "\(key)")
        }
    }

    @Test func timestampsInEveryShape() throws {
        let ok: [(String, String)] = [
            ("2023-03-14T10:22:05+08:00", "2023-03-14T02:22:05Z"),
            ("2023-03-14T02:22:05.5Z", "2023-03-14T02:22:05.500000Z"),
            ("2023-03-14T02:22:05.1234567-00:00", "2023-03-14T02:22:05.123456Z"),
            ("2024-02-29T23:59:59.999+23:59", "2024-02-29T00:00:59.999Z"),
        ]
        for (a, b) in ok {
            let e = try #require(event(with("occurred_at", "\"\(a)\"")))
            #expect(e.time == (try Timestamp.parse(b).get()), "\(a)")
        }
        for bad in ["2023-03-14T02:22:05.Z", "2023-03-14T02:22:05.5", "2023-03-14T02:22:05+08:0", "2023-03-14T02:22:05+24:00",
                    "2023-03-14T02:22:05+08:60", "2023-03-14T02:22:05Z ", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
                    "2023-03-14T02:22:05+08:00:00", "2023-03-14T02:22:05ZZ", "2023-3-14T02:22:05Z", "2023-03-14T02:22:05.5z"] {
            #expect(error(with("occurred_at", "\"\(bad)\""))?.kind == .badTimestamp, "\(bad)")
        }
    }

    @Test func moneyWithTrailingZerosAndTheirLimits() {
        for (text, fen) in [("12.3000000", 1230), ("0.10", 10), ("0.01", 1), ("999999999999999", 99_999_999_999_999_900), ("1.2000000000000000000000", 120)] {
            #expect(event(with("amount", text))?[.amount] == .money(fen: Int64(fen)), "\(text)")
        }
        for text in ["1.2300001", "1000000000000000", "0.001", "-0.01", "1.5E2"] {
            #expect(error(with("amount", text))?.kind == .badAmount, "\(text)")
        }
    }
}

import EventModel
import Foundation
import FuzzSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 8, "bad input, tried for real": seeded random mutations of valid and
/// malformed events through the decoder, for a bounded number of iterations
/// (what CI runs; `make fuzz` runs libFuzzer over the same corpus,
/// fuzz/corpus/decoder). Every input must give an event, a blank line or an
/// error with a reason — never a trap — and memory must stay bounded.
///
/// `QIANLIYAN_FUZZ_ITERATIONS` scales the run (default 10,000 mutated inputs,
/// a few seconds in a debug build; `make fuzz-props` runs 200,000),
/// `QIANLIYAN_FUZZ_SEED` changes it.
@Suite struct DecoderFuzzTests {
    static let decoder = EventDecoder()

    static var iterations: Int {
        ProcessInfo.processInfo.environment["QIANLIYAN_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 10_000
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["QIANLIYAN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_DEC0
    }

    static var root: String {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Rules").path) && url.path != "/" { url.deleteLastPathComponent() }
        return url.path
    }

    /// The libFuzzer corpus kept in the repository (valid lines of every type and
    /// source habit, every malformed kind, edge cases).
    static let seeds: [[UInt8]] = {
        let dir = root + "/fuzz/corpus/decoder"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        return names.compactMap { FileManager.default.contents(atPath: dir + "/" + $0).map { [UInt8]($0) } }
    }()

    static let payment = #"{"event_id":"p1","type":"finance.payment","occurred_at":"2023-03-14T10:22:05+08:00","village":"330521101202","voucher_no":"V1","amount":"12500.50","payee_id":"X","category":"engineering","approver_id":"A","purpose":"x"}"#

    /// The payment with the value of member `key` replaced by `value` (raw JSON
    /// bytes), by plain splicing: no regular expression, no String copy of a
    /// 10 MB value.
    static func payment(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let base = Array(payment.utf8)
        let needle = Array("\"\(key)\":".utf8)
        guard let at = (0...(base.count - needle.count)).first(where: { base[$0..<($0 + needle.count)].elementsEqual(needle) }) else {
            preconditionFailure("no member \(key) in the payment fixture")
        }
        let start = at + needle.count
        let end = Mutator.valueEnd(base, start)
        var out: [UInt8] = []
        out.reserveCapacity(base.count - (end - start) + value.count)
        out.append(contentsOf: base[..<start])
        out.append(contentsOf: value)
        out.append(contentsOf: base[end...])
        return out
    }

    static func payment(_ key: String, _ value: String) -> [UInt8] { payment(key, Array(value.utf8)) }

    /// `"` + `body` repeated `count` times + `"`, as bytes.
    static func quoted(_ body: String, count: Int) -> [UInt8] {
        [0x22] + repeated(body, count: count) + [0x22]
    }

    /// `body` repeated `count` times, as bytes (without building a String).
    static func repeated(_ body: String, count: Int) -> [UInt8] {
        let b = Array(body.utf8)
        if b.count == 1 { return [UInt8](repeating: b[0], count: count) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count * count)
        for _ in 0..<count { out.append(contentsOf: b) }
        return out
    }

    /// What one input gave.
    enum Verdict: Hashable {
        case event, blank, invalid(DecodeError.Kind)
    }

    /// Decodes `bytes` both ways and checks the invariants; returns the verdict.
    @discardableResult
    static func check(_ bytes: [UInt8], reused: inout Event, _ comment: @autoclosure () -> String = "") -> Verdict {
        let first = decoder.decode(bytes)
        let status = decoder.decode(bytes, into: &reused)
        switch (first, status) {
        case (.blank, .blank):
            #expect(isBlank(bytes), "non-blank input reported blank: \(comment())")
            return .blank
        case (.invalid(let a), .invalid(let b)):
            #expect(a == b, "the two entry points give different errors: \(a) vs \(b) \(comment())")
            #expect(!a.detail.isEmpty, "an error without a reason: \(a.kind) \(comment())")
            #expect(a.kind != .late && a.kind != .offsetGap, "a streaming-only kind from the decoder: \(comment())")
            return .invalid(a.kind)
        case (.event(let e), .event):
            #expect(Self.summary(e) == Self.summary(reused), "the two entry points give different events: \(comment())")
            #expect(e.raw == bytes, "the event does not keep its bytes: \(comment())")
            #expect(!e.id.isEmpty)
            if case .event(let again) = decoder.decode(e.raw) {
                #expect(Self.summary(again) == Self.summary(e), "re-decoding changed the event: \(comment())")
            } else {
                Issue.record("an event's own bytes do not decode: \(comment())")
            }
            return .event
        default:
            Issue.record("the two entry points disagree: \(first) vs \(status) \(comment())")
            return .blank
        }
    }

    /// Only spaces, tabs and line ends (a loop, not a closure per byte: this runs over 10 MB in a debug build).
    static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buf in
            for b in buf {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                default: return false
                }
            }
            return true
        }
    }

    /// Everything an event holds but its bytes, comparable without formatting
    /// it (string interpolation of the fields took half of a debug run).
    struct Summary: Equatable {
        var id: String, idKey: Fingerprint, type: EventType, time: Int64, village: VillageCode, rawCount: Int, fields: [FieldValue]
    }

    static func summary(_ e: Event) -> Summary {
        Summary(id: e.id, idKey: e.idKey, type: e.type, time: e.time, village: e.village, rawCount: e.raw.count, fields: (0..<13).map { e.fields[$0] })
    }

    // MARK: random mutation

    @Test func theCorpusIsThere() {
        #expect(Self.seeds.count >= 100, "fuzz/corpus/decoder is missing: run fuzz/scripts/seed-corpus.py")
        var reused = Event.placeholder
        var verdicts: [Verdict: Int] = [:]
        for s in Self.seeds { verdicts[Self.check(s, reused: &reused), default: 0] += 1 }
        #expect(verdicts[.event, default: 0] >= 60)
        #expect(verdicts.keys.filter { if case .invalid = $0 { true } else { false } }.count >= 10, "\(verdicts)")
    }

    @Test func randomMutationsAlwaysGiveAnEventOrAReason() {
        var rng = SeededRandom(seed: Self.seed)
        var reused = Event.placeholder
        var verdicts: [Verdict: Int] = [:]
        let seeds = Self.seeds
        guard !seeds.isEmpty else { Issue.record("no corpus"); return }
        for i in 0..<Self.iterations {
            var input = seeds[rng.below(seeds.count)]
            let steps = 1 + rng.below(4)
            for _ in 0..<steps { Mutator.mutate(&input, seeds: seeds, &rng) }
            let v = Self.check(input, reused: &reused, "iteration \(i), seed \(Self.seed)")
            verdicts[v, default: 0] += 1
        }
        // The mutations explore: valid events survive some, and many kinds of fault appear.
        #expect(verdicts[.event, default: 0] > Self.iterations / 50, "\(verdicts)")
        let kinds = Set(verdicts.keys.compactMap { if case .invalid(let k) = $0 { k } else { nil } })
        #expect(kinds.count >= 10, "\(kinds)")
    }

    // MARK: the shapes issue 8 names

    @Test func hugeMessagesAreTooLargeWithoutBeingParsed() {
        var reused = Event.placeholder
        let tenMB = 10 << 20
        let cases: [(String, [UInt8])] = [
            ("10 MB string", Self.payment("purpose", Self.quoted("a", count: tenMB))),
            ("10 MB of nesting", [UInt8](repeating: UInt8(ascii: "["), count: tenMB)),
            ("10 MB of digits", Self.payment("amount", Self.repeated("9", count: tenMB))),
            ("10 MB of garbage", Self.garbage(count: tenMB)),
            ("10 MB of spaces and an object", [UInt8](repeating: 0x20, count: tenMB) + Array(Self.payment.utf8)),
        ]
        for (name, bytes) in cases {
            let clock = ContinuousClock()
            let start = clock.now
            let v = Self.check(bytes, reused: &reused, name)
            #expect(v == .invalid(.tooLarge), "\(name): \(v)")
            #expect(clock.now - start < .seconds(5), "\(name) took \(clock.now - start)")
        }
        // Just under the limit, a valid event with a long text field is accepted.
        let limit = Self.decoder.maxBytes
        let pad = limit - Self.payment.utf8.count - 20
        let big = Self.payment("purpose", Self.quoted("中", count: pad / 3))
        #expect(big.count < limit)
        #expect(Self.check(big, reused: &reused, "just under the limit") == .event)
        // A whitespace-only message is blank whatever its size (the shard records it as an empty message).
        #expect(Self.check([UInt8](repeating: 0x20, count: tenMB), reused: &reused) == .blank)
    }

    @Test(arguments: [1, 100, 511, 512, 513, 10_000, 300_000])
    func deepNestingIsBoundedAndNamed(depth: Int) {
        var reused = Event.placeholder
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
        let unclosed = String(repeating: "[{\"k\":", count: depth)
        for (shape, value) in [("arrays", arrays), ("objects", objects), ("unclosed", unclosed)] {
            let bytes = Self.payment("purpose", value)
            let v = Self.check(bytes, reused: &reused, "\(shape) \(depth)")
            // The event object itself is one level: the limit of 512 containers counts it.
            if bytes.count > Self.decoder.maxBytes {
                #expect(v == .invalid(.tooLarge))
            } else if shape == "unclosed" {
                #expect(v == .invalid(.badJSON))
            } else if depth + 1 > Self.decoder.maxDepth {
                #expect(v == .invalid(.badJSON), "\(shape) \(depth): \(v)")
            } else {
                #expect(v == .invalid(.wrongType) || v == .event, "\(shape) \(depth): \(v)")
            }
        }
    }

    @Test func invalidUTF8AnywhereIsBadJSON() {
        var reused = Event.placeholder
        let bad: [[UInt8]] = [
            [0xFF], [0xFE], [0xC0, 0x80], [0xC1, 0xBF], [0x80], [0xBF], [0xC3], [0xE4, 0xB8], [0xE0, 0x80, 0x80],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xF8, 0x88, 0x80, 0x80, 0x80],
        ]
        let base = Array(Self.payment.utf8)
        // Inside every string of the event (keys and values): each offset of the line that lies in a string.
        var inString = [Bool](repeating: false, count: base.count)
        var open = false, escaped = false
        for (i, b) in base.enumerated() {
            if open {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { open = false; continue }
                inString[i] = true
            } else if b == 0x22 { open = true }
        }
        var tried = 0
        for (i, isIn) in inString.enumerated() where isIn {
            for seq in bad {
                var bytes = base
                bytes.insert(contentsOf: seq, at: i)
                #expect(Self.check(bytes, reused: &reused, "offset \(i) \(seq)") == .invalid(.badJSON), "offset \(i) \(seq)")
                tried += 1
            }
        }
        #expect(tried > 1_000)
        // Outside strings every such byte is a syntax error too.
        for seq in bad {
            #expect(Self.check(seq + base, reused: &reused) == .invalid(.badJSON))
            #expect(Self.check(base + seq, reused: &reused) == .invalid(.badJSON))
        }
        // Escaped lone surrogates are not text either.
        for esc in [#"\ud800"#, #"\udfff"#, #"\ud800\u0041"#, #"\udc00\ud800"#] {
            let v = Self.check(Self.payment("payee_id", "\"" + esc + "\""), reused: &reused, esc)
            #expect(v == .invalid(.badJSON) || v == .event, "\(esc): \(v)")
        }
    }

    @Test(arguments: [
        ("amount", "1e400"), ("amount", "-1e400"), ("amount", "1e-400"), ("amount", "99999999999999999999999999999999999999999"),
        ("amount", "9223372036854775807"), ("amount", "9223372036854775808"), ("amount", "-9223372036854775808"),
        ("amount", "\"90000000000.01\""), ("amount", "\"9000000000000000000.00\""), ("amount", "0.0000000000000000000001"),
        ("amount", "\"NaN\""), ("amount", "\"Infinity\""), ("amount", "-0.00"), ("amount", "1E+2"),
        ("amount", String(repeating: "9", count: 5_000)), ("amount", "0." + String(repeating: "0", count: 5_000) + "1"),
    ])
    func numbersOutOfRangeGiveAReason(key: String, value: String) {
        var reused = Event.placeholder
        let v = Self.check(Self.payment(key, value), reused: &reused, value)
        switch v {
        case .event:
            if case .event(let e) = Self.decoder.decode(Self.payment(key, value)) {
                // Accepted amounts are exact fen within the contract's range.
                let amount = e[.amount]
                #expect(amount.tag == .money && amount.a >= 0, "\(value) → \(amount)")
            }
        case .invalid(let k): #expect(k == .badAmount || k == .badJSON, "\(value): \(k)")
        case .blank: Issue.record("blank")
        }
    }

    @Test func hoursAndQuantitiesOutOfRangeGiveAReason() {
        var reused = Event.placeholder
        let attendance = #"{"event_id":"a1","type":"labor.attendance","occurred_at":"2023-03-14T10:22:05+08:00","village":"330521101202","worker_id":"W","project_id":"P","work_date":"2023-03-14","hours":HOURS}"#
        for h in ["8", "8.5", "9000000000000", "9000000000001", "1e13", "-1", "1e400", "0.0000001", String(repeating: "1", count: 400), "\"8\"", "null"] {
            let v = Self.check(Array(attendance.replacingOccurrences(of: "HOURS", with: h).utf8), reused: &reused, "hours \(h)")
            switch v {
            case .event, .invalid(.badNumber), .invalid(.wrongType), .invalid(.nullRequired), .invalid(.badJSON): break
            default: Issue.record("hours \(h): \(v)")
            }
        }
    }

    @Test(arguments: [
        "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00-23:59", "1000-02-29T00:00:00Z", "1900-01-01T00:00:00+08:00",
        "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "1986-05-04T02:30:00+08:00", "2262-04-11T23:47:16.854775807Z",
        "2999-12-31T23:59:59+08:00", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999-23:59", "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "2023-03-14T10:22:05.1234567890123456789+08:00", "2023-03-14T10:22:05+24:00",
        "2023-13-01T00:00:00Z", "+2023-03-14T10:22:05Z", "2023-03-14T10:22:05.Z",
    ])
    func timestampsFarInThePastAndFutureAreExactOrRejected(ts: String) {
        var reused = Event.placeholder
        let bytes = Self.payment("occurred_at", "\"" + ts + "\"")
        let v = Self.check(bytes, reused: &reused, ts)
        switch v {
        case .event:
            guard case .event(let e) = Self.decoder.decode(bytes) else { return }
            // The instant lies within years 1…9999 (± a day for the offset).
            let year1: Int64 = -62_135_596_800 * 1_000_000, year10000: Int64 = 253_402_300_800 * 1_000_000
            #expect(e.time >= year1 - 86_400_000_000 && e.time <= year10000 + 86_400_000_000, "\(ts) → \(e.time)")
        case .invalid(let k): #expect(k == .badTimestamp, "\(ts): \(k)")
        case .blank: Issue.record("blank")
        }
    }

    /// Decoding thousands of hostile inputs leaves the peak memory where it was:
    /// nothing is kept, nothing grows with nesting or size beyond the input.
    ///
    /// Peak RSS is a whole-process figure, and the other suites run in parallel in
    /// this process (a suite that takes a state snapshot during the window would be
    /// counted against the decoder), so the measurement runs as an exit test: in a
    /// child process of its own that does nothing else.
    @Test func memoryStaysBoundedOverHostileInputs() async throws {
        let rounds = 8
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            print(Self.peakGrowthOverHostileInputs(rounds: 8))
        }
        let growth = try #require(result.flatMap { Int(String(decoding: $0.standardOutputContent, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) })
        // Each input is decoded 2–3 times a round: a leak of the input, or of anything
        // proportional to it, would add well over the 48 MiB allowed.
        #expect(growth < 48 << 20, "peak RSS grew by \(growth >> 20) MiB over \(rounds * 6) hostile inputs")
    }

    /// Decodes each hostile input `rounds` times (after a warm-up) and returns how
    /// far this process's peak RSS rose meanwhile.
    static func peakGrowthOverHostileInputs(rounds: Int) -> Int {
        var reused = Event.placeholder
        let hostile: [[UInt8]] = [
            [UInt8](repeating: UInt8(ascii: "["), count: 1 << 20 - 1),
            Self.payment("purpose", Self.repeated("{\"a\":[", count: 80_000)),
            Self.payment("purpose", Self.quoted("\\u4e2d", count: 170_000)),
            Self.payment("amount", Self.repeated("9", count: 1 << 19)),
            Array(("{" + (0..<20_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}").utf8),
            Self.payment("purpose", [UInt8(ascii: "[")] + Self.repeated("1,", count: 400_000) + [UInt8(ascii: "1"), UInt8(ascii: "]")]),
        ]
        for h in hostile { _ = Self.decoder.decode(h) } // warm up
        let before = Self.peakRSS()
        for _ in 0..<rounds {
            for h in hostile { Self.check(h, reused: &reused) }
        }
        return Self.peakRSS() - before
    }

    /// Pseudo-random bytes (a 64 KiB block, repeated): cheap to build in a debug build.
    static func garbage(count: Int) -> [UInt8] {
        var rng = SeededRandom(seed: 0x6A7B)
        let block = (0..<(1 << 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count { out.append(contentsOf: block.prefix(count - out.count)) }
        return out
    }

    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

/// Byte-level and JSON-aware mutations in the spirit of libFuzzer's.
enum Mutator {
    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x2C, 0x2D, 0x2E, 0x30, 0x31, 0x39, 0x3A, 0x5B, 0x5C,
                                            0x5D, 0x65, 0x7B, 0x7D, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE4, 0xED, 0xF0, 0xF4, 0xFF]
    static let tokens: [String] = [
        "{", "}", "[", "]", ":", ",", "\"", "\\\"", "\\u0000", "\\ud800", "\\u4e2d", "\\/", "true", "false", "null", "-0", "1e308", "1E-7",
        "0.000001", "99999999999999999999", "\"event_id\"", "\"type\"", "\"occurred_at\"", "\"village\"", "\"amount\"", "\"330521101202\"",
        "+08:00", "Z", "T23:59:59.999999", "2023-03-14", "9999-12-31", "0001-01-01", "中", "\u{7F}",
    ]
    /// Whole values dropped in place of a member's value.
    static let values: [String] = [
        "null", "true", "0", "-1", "1e400", "-0.0", "12345678901234567890123", "\"\"", "\"x\"", "[]", "{}", "[[[[[[[[]]]]]]]]",
        "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59.999999+14:00\"", "\"2023-02-29T10:00:00+08:00\"", "\"1986-05-04T02:30:00+08:00\"",
        "\"2023-03-14T10:22:05.999999999999Z\"", "\"12500.505\"", "\"9000000000000.00\"", "\"\\ud800\"", "\"\\u0000\"", "\"中文\"",
        "\"finance.payment\"", "\"seal.usage\"", "\"lease.rent_due\"", "\"labor.attendance\"", "\"330521101202\"", "\"33052110120\"",
        "{\"nested\":{\"deeper\":[1,2,{\"x\":null}]}}", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    static func mutate(_ b: inout [UInt8], seeds: [[UInt8]], _ rng: inout SeededRandom) {
        switch rng.below(11) {
        case 0 where !b.isEmpty: // flip a bit
            b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8))
        case 1 where !b.isEmpty: // an interesting byte
            b[rng.below(b.count)] = interestingBytes[rng.below(interestingBytes.count)]
        case 2 where !b.isEmpty: // delete a short range
            let i = rng.below(b.count)
            b.removeSubrange(i..<min(b.count, i + 1 + rng.below(16)))
        case 3 where !b.isEmpty: // repeat a range
            let i = rng.below(b.count), n = min(b.count - i, 1 + rng.below(32))
            let chunk = Array(b[i..<(i + n)])
            b.insert(contentsOf: chunk, at: rng.below(b.count + 1))
        case 4: // insert a token
            b.insert(contentsOf: Array(tokens[rng.below(tokens.count)].utf8), at: rng.below(b.count + 1))
        case 5 where !seeds.isEmpty: // splice with another seed
            let other = seeds[rng.below(seeds.count)]
            b = Array(b.prefix(rng.below(b.count + 1))) + Array(other.suffix(rng.below(other.count + 1)))
        case 6 where !b.isEmpty: // truncate
            b.removeLast(1 + rng.below(min(b.count, 40)))
        case 7, 8, 9: // replace a member's value
            replaceValue(&b, with: Array(values[rng.below(values.count)].utf8), &rng)
        default: // drop or repeat a member
            memberEdit(&b, &rng)
        }
    }

    /// Starts of member values: the byte after `":` (and any spaces).
    static func valueStarts(_ b: [UInt8]) -> [Int] {
        var out: [Int] = []
        var i = 1
        while i < b.count {
            if b[i] == UInt8(ascii: ":") && b[i - 1] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < b.count && b[j] == 0x20 { j += 1 }
                out.append(j)
            }
            i += 1
        }
        return out
    }

    /// The end of the scalar or string value starting at `i` (containers: just the opening byte).
    static func valueEnd(_ b: [UInt8], _ i: Int) -> Int {
        guard i < b.count else { return i }
        if b[i] == UInt8(ascii: "\"") {
            var j = i + 1
            while j < b.count {
                if b[j] == 0x5C { j += 2; continue }
                if b[j] == 0x22 { return j + 1 }
                j += 1
            }
            return b.count
        }
        var j = i
        while j < b.count && b[j] != UInt8(ascii: ",") && b[j] != UInt8(ascii: "}") && b[j] != UInt8(ascii: "]") { j += 1 }
        return max(j, i + 1 <= b.count ? i + 1 : i)
    }

    static func replaceValue(_ b: inout [UInt8], with v: [UInt8], _ rng: inout SeededRandom) {
        let starts = valueStarts(b)
        guard !starts.isEmpty else { b.insert(contentsOf: v, at: rng.below(b.count + 1)); return }
        let s = starts[rng.below(starts.count)]
        let e = min(valueEnd(b, s), b.count)
        b.replaceSubrange(s..<max(s, e), with: v)
    }

    static func memberEdit(_ b: inout [UInt8], _ rng: inout SeededRandom) {
        let starts = valueStarts(b)
        guard !starts.isEmpty else { return }
        let s = starts[rng.below(starts.count)]
        // The member's key starts at the quote before `":`.
        var k = s - 1
        while k > 0 && b[k] != UInt8(ascii: ":") { k -= 1 }
        var q = k - 2
        while q > 0 && b[q] != UInt8(ascii: "\"") { q -= 1 }
        let e = min(valueEnd(b, s), b.count)
        guard q >= 0, q < e else { return }
        let member = Array(b[q..<e])
        if rng.chance(0.5) {
            // drop it (and a following comma)
            let end = e < b.count && b[e] == UInt8(ascii: ",") ? e + 1 : e
            b.removeSubrange(q..<end)
        } else {
            // repeat it: the last value wins
            b.insert(contentsOf: member + [UInt8(ascii: ",")], at: q)
        }
    }
}

import EventModel
import Foundation
@testable import LedgerGenerator
import Testing

/// `qianliyan generate`'s engine: determinism, realism checks, malformed lines
/// that really break EVENTS.md, and a ground truth consistent with the ledger.
@Suite("Ledger generator")
struct GeneratorTests {
    /// A whole generated ledger, split into lines.
    struct Ledger {
        var bytes: [UInt8] = []
        var lines: [ArraySlice<UInt8>] = []
        var generator: LedgerGenerator

        init(_ config: GeneratorConfig) {
            generator = LedgerGenerator(config)
            while let chunk = generator.nextChunk() { bytes += chunk }
            var start = 0
            for (i, b) in bytes.enumerated() where b == 0x0A {
                lines.append(bytes[start..<i])
                start = i + 1
            }
        }
    }

    static let small = GeneratorConfig(villages: 7, days: 75, seed: 11, eventsPerVillageDay: 6, malformedRate: 0.02, duplicateRate: 0.01)

    static func decode(_ line: ArraySlice<UInt8>) -> EventDecoder.Outcome {
        EventDecoder().decode(Array(line))
    }

    @Test("the same configuration gives the same bytes; another seed other bytes")
    func determinism() {
        let a = Ledger(Self.small), b = Ledger(Self.small)
        let same = a.bytes == b.bytes
        #expect(same, "two runs of the same configuration differ")
        #expect(a.generator.groundTruthCSV() == b.generator.groundTruthCSV())
        #expect(a.generator.malformedCSV() == b.generator.malformedCSV())
        #expect(a.generator.referenceCSVs() == b.generator.referenceCSVs())
        var other = Self.small
        other.seed = 12
        let differs = Ledger(other).bytes != a.bytes
        #expect(differs, "another seed gave the same bytes")
    }

    @Test("the bytes do not depend on the number of shards, run one after another or concurrently")
    func shards() {
        let one = Ledger(Self.small).bytes
        for n in [2, 3] {
            var g = LedgerGenerator(Self.small, shards: n)
            var bytes: [UInt8] = []
            let runner = ShardRunner { count, work in DispatchQueue.concurrentPerform(iterations: count, execute: work) }
            g.generate(runner: n == 2 ? .serial : runner) { bytes += $0 }
            let same = bytes == one
            #expect(same, "\(n) shards give other bytes")
        }
    }

    @Test("chunks streamed through generate(into:) are the bytes of nextChunk()")
    func streaming() {
        var g = LedgerGenerator(Self.small)
        var streamed: [UInt8] = []
        g.generate { streamed += $0 }
        let same = streamed == Ledger(Self.small).bytes
        #expect(same, "generate(into:) and nextChunk() differ")
        #expect(g.isFinished)
    }

    /// The first valid copy of every event id, in file order.
    static func firstCopies(_ l: Ledger) -> [ArraySlice<UInt8>] {
        let bad = Set(l.generator.malformedLines.map(\.lineNumber))
        var seen = Set<String>()
        var out: [ArraySlice<UInt8>] = []
        for (i, line) in l.lines.enumerated() where !bad.contains(i + 1) {
            guard case .event(let e) = decode(line) else { continue }
            if seen.insert(e.id).inserted { out.append(line) }
        }
        return out
    }

    @Test("malformed lines and re-sends only add lines: the first valid copies are the clean ledger")
    func dirtOnlyAddsLines() {
        var clean = Self.small
        clean.malformedRate = 0
        clean.duplicateRate = 0
        let c = Ledger(clean), d = Ledger(Self.small)
        let cleanFirst = Self.firstCopies(c), dirtyFirst = Self.firstCopies(d)
        #expect(cleanFirst.count == dirtyFirst.count)
        let same = cleanFirst.elementsEqual(dirtyFirst)
        #expect(same, "the valid events differ")
        // Only the injected re-send case duplicates a line of the clean ledger.
        #expect(c.generator.malformedLines.isEmpty && c.generator.stats.duplicates <= 1)
        #expect(d.generator.stats.duplicates > 10 && d.generator.stats.malformed > 10)
        #expect(c.generator.groundTruth == d.generator.groundTruth)
    }

    @Test("every line is valid per EVENTS.md except the listed ones, which fail with their kind; every fault kind occurs")
    func malformedLinesReallyMalformed() {
        var config = Self.small
        config.malformedRate = 0.08
        let l = Ledger(config)
        let listed = Dictionary(uniqueKeysWithValues: l.generator.malformedLines.map { ($0.lineNumber, $0) })
        var kinds = Set<String>()
        var variants = Set<String>()
        for (i, line) in l.lines.enumerated() {
            let outcome = Self.decode(line)
            if let m = listed[i + 1] {
                guard case .invalid(let err) = outcome else {
                    Issue.record("line \(i + 1) (\(m.kind)/\(m.variant)) decodes: \(String(decoding: line, as: UTF8.self))")
                    continue
                }
                #expect(err.kind.rawValue == m.kind, "line \(i + 1) \(m.variant): \(err)")
                kinds.insert(m.kind)
                variants.insert(m.variant)
            } else {
                switch outcome {
                case .event, .blank: break
                case .invalid(let err): Issue.record("line \(i + 1) is not listed but invalid: \(err)")
                }
            }
        }
        let expected: Set<String> = ["bad_json", "not_object", "missing_field", "null_required", "wrong_type", "unknown_type",
                                     "bad_timestamp", "bad_amount", "bad_village", "bad_event_id", "bad_date", "bad_enum"]
        #expect(kinds == expected)
        let required: Set<String> = ["truncated", "invalid_utf8", "array", "lowercase_t", "lowercase_z", "missing_offset", "hour_24",
                                     "leap_second", "feb_30", "negative", "three_decimals", "exponent", "eleven_digits",
                                     "sixty_five_chars", "slash", "capitalised"]
        #expect(required.isSubset(of: variants), "missing variants: \(required.subtracting(variants).sorted())")
        #expect(l.generator.malformedCSV().hasPrefix("line_no,kind\n"))
    }

    @Test("duplicates are byte-for-byte re-sends; distinct lines never share an event id")
    func duplicatesAreExact() {
        let l = Ledger(Self.small)
        var first: [String: ArraySlice<UInt8>] = [:]
        var resent = 0
        for line in l.lines {
            guard case .event(let e) = Self.decode(line) else { continue }
            if let f = first[e.id] {
                let same = f.elementsEqual(line)
                #expect(same, "id \(e.id) re-sent with other bytes")
                resent += 1
            } else {
                first[e.id] = line
            }
        }
        #expect(resent == l.generator.stats.duplicates)
        #expect(first.count == l.generator.stats.events)
    }

    @Test("all sixteen event types occur, in a plausible mix")
    func everyType() {
        var config = Self.small
        config.villages = 12
        config.days = 160
        let l = Ledger(config)
        var counts = [EventType: Int]()
        for line in l.lines {
            if case .event(let e) = Self.decode(line) { counts[e.type, default: 0] += 1 }
        }
        for t in EventType.allCases { #expect(counts[t, default: 0] > 0, "no \(t.name)") }
        let total = counts.values.reduce(0, +)
        #expect(counts[.financePayment, default: 0] * 5 > total)
        #expect(counts[.laborAttendance, default: 0] * 10 > total)
        #expect(counts[.leaseContract, default: 0] < counts[.leaseRentDue, default: 0])
    }

    @Test("the ledger ends with one event at local midnight after the last day; all others are before it")
    func ledgerEnd() {
        let l = Ledger(Self.small)
        let end = Self.small.endDay * TimeUnit.day - 8 * TimeUnit.hour
        var atEnd = 0
        for line in l.lines {
            guard case .event(let e) = Self.decode(line) else { continue }
            #expect(e.time <= end)
            if e.time == end { atEnd += 1 }
            #expect(e.time >= Self.small.startDay * TimeUnit.day - 8 * TimeUnit.hour)
        }
        #expect(atEnd == 1)
    }

    @Test("ground truth: unique cases, anchors are valid events of the rule's type, every rule has fire and nofire cases")
    func groundTruth() {
        var config = Self.small
        config.villages = 12
        config.days = 160
        let l = Ledger(config)
        var byID: [String: Event] = [:]
        for line in l.lines {
            if case .event(let e) = Self.decode(line), byID[e.id] == nil { byID[e.id] = e }
        }
        let truth = l.generator.groundTruth
        #expect(Set(truth.map { "\($0.rule.name) \($0.anchorEventID)" }).count == truth.count)
        let anchorType: [PackRule: EventType] = [
            .r01: .financePayment, .r02: .financePayment, .r03: .financePayment, .r04: .financePayment,
            .r05: .procurementContract, .r06: .procurementContract, .r07: .sealUsage, .r08: .sealUsage,
            .r09: .leaseRentDue, .r10: .financePayment, .r11: .procurementQuote, .r12: .financePayment,
            .r13: .laborWage, .r14: .laborAttendance,
        ]
        for c in truth {
            guard let e = byID[c.anchorEventID] else { Issue.record("anchor \(c.anchorEventID) of \(c.caseName) is not in the ledger"); continue }
            #expect(e.type == anchorType[c.rule], "\(c.rule.code) \(c.caseName): anchor is a \(e.type.name)")
            #expect(!c.caseName.isEmpty)
        }
        for r in PackRule.allCases {
            #expect(truth.contains { $0.rule == r && $0.expect == .fire }, "\(r.code) has no fire case")
            #expect(truth.contains { $0.rule == r && $0.expect == .nofire }, "\(r.code) has no nofire case")
        }
        let csv = l.generator.groundTruthCSV().split(separator: "\n")
        #expect(csv.first == "rule_id,anchor_event_id,expect,case")
        #expect(csv.count == truth.count + 1)
    }

    @Test("the reference tables have exactly the columns of EVENTS.md and load")
    func referenceTables() throws {
        let g = LedgerGenerator(Self.small)
        let csv = g.referenceCSVs()
        let headers = [
            "people.csv": "person_id,name,village,role,relatives",
            "vendors.csv": "vendor_id,name,legal_rep_id,shareholder_ids",
            "reference_prices.csv": "item_category,unit_price",
            "village_limits.csv": "village,approval_limit,decision_limit",
        ]
        #expect(Set(csv.keys) == Set(headers.keys))
        for (name, header) in headers {
            #expect(csv[name]?.split(separator: "\n").first.map(String.init) == header, "\(name)")
        }
        let tables = try ReferenceTables(people: try CSVTable(parsing: csv["people.csv"]!), vendors: try CSVTable(parsing: csv["vendors.csv"]!),
                                         referencePrices: try CSVTable(parsing: csv["reference_prices.csv"]!),
                                         villageLimits: try CSVTable(parsing: csv["village_limits.csv"]!))
        let people = try CSVTable(parsing: csv["people.csv"]!)
        let role = try #require(people.column("role")), relatives = try #require(people.column("relatives"))
        #expect(people.rows.contains { $0[role] != "villager" })
        #expect(people.rows.contains { $0[role] == "villager" })
        #expect(people.rows.contains { !$0[relatives].isEmpty })
        #expect(tables.people.values.contains { $0.isCadre }, "the cadres are kept")
        #expect(tables.vendors.values.contains { !$0.shareholderIDs.isEmpty })
        #expect(tables.referencePrices["cement_ton"] == 465_00)
        // Some villages listed, not all (the others use the defaults).
        #expect(!tables.villageLimits.isEmpty && tables.villageLimits.count < Self.small.villages)
    }

    @Test("exports are mostly ordered: injected events are never more than 90 s behind, some background batches hours")
    func disorder() {
        let l = Ledger(Self.small)
        var caseIDs = Set<String>()
        for e in l.generator.plannedCases {
            if case .event(let ev) = EventDecoder().decode(e.bytes) { caseIDs.insert(ev.id) }
        }
        var maxSeen = Int64.min
        var inversions = 0, hoursBehind = 0, events = 0
        var seen = Set<String>()
        for line in l.lines {
            // Re-sends are late by nature; the first copy is the event.
            guard case .event(let e) = Self.decode(line), seen.insert(e.id).inserted else { continue }
            events += 1
            if e.time < maxSeen {
                inversions += 1
                if maxSeen - e.time > TimeUnit.hour { hoursBehind += 1 }
                if caseIDs.contains(e.id) { #expect(maxSeen - e.time <= 90 * TimeUnit.second, "injected \(e.id) is late") }
            }
            maxSeen = max(maxSeen, e.time)
        }
        #expect(inversions * 100 > events, "hardly any disorder")
        #expect(hoursBehind > 0, "no batch held back")
        #expect(inversions * 4 < events, "too much disorder")
    }

    @Test("injected cases are self-contained: the background never uses their keys")
    func casesSelfContained() throws {
        let l = Ledger(Self.small)
        func object(_ bytes: some Sequence<UInt8>) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        }
        // The keys RULES.md groups by, as used by the injected events.
        func keys(_ o: [String: Any]) -> [String] {
            let v = o["village"] as? String ?? ""
            var out: [String] = []
            for f in ["procurement_id", "application_id", "lease_id"] { if let k = o[f] as? String, !k.isEmpty { out.append("\(f) \(v) \(k)") } }
            for f in ["payee_id", "worker_id"] { if let k = o[f] as? String { out.append("\(f) \(k)") } }
            if let k = o["project_id"] as? String, o["type"] as? String != "finance.payment" { out.append("project_id \(k)") }
            return out
        }
        var caseIDs = Set<String>()
        var caseKeys = Set<String>()
        for e in l.generator.plannedCases {
            let o = object(e.bytes)
            caseIDs.insert(o["event_id"] as? String ?? "")
            caseKeys.formUnion(keys(o))
        }
        #expect(caseKeys.count > 100)
        var background = 0
        for line in l.lines {
            guard case .event(let e) = Self.decode(line), !caseIDs.contains(e.id) else { continue }
            background += 1
            for k in keys(object(line)) where caseKeys.contains(k) { Issue.record("background event \(e.id) uses the case key \(k)") }
        }
        #expect(background > 1_000)
    }
}

import DetectionRuntime
import DetectionTesting
import EventModel
import RuleCompiler
import RuleLanguage
import Testing

@Suite struct EngineTests {
    static func ruleSet(_ text: String, overrides: [ParameterResolver.Override] = []) -> CompiledRuleSet {
        let out = RuleSetCompiler.compile([SourceFile(path: "t.rule", text: text)], overrides: overrides)
        #expect(!out.diagnostics.hasErrors, "\(out.diagnostics.map(\.headline))")
        return out.ruleSet!
    }

    static func event(_ json: String) -> Event {
        guard case .event(let e) = EventDecoder().decode(Array(json.utf8)) else { fatalError("bad test event \(json)") }
        return e
    }

    static func payment(_ id: String, _ time: String, amount: Int = 100, payee: String = "X", village: String = "330521101202") -> Event {
        event(#"{"event_id":"\#(id)","type":"finance.payment","occurred_at":"\#(time)","village":"\#(village)","voucher_no":"V","amount":\#(amount),"payee_id":"\#(payee)","category":"other","approver_id":"A"}"#)
    }

    static let windowRule = """
    rule w
      version 2
      severity high
      on finance.payment
      group by village, payee_id
      within 1 days
      fire when count >= 2
      summary "{count} 笔 {sum(amount)}"
      summary en "{count} payments {sum(amount)}"
    end
    """

    /// A rule's two summaries share the placeholders that read the same in
    /// both languages (formatted once an alert) and not those that do not
    /// (a yes/no); a placeholder twice in one summary, and the same one in
    /// the next alert, read that alert's own values.
    @Test func summariesShareOnlyWhatReadsTheSameInBothLanguages() {
        let engine = Engine(ruleSet: Self.ruleSet("""
        rule c
          version 1
          severity high
          on finance.payment where amount >= 100
          summary "{payee_id} 收到 {amount}（{amount >= 500}）{amount}"
          summary en "{amount} to {payee_id} ({amount >= 500})"
        end
        """), tables: ReferenceTables())
        engine.process(Self.payment("p1", "2023-03-01T08:00:00+08:00", amount: 600, payee: "X"))
        engine.process(Self.payment("p2", "2023-03-01T09:00:00+08:00", amount: 1_234, payee: "Y"))
        engine.process(Self.payment("p3", "2023-03-01T10:00:00+08:00", amount: 200, payee: "Z"))
        #expect(engine.alerts.map(\.summaryZH) == ["X 收到 ¥600.00（是）¥600.00", "Y 收到 ¥1,234.00（是）¥1,234.00", "Z 收到 ¥200.00（否）¥200.00"])
        #expect(engine.alerts.map(\.summaryEN) == ["¥600.00 to X (yes)", "¥1,234.00 to Y (yes)", "¥200.00 to Z (no)"])
    }

    /// `x in (…quoted strings…)` reads `x` once and compares it with each
    /// string (also for an enumeration and a division); a missing `x` makes
    /// both `in` and `not in` unknown, so neither fires.
    @Test(arguments: [
        (#"where purpose in ("fuel", "rent")"#, ["b"]),
        (#"where purpose not in ("fuel", "rent")"#, ["a"]),
        (#"where category in ("travel", "office")"#, ["a", "c"]),
        (#"where category not in ("travel", "office")"#, ["b"]),
        (#"where village in ("330521101202")"#, ["a", "b"]),
        (#"where village not in ("330521101202", "330521101209")"#, ["c"]),
    ])
    func aListOfStringsReadsItsValueOnceAndUnknownStaysUnknown(filter: String, fires: [String]) {
        let engine = Engine(ruleSet: Self.ruleSet("""
        rule l
          version 1
          severity high
          on finance.payment \(filter)
        end
        """), tables: ReferenceTables())
        let common = #""type":"finance.payment","voucher_no":"V","amount":100,"payee_id":"P","approver_id":"A""#
        engine.process(Self.event(#"{"event_id":"a",\#(common),"occurred_at":"2023-03-01T08:00:00+08:00","village":"330521101202","category":"travel","purpose":"food"}"#))
        engine.process(Self.event(#"{"event_id":"b",\#(common),"occurred_at":"2023-03-01T09:00:00+08:00","village":"330521101202","category":"other","purpose":"rent"}"#))
        engine.process(Self.event(#"{"event_id":"c",\#(common),"occurred_at":"2023-03-01T10:00:00+08:00","village":"330521101203","category":"office"}"#))
        #expect(engine.alerts.map(\.anchorEventID) == fires)
    }

    /// A rule pinned to villages is dispatched only for them and runs without
    /// its pins (the dispatch already tested them): what else its `where` says
    /// still holds, and each pinned village, and no other, gets its alerts.
    @Test(arguments: [
        (#"where village = "330521101202" and amount >= 500"#, ["p1"]),
        (#"where amount >= 500 and "330521101202" = village"#, ["p1"]),
        (#"where village in ("330521101202", "330521101203") where amount >= 500"#, ["p1", "q1"]),
        (#"where village = "330521101202" where village in ("330521101202", "330521101203")"#, ["p0", "p1"]),
        (#"where (village = "330521101202" or amount >= 500)"#, ["p0", "p1", "q1", "r1"]),
        (#"where village not in ("330521101202") and amount >= 500"#, ["q1", "r1"]),
    ])
    func aVillagePinnedRuleSeesItsVillagesAndTheRestOfItsFilter(filter: String, fires: [String]) {
        let rs = Self.ruleSet("""
        rule pinned
          version 1
          severity high
          on finance.payment \(filter)
          summary "{amount}"
        end
        """)
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        engine.eagerConditions = false
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        for (prefix, village) in [("p", "330521101202"), ("q", "330521101203"), ("r", "330521101204")] {
            for (i, amount) in [100, 900].enumerated() {
                t += TimeUnit.minute
                engine.process(Self.payment("\(prefix)\(i)", ShanghaiTime.formatUTC(t), amount: amount, village: village))
            }
        }
        #expect(engine.alerts.map(\.anchorEventID).sorted() == fires)
    }

    @Test func eventsOutOfOrderAreRefusedNotProcessed() {
        let engine = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
        #expect(engine.process(Self.payment("b", "2023-01-02T00:00:00Z")) == .processed)
        #expect(engine.process(Self.payment("a", "2023-01-01T00:00:00Z")) == .outOfOrder)
        #expect(engine.process(Self.payment("a", "2023-01-02T00:00:00Z")) == .outOfOrder, "same instant, smaller id")
        #expect(engine.process(Self.payment("b", "2023-01-02T00:00:00Z")) == .duplicate)
        #expect(engine.process(Self.payment("c", "2023-01-02T00:00:00Z")) == .processed)
        #expect(engine.alerts.map(\.anchorEventID) == ["c"])
        #expect(engine.stats.outOfOrder == 2)
    }

    @Test func aSharedBatchIsCheckedAsOneEventAtATime() {
        // The same events, one at a time and in batches cut at every place:
        // duplicates and events out of order inside a batch and across its start.
        let events = [
            Self.payment("b", "2023-01-02T00:00:00Z"), Self.payment("a", "2023-01-01T00:00:00Z"),
            Self.payment("a", "2023-01-02T00:00:00Z"), Self.payment("b", "2023-01-02T00:00:00Z"),
            Self.payment("c", "2023-01-02T00:00:00Z"), Self.payment("c", "2023-01-02T00:00:00Z"),
            Self.payment("b", "2023-01-02T00:00:00Z"), Self.payment("d", "2023-01-02T00:00:01Z"),
            Self.payment("d", "2023-01-02T00:00:01Z"), Self.payment("e", "2023-01-02T00:00:01Z"),
        ]
        let one = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
        for e in events { one.process(e) }
        #expect(one.stats.outOfOrder == 3 && one.stats.duplicates == 3 && one.stats.events == 4)
        for cut in 0...events.count {
            let batched = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
            var copy = events
            copy.withUnsafeMutableBufferPointer { buffer in
                batched.process(inPlace: UnsafeMutableBufferPointer(rebasing: buffer[..<cut]))
                batched.process(inPlace: UnsafeMutableBufferPointer(rebasing: buffer[cut...]))
            }
            #expect(batched.alerts == one.alerts, "cut at \(cut)")
            #expect(batched.stats.outOfOrder == 3 && batched.stats.duplicates == 3 && batched.stats.events == 4, "cut at \(cut)")
            #expect(batched.lastEventTime == one.lastEventTime)
            // The id kept at the end is the last processed one: "e" comes after "d" at the same instant.
            #expect(batched.process(Self.payment("d", "2023-01-02T00:00:01Z")) == .outOfOrder)
            #expect(batched.process(Self.payment("e", "2023-01-02T00:00:01Z")) == .duplicate)
        }
    }

    @Test func alertsCarryVersionSeverityFiguresAndBothSummaries() throws {
        let engine = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
        engine.process(Self.payment("p1", "2023-01-01T00:00:00Z", amount: 100))
        engine.process(Self.payment("p2", "2023-01-01T05:00:00Z", amount: 250))
        let a = try #require(engine.alerts.first)
        #expect(a.ruleID == "w" && a.ruleVersion == 2 && a.severity == .high)
        #expect(a.evidenceEventIDs == ["p1", "p2"])
        #expect(a.summaryZH == "2 笔 ¥350.00")
        #expect(a.summaryEN == "2 payments ¥350.00")
        #expect(a.figuresJSON == #"{"count":2,"sum(amount)":"350.00","window":"1d"}"#)
        #expect(a.key == "village=330521101202, payee_id=X")
        #expect(a.village.townshipCode == "330521101")
    }

    @Test func deadlinesFireOnlyWhenTheWatermarkReachesThem() {
        let rs = Self.ruleSet("""
        rule overdue
          version 1
          severity low
          on lease.rent_due as due
          expect finance.receipt where category = "rent"
            matching village, lease_id
            enough when sum(amount) >= due.amount
          deadline start_of_day(due.due_date + 1 days)
          summary "s"
        end
        """)
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        engine.process(Self.event(#"{"event_id":"d1","type":"lease.rent_due","occurred_at":"2023-03-01T09:00:00+08:00","village":"330521101202","lease_id":"L","due_date":"2023-03-01","amount":10}"#))
        #expect(engine.pendingDeadlines == 1)
        engine.advance(through: try! Timestamp.parse("2023-03-01T23:59:59+08:00").get())
        #expect(engine.alerts.isEmpty)
        engine.advance(through: try! Timestamp.parse("2023-03-02T00:00:00+08:00").get())
        #expect(engine.alerts.map(\.anchorEventID) == ["d1"])
        #expect(engine.alerts.first?.figures.contains { $0.name == "deadline" } == true)
        #expect(engine.pendingDeadlines == 0)
    }

    @Test func stateIsEvictedSoMemoryStaysBounded() {
        let engine = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        for i in 0..<20_000 {
            t += 10 * TimeUnit.minute
            engine.process(Self.payment("p\(i)", ShanghaiTime.formatUTC(t), payee: "payee-\(i)"))
        }
        // 20,000 distinct keys over 139 days; only the last day or so can matter.
        let live = engine.liveKeys()["w"] ?? 0
        #expect(live <= 24 * 6 * 2 + 10, "live keys: \(live)")
        #expect(engine.retainedEntries() <= 24 * 6 * 2 + 10)
    }

    /// A precedence rule's history with a lookback keeps only what is within
    /// it, also for a key fed without end and never checked (such a key is
    /// looked at only once it goes quiet: its old entries go as it is fed).
    @Test func aHistoryFedWithoutEndKeepsOnlyItsLookback() {
        let rule = """
        rule s
          version 1
          severity high
          on seal.usage
          require within 72 hours before seal.approval where decision = "approved"
            matching village, application_id
          summary "无审批"
          summary en "no approval"
        end
        """
        let engine = Engine(ruleSet: Self.ruleSet(rule), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        for i in 0..<2_000 {
            t += TimeUnit.hour
            engine.process(Self.event(#"{"event_id":"a\#(i)","type":"seal.approval","occurred_at":"\#(ShanghaiTime.formatUTC(t))","village":"330521101202","application_id":"APP","approver_id":"A","decision":"approved"}"#))
        }
        // 2,000 hourly approvals of one application; 72 hours (and the newest) can matter.
        #expect(engine.retainedEntries() <= 74, "entries: \(engine.retainedEntries())")
        engine.process(Self.event(#"{"event_id":"u","type":"seal.usage","occurred_at":"\#(ShanghaiTime.formatUTC(t + TimeUnit.minute))","village":"330521101202","seal_id":"S","operator_id":"O","document_type":"contract","application_id":"APP"}"#))
        #expect(engine.alerts.isEmpty)
    }

    @Test func deduplicatorForgetsOnlyBeyondItsHorizon() {
        var d = Deduplicator(horizon: TimeUnit.day)
        let a = Self.payment("a", "2023-01-01T00:00:00Z")
        let first = d.firstSighting(of: a)
        let second = d.firstSighting(of: a)
        #expect(first && !second)
        var exact = Deduplicator()
        for i in 0..<10_000 { _ = exact.firstSighting(of: Self.payment("x\(i)", "2023-01-01T00:00:00Z")) }
        let again = exact.firstSighting(of: Self.payment("x0", "2023-06-01T00:00:00Z"))
        #expect(!again, "without a horizon every id is remembered")
        for i in 0..<10_000 { _ = d.firstSighting(of: Self.payment("y\(i)", "2023-02-01T00:00:00Z")) }
        #expect(d.count < 10_002, "old ids were forgotten")
    }

    @Test func villagePinnedRulesRunOnlyForTheirVillage() {
        var text = ""
        for v in 0..<100 {
            text += """
            rule big-\(v)
              version 1
              severity low
              on finance.payment where village = "3305211012\(v < 10 ? "0" : "")\(v)" and amount >= \(v + 1)
              summary "s"
            end

            """
        }
        let rs = Self.ruleSet(text)
        #expect(rs.triggers[Int(EventType.financePayment.rawValue)].isEmpty, "all rules are village-pinned")
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        engine.process(Self.payment("p1", "2023-01-01T00:00:00Z", amount: 50, village: "330521101207"))
        engine.process(Self.payment("p2", "2023-01-01T00:00:01Z", amount: 5, village: "330521101207"))
        #expect(engine.alerts.map { "\($0.ruleID) \($0.anchorEventID)" } == ["big-7 p1"])
    }

    @Test func parametersAreOverriddenPerVillageAndTownship() {
        let text = """
        rule many
          version 1
          severity low
          param limit = 1000 yuan
          on finance.payment where amount >= limit
          summary "{amount} ≥ {limit}"
        end
        """
        let rs = Self.ruleSet(text, overrides: [
            .init(rule: "many", name: "limit", scope: .township(330521101), value: NumScale.fromInt(500)),
            .init(rule: nil, name: "limit", scope: .village(330521101203), value: NumScale.fromInt(50)),
        ])
        let engine = Engine(ruleSet: rs, tables: ReferenceTables())
        engine.process(Self.payment("a", "2023-01-01T00:00:00Z", amount: 600, village: "330521101202"))
        engine.process(Self.payment("b", "2023-01-01T00:00:01Z", amount: 60, village: "330521101203"))
        engine.process(Self.payment("c", "2023-01-01T00:00:02Z", amount: 600, village: "330521001200"))
        engine.process(Self.payment("d", "2023-01-01T00:00:03Z", amount: 1000, village: "330521001200"))
        #expect(engine.alerts.map(\.anchorEventID) == ["a", "b", "d"])
        #expect(engine.alerts.first?.summaryZH == "¥600.00 ≥ ¥500.00")
    }

    /// min/max over predecessors read every predecessor kept, not only the
    /// few kept for evidence (a bug until 2026-11-27: the scan read the last 8).
    @Test(arguments: [false, true])
    func maxOverPredecessorsSeesTheFirstOfMany(_ lookback: Bool) throws {
        let rule = """
        rule big-approval
          version 1
          severity high
          on procurement.contract
          require \(lookback ? "within 90 days " : "")before procurement.approval
            matching village, procurement_id
            having max(approved_amount) >= amount
          summary "{max(approved_amount)}"
        end
        """
        let engine = Engine(ruleSet: Self.ruleSet(rule), tables: ReferenceTables())
        func approval(_ i: Int, _ amount: Int) -> Event {
            Self.event(#"{"event_id":"a\#(i)","type":"procurement.approval","occurred_at":"2023-03-\#(10 + i)T10:00:00+08:00","village":"330521101202","procurement_id":"CG-1","approver_id":"C1","approved_amount":\#(amount)}"#)
        }
        engine.process(approval(0, 50_000))
        for i in 1...11 { engine.process(approval(i, 100)) }
        engine.process(Self.event(#"{"event_id":"c1","type":"procurement.contract","occurred_at":"2023-04-01T10:00:00+08:00","village":"330521101202","procurement_id":"CG-1","vendor_id":"VEN1","amount":20000,"signed_by":"C1"}"#))
        #expect(engine.alerts.isEmpty, "the first approval (50,000) covers the contract: \(engine.alerts.map(\.summaryZH))")
        engine.process(Self.event(#"{"event_id":"c2","type":"procurement.contract","occurred_at":"2023-04-02T10:00:00+08:00","village":"330521101202","procurement_id":"CG-1","vendor_id":"VEN1","amount":60000,"signed_by":"C1"}"#))
        let a = try #require(engine.alerts.first)
        #expect(a.anchorEventID == "c2" && a.summaryZH == "¥50,000.00")
        #expect(a.evidenceEventIDs.count == 9, "evidence: the latest 8 approvals and the contract")
    }

    /// count(distinct …) of a window is found by scanning a key's few entries,
    /// and by multiplicity tables once a key holds more than
    /// `AggregateLayout.scanLimit`; both must give the brute-force count as
    /// the window slides, grows past the limit and shrinks again.
    @Test func distinctCountsInAWindowMatchABruteForceCount() {
        let rule = """
        rule spread
          version 1
          severity low
          on finance.payment
          group by payee_id
          within 10 hours
          fire when count(distinct village) >= 3 and count(distinct village) <= 4
          summary "{count(distinct village)}"
        end
        """
        let engine = Engine(ruleSet: Self.ruleSet(rule), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        var sent: [(time: Instant, village: Int)] = []
        var expected: [(id: String, distinct: Int)] = []
        var held = false
        for i in 0..<3_000 {
            // Bursts every 2 minutes, then quiet hours: a key holds 1 to 300 entries.
            t += (i / 300) % 2 == 0 ? 2 * TimeUnit.minute : 80 * TimeUnit.minute
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            // Mostly a few villages, sometimes many.
            let spread = [9, 2, 4, 1, 5][(i / 40) % 5]
            let village = Int(rng >> 33) % spread + 1
            engine.process(Self.payment("p\(String(i + 10_000))", ShanghaiTime.formatUTC(t), payee: "P",
                                        village: "33052110120\(village)"))
            sent.append((t, village))
            let inWindow = sent.filter { $0.time >= t - 10 * TimeUnit.hour }
            let distinct = Set(inWindow.map(\.village)).count
            let holds = distinct >= 3 && distinct <= 4
            if holds && !held { expected.append(("p\(String(i + 10_000))", distinct)) }
            held = holds
        }
        #expect(expected.count > 20, "the test crosses the condition often: \(expected.count)")
        #expect(engine.alerts.map(\.anchorEventID) == expected.map(\.id))
        #expect(engine.alerts.map(\.summaryZH) == expected.map { "\($0.distinct)" })
    }

    /// A window decided from its keys' counts and running sums, its
    /// count(distinct …) counted only when read (`AggregateLayout.fillRunning`,
    /// the compiler testing the sum first): the same alerts and figures as a
    /// brute-force count, with `and` and `or`, through sums past 64 bits (the
    /// key then walks its entries until it is forgotten) and keys forgotten
    /// between bursts.
    @Test func runningSumsAndPendingDistinctCountsMatchABruteForceCount() {
        let rules = """
        rule both
          version 1
          severity low
          on finance.payment
          group by payee_id
          within 20 minutes
          fire when count(distinct village) >= 2 and sum(amount) >= 600
          summary "{count}"
        end
        rule either
          version 1
          severity low
          on finance.payment
          group by payee_id
          within 20 minutes
          fire when count(distinct village) >= 4 or sum(amount) >= 2000
          summary "{count}"
        end
        """
        let engine = Engine(ruleSet: Self.ruleSet(rules), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        var rng: UInt64 = 0x2545_F491_4F6C_DD1D
        var sent: [(time: Instant, payee: Int, village: Int, yuan: Int)] = []
        var expected: [String: [(id: String, distinct: Int, fen: Int64)]] = ["both": [], "either": []]
        var held: [String: [Int: Bool]] = ["both": [:], "either": [:]]
        for i in 0..<4_000 {
            // Bursts a minute apart, then quiet half days (every key forgotten).
            t += (i / 250) % 2 == 0 ? TimeUnit.minute : 12 * TimeUnit.hour
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let payee = Int(rng >> 60) % 3
            let village = Int(rng >> 40) % [1, 2, 3, 6][(i / 100) % 4] + 1
            // Now and then 10^11 yuan: 10^19 in the engine's units, past a 64-bit sum.
            let yuan = Int(rng >> 20) % 97 == 0 ? 100_000_000_000 : 20 + Int(rng >> 33) % 300
            let id = "q\(String(i + 10_000))"
            engine.process(Self.payment(id, ShanghaiTime.formatUTC(t), amount: yuan, payee: "P\(payee)", village: "33052110120\(village)"))
            sent.append((t, payee, village, yuan))
            let inWindow = sent.filter { $0.payee == payee && $0.time >= t - 20 * TimeUnit.minute }
            let distinct = Set(inWindow.map(\.village)).count
            let yuanSum = inWindow.reduce(0) { $0 + $1.yuan }
            for (rule, holds) in [("both", distinct >= 2 && yuanSum >= 600), ("either", distinct >= 4 || yuanSum >= 2000)] {
                if holds && held[rule]![payee] != true { expected[rule]!.append((id, distinct, Int64(yuanSum) * 100)) }
                held[rule]![payee] = holds
            }
        }
        for rule in ["both", "either"] {
            let got = engine.alerts.filter { $0.ruleID == rule }
            let want = expected[rule]!
            #expect(want.count > 30 && want.contains { $0.fen > 10_000_000_000_000 }, "\(rule) crosses its condition often, with big sums too: \(want.count)")
            #expect(got.map(\.anchorEventID) == want.map(\.id), "\(rule)")
            #expect(got.map { a in a.figures.first { $0.name == "count(distinct village)" }?.value } == want.map { .number(micros: Int64($0.distinct) * 1_000_000) })
            #expect(got.map { a in a.figures.first { $0.name == "sum(amount)" }?.value } == want.map { .money(fen: $0.fen) })
        }
    }

    /// Without an evidence store the engine keeps evidence in memory and
    /// frees what no state names any more; what is still named reads back
    /// exactly, across many collections.
    @Test func evidenceInMemoryIsFreedAndWhatIsKeptReadsBack() throws {
        let engine = Engine(ruleSet: Self.ruleSet(Self.windowRule), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        var raw: [String: [UInt8]] = [:]
        var most = 0
        for i in 0..<140_000 {
            t += TimeUnit.minute
            // Three payments per payee, a minute apart: the second fires, naming the first two.
            // (Collections come at multiples of 65,536 events, between a payee's first and second.)
            let e = Self.payment("p\(i)", ShanghaiTime.formatUTC(t), amount: 100 + i % 7, payee: "payee-\(i / 3)")
            raw[e.id] = e.raw
            engine.process(e)
            most = max(most, engine.evidenceInMemory)
        }
        #expect(most <= 65_536 + 1, "evidence in memory at most: \(most)")
        #expect(engine.alerts.count == 46_667)
        for a in engine.alerts {
            let second = Int(a.anchorEventID.dropFirst())!
            guard a.evidenceEventIDs == ["p\(second - 1)", "p\(second)"] else {
                Issue.record("the alert of \(a.anchorEventID) names \(a.evidenceEventIDs)")
                return
            }
            for (id, bytes) in zip(a.evidenceEventIDs, a.evidence) where raw[id] != bytes {
                Issue.record("evidence of \(id) in the alert of \(a.anchorEventID) differs")
                return
            }
        }
    }

    /// The same for a precedence rule's history: the approvals it keeps
    /// survive collections and are named correctly.
    @Test func predecessorEvidenceInMemorySurvivesCollections() throws {
        let rule = """
        rule two-approvals
          version 1
          severity high
          on procurement.contract
          require within 1 days before procurement.approval
            matching village, procurement_id
            having count >= 2
          summary "{count}"
        end
        """
        let engine = Engine(ruleSet: Self.ruleSet(rule), tables: ReferenceTables())
        var t = try! Timestamp.parse("2023-01-01T00:00:00Z").get()
        for i in 0..<140_000 {
            t += TimeUnit.minute
            // An approval, one of another procurement, a contract: the contract fires naming the first.
            // (The first collection comes at 65,536 approvals, between an approval and its contract.)
            let at = ShanghaiTime.formatUTC(t)
            switch i % 3 {
            case 0: engine.process(Self.event(#"{"event_id":"a\#(i)","type":"procurement.approval","occurred_at":"\#(at)","village":"330521101202","procurement_id":"CG-\#(i / 3)","approver_id":"C1","approved_amount":100}"#))
            case 1: engine.process(Self.event(#"{"event_id":"a\#(i)","type":"procurement.approval","occurred_at":"\#(at)","village":"330521101202","procurement_id":"OTHER-\#(i)","approver_id":"C1","approved_amount":100}"#))
            default: engine.process(Self.event(#"{"event_id":"c\#(i)","type":"procurement.contract","occurred_at":"\#(at)","village":"330521101202","procurement_id":"CG-\#(i / 3)","vendor_id":"VEN1","amount":20000,"signed_by":"C1"}"#))
            }
        }
        #expect(engine.evidenceInMemory <= 65_536)
        #expect(engine.alerts.count == 46_666)
        for a in engine.alerts {
            let contract = Int(a.anchorEventID.dropFirst())!
            guard a.evidenceEventIDs == ["a\(contract - 2)", "c\(contract)"],
                  let approval = a.evidence.first, String(decoding: approval, as: UTF8.self).contains("\"a\(contract - 2)\"") else {
                Issue.record("the alert of \(a.anchorEventID) names \(a.evidenceEventIDs)")
                return
            }
        }
    }
}

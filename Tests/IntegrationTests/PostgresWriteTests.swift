import AlertStore
import EventModel
import TestSupport
import Testing

@Suite("Postgres alert writes")
struct PostgresWriteTests {
    struct Boom: Error {}

    @Test(arguments: [5, 300])
    func writingTheSameAlertsTwiceKeepsOneRowEach(count: Int) async throws {
        try await TestPostgres.withStore { store, _ in
            let alerts = PostgresFixtures.alerts(0..<count)
            let first = try await store.write(alerts: alerts)
            #expect(first.alertsInserted == count)
            let second = try await store.write(alerts: alerts + alerts.prefix(3))
            #expect(second.alertsInserted == 0)
            #expect(second.alertsSkipped == count + 3)
            #expect(try await store.countAlerts() == count)
        }
    }

    /// A large batch none of whose alerts is stored is copied straight into
    /// `alerts`; one that meets a stored alert only then (here: the same
    /// alert twice in the batch) is rolled back to its savepoint and staged,
    /// and one with stored alerts is staged from the start — each keeps one
    /// row per alert and counts what it stored.
    @Test func directCopyFallsBackToStagingOnAConflict() async throws {
        try await TestPostgres.withStore { store, _ in
            let fresh = PostgresFixtures.alerts(0..<200)
            let withRepeat = fresh + [fresh[17]]
            let first = try await store.write(alerts: withRepeat)
            #expect(first.alertsInserted == 200 && first.alertsSkipped == 1)
            let overlapping = PostgresFixtures.alerts(150..<400)
            let second = try await store.write(alerts: overlapping)
            #expect(second.alertsInserted == 200 && second.alertsSkipped == 50)
            #expect(try await store.countAlerts() == 400)
        }
    }

    /// A batch written as `fresh` (nothing stored when the writes began)
    /// skips the question; if it meets stored alerts after all, the copy
    /// falls back to staging and stores the rest.
    @Test func aFreshBatchThatMeetsStoredAlertsStillStoresTheRest() async throws {
        try await TestPostgres.withStore { store, _ in
            let (emptyBefore, first, second, emptyAfter) = try await store.withConnection { c in
                let emptyBefore = try c.alertsTableIsEmpty()
                let first = try c.write(alerts: PostgresFixtures.alerts(0..<200), deadLetters: [], fresh: true)
                let second = try c.write(alerts: PostgresFixtures.alerts(150..<400), deadLetters: [], fresh: true)
                return (emptyBefore, first, second, try c.alertsTableIsEmpty())
            }
            #expect(emptyBefore && !emptyAfter)
            #expect(first.alertsInserted == 200 && first.alertsSkipped == 0)
            #expect(second.alertsInserted == 200 && second.alertsSkipped == 50)
            #expect(try await store.countAlerts() == 400)
        }
    }

    @Test func everyFieldRoundTripsExactly() async throws {
        try await TestPostgres.withStore { store, _ in
            var a = PostgresFixtures.alert(7)
            a.anchorTime = 1_700_000_000_123_457
            a.firstEvidenceAt = -86_400_000_001  // before 1970, odd microseconds
            a.lastEvidenceAt = 253_402_300_799_999_999  // 9999-12-31T23:59:59.999999Z
            a.evidenceEventIDs = ["E7", "with \"quote\"", "back\\slash", "comma,brace}", "NULL", ""]
            a.summaryEN = "tab\there, newline\nthere, nul\u{0}gone"
            try await store.write(alerts: [a])
            let stored = try #require(try await store.alert(identity: a.identity))
            #expect(stored.ruleID == a.ruleID)
            #expect(stored.ruleVersion == 2)
            #expect(stored.anchorTime == a.anchorTime)
            #expect(stored.firstEvidenceAt == a.firstEvidenceAt)
            #expect(stored.lastEvidenceAt == a.lastEvidenceAt)
            #expect(stored.severity == .high)
            #expect(stored.village == a.village)
            #expect(stored.township == a.village.townshipCode)
            #expect(stored.district == a.village.districtCode)
            #expect(stored.key == a.key)
            #expect(stored.evidenceEventIDs == a.evidenceEventIDs)
            #expect(stored.summaryZH == a.summaryZH)
            #expect(stored.summaryEN == "tab\there, newline\nthere, nul\u{FFFD}gone")
            #expect(stored.figuresJSON.contains(#""total": "13950.00""#))
            let evidence = a.evidence.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
            #expect(stored.evidenceJSON == "[" + evidence + "]")
            #expect(stored.status == .new)
            #expect(stored.assignee == nil && stored.disposition == nil && stored.dispositionReason == nil)
            #expect(try await store.alert(id: stored.id) == stored)
        }
    }

    /// The COPY path (binary format) stores what the INSERT path (text
    /// parameters) stores, on values each encodes differently: times before
    /// 1970 and at the end of year 9999, U+0000 in text and evidence, invalid
    /// UTF-8 evidence, quotes and backslashes in array elements, an empty
    /// id list, a large version.
    @Test func copyAndInsertPathsAgreeOnEdgeValues() async throws {
        func edge(_ i: Int, rule: String) -> Alert {
            var a = PostgresFixtures.alert(i, rule: rule)
            a.ruleVersion = Int(Int32.max)
            a.firstEvidenceAt = -86_400_000_001 - Int64(i)
            a.lastEvidenceAt = 253_402_300_799_999_999
            a.evidenceEventIDs = i % 3 == 0 ? [] : ["E\(i)", "with \"quote\"", "back\\slash", "comma,brace}", "NULL", "", "nul\u{0}id", "王🧧"]
            a.key = "village=\(a.village) tab\there"
            a.summaryZH = "村\u{0}务 \\ \"\n第\(i)"
            a.figures.append(Figure("payee", .text("名\u{0}\"q\" \\")))
            a.evidence.append([0x7B, 0x22, 0x78, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])  // {"x":"\xFF\xFE"}: not UTF-8
            return a
        }
        try await TestPostgres.withStore { store, _ in
            let viaCopy = (0..<70).map { edge($0, rule: "split-payments") }
            try await store.write(alerts: viaCopy)  // COPY (≥ 64)
            let viaInsert = (0..<70).map { edge($0, rule: "other-rule") }
            for start in stride(from: 0, to: 70, by: 7) {
                try await store.write(alerts: Array(viaInsert[start..<(start + 7)]))  // multi-row INSERT
            }
            #expect(try await store.countAlerts() == 140)
            for i in 0..<70 {
                let c = try #require(try await store.alert(identity: viaCopy[i].identity))
                let n = try #require(try await store.alert(identity: viaInsert[i].identity))
                #expect(c.ruleVersion == Int(Int32.max) && n.ruleVersion == c.ruleVersion)
                #expect(c.anchorTime == viaCopy[i].anchorTime && n.anchorTime == c.anchorTime)
                #expect(c.firstEvidenceAt == viaCopy[i].firstEvidenceAt && n.firstEvidenceAt == c.firstEvidenceAt)
                #expect(c.lastEvidenceAt == viaCopy[i].lastEvidenceAt && n.lastEvidenceAt == c.lastEvidenceAt)
                #expect(c.evidenceEventIDs == n.evidenceEventIDs)
                #expect(c.evidenceEventIDs.count == viaCopy[i].evidenceEventIDs.count)
                #expect(c.evidenceJSON == n.evidenceJSON)
                #expect(c.figuresJSON == n.figuresJSON)
                #expect((c.key, c.summaryZH, c.summaryEN) == (n.key, n.summaryZH, n.summaryEN))
                #expect((c.village, c.township, c.district, c.severity) == (n.village, n.township, n.district, n.severity))
            }
            let c = try #require(try await store.alert(identity: viaCopy[1].identity))
            #expect(c.evidenceEventIDs == ["E1", "with \"quote\"", "back\\slash", "comma,brace}", "NULL", "", "nul\u{FFFD}id", "王🧧"])
            #expect(c.summaryZH == "村\u{FFFD}务 \\ \"\n第1")
            #expect((c.evidenceJSON ?? "").hasSuffix(#",{"x":"\#u{FFFD}\#u{FFFD}"}]"#))
        }
    }

    @Test func copyAndInsertPathsStoreTheSameValues() async throws {
        try await TestPostgres.withStore { store, _ in
            let viaCopy = PostgresFixtures.alerts(0..<100)
            try await store.write(alerts: viaCopy)  // COPY (≥ 64)
            let viaInsert = PostgresFixtures.alerts(0..<5, rule: "other-rule")
            try await store.write(alerts: viaInsert)  // multi-row INSERT
            for i in 0..<5 {
                let c = try #require(try await store.alert(identity: viaCopy[i].identity))
                let n = try #require(try await store.alert(identity: viaInsert[i].identity))
                #expect(c.evidenceJSON == n.evidenceJSON)
                #expect(c.figuresJSON == n.figuresJSON)
                #expect(c.evidenceEventIDs == n.evidenceEventIDs)
                #expect((c.anchorTime, c.summaryZH, c.key) == (n.anchorTime, n.summaryZH, n.key))
            }
        }
    }

    @Test(arguments: [4, 200])
    func analystChangesSurviveARewrite(count: Int) async throws {
        try await TestPostgres.withStore { store, _ in
            let alerts = PostgresFixtures.alerts(0..<count)
            try await store.write(alerts: alerts)
            let target = alerts[1].identity
            try await store.withConnection { c in
                try c.execute("""
                    UPDATE alerts SET status = 'closed', assignee = 'li.na', disposition = 'false_positive',
                           disposition_reason = '已核实', updated_at = now()
                    WHERE rule_id = $1 AND anchor_event_id = $2
                    """, params: [target.ruleID, target.anchorEventID])
            }
            var changed = alerts
            changed[1].summaryEN = "rewritten"
            changed[1].severity = .critical
            let summary = try await store.write(alerts: changed)
            #expect(summary.alertsInserted == 0)
            let stored = try #require(try await store.alert(identity: target))
            #expect(stored.status == .closed)
            #expect(stored.assignee == "li.na")
            #expect(stored.disposition == .falsePositive)
            #expect(stored.dispositionReason == "已核实")
            #expect(stored.summaryEN == alerts[1].summaryEN)
            #expect(stored.severity == .high)
        }
    }

    @Test(arguments: [3, 150])
    func deadLettersDedupe(count: Int) async throws {
        try await TestPostgres.withStore { store, _ in
            let letters = (0..<count).map { PostgresFixtures.deadLetter($0) }
            let first = try await store.write(alerts: [], deadLetters: letters)
            #expect(first.deadLettersInserted == count)
            let second = try await store.write(alerts: [], deadLetters: letters)
            #expect(second.deadLettersInserted == 0 && second.deadLettersSkipped == count)
            // Same position, other bytes: a different dead letter.
            var other = letters[0]
            other.raw += [0x20]
            #expect(try await store.write(alerts: [], deadLetters: [other]).deadLettersInserted == 1)
            #expect(try await store.countDeadLetters() == count + 1)
            let stored = try await store.deadLetters(limit: 1000)
            let original = try #require(stored.first { $0.position == 1 && $0.raw == letters[0].raw })
            #expect(original.sourceKind == "file")
            #expect(original.sourceName == "ledger-2024-03.jsonl")
            #expect(original.kind == "bad_amount")
            #expect(original.reason == "bad_amount: field 'amount': negative amount")
            #expect(original.eventID == "bad0")
            #expect(original.rawSHA256.count == 32)
        }
    }

    @Test func kafkaDeadLettersKeepTopicPartitionAndOffset() async throws {
        try await TestPostgres.withStore { store, _ in
            let letter = DeadLetter(source: .kafka(topic: "village.finance", partition: 3, offset: 1_234_567_890_123),
                                    raw: Array("late".utf8), error: DecodeError(.late, "older than the watermark"))
            try await store.write(alerts: [], deadLetters: [letter, letter])
            let stored = try await store.deadLetters()
            #expect(stored.count == 1)
            #expect(stored[0].sourceKind == "kafka")
            #expect(stored[0].sourceName == "village.finance/3")
            #expect(stored[0].position == 1_234_567_890_123)
            #expect(stored[0].eventID == nil)
        }
    }

    @Test(arguments: [10, 500])
    func aTransactionThatThrowsLeavesNothing(count: Int) async throws {
        try await TestPostgres.withStore { store, _ in
            let alerts = PostgresFixtures.alerts(0..<count)
            let letters = (0..<count).map { PostgresFixtures.deadLetter($0) }
            await #expect(throws: Boom.self) {
                try await store.withTransaction { c in
                    try c.write(alerts: alerts, deadLetters: letters)
                    try c.execute("CREATE TABLE caller_rows (x int)")
                    throw Boom()
                }
            }
            #expect(try await store.countAlerts() == 0)
            #expect(try await store.countDeadLetters() == 0)
            let table = try await store.withConnection { c in try c.execute("SELECT to_regclass('caller_rows')::text").scalar }
            #expect(table == nil)
            // The connection is clean afterwards and the same rows go in.
            let summary = try await store.write(alerts: alerts, deadLetters: letters)
            #expect(summary.alertsInserted == count && summary.deadLettersInserted == count)
        }
    }

    @Test func callersCommitTheirRowsWithTheAlerts() async throws {
        try await TestPostgres.withStore { store, _ in
            try await store.withConnection { c in try c.execute("CREATE TABLE test_offsets (p int PRIMARY KEY, o bigint)") }
            let batches = [PostgresFixtures.alerts(0..<3), PostgresFixtures.alerts(3..<100)]
            for (n, batch) in batches.enumerated() {
                let summary = try await store.withTransaction { c in
                    var s = try c.write(alerts: batch, deadLetters: [])
                    s.add(try c.write(alerts: batch, deadLetters: []))  // twice in one transaction
                    try c.execute("INSERT INTO test_offsets VALUES (0, $1::int8) ON CONFLICT (p) DO UPDATE SET o = excluded.o",
                                  params: [String(n)])
                    return s
                }
                #expect(summary.alertsInserted == batch.count && summary.alertsSkipped == batch.count)
            }
            #expect(try await store.countAlerts() == 100)
            #expect(try await store.withConnection { c in try c.execute("SELECT o FROM test_offsets").scalar } == "1")
        }
    }
}

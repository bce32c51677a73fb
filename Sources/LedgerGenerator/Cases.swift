import EventModel

/// A field value of an injected event.
enum CV {
    /// A string.
    case s([UInt8])
    /// A static string.
    case t(StaticString)
    /// Money in the system's habit.
    case money(Int64)
    /// Money in a given habit.
    case moneyAs(Int64, MoneyHabit)
    /// A JSON number from micro-units (hours, quantity).
    case num(Int64)
    /// `YYYY-MM-DD`
    case date(Int64)
    /// `YYYY-MM` of the month containing the day.
    case month(Int64)
    case null
    /// An array of strings.
    case list([[UInt8]])
}

/// Injected cases. Every case gives its keys (payees, procurement ids, leases,
/// applications, workers, projects) ids that the background never uses, so
/// that its outcome depends only on its own events and on RULES.md. Events of
/// different cases never share a key either.
extension Producer {
    mutating func planCases() {
        pr = SplitMix64(seed: config.seed, stream: 7)
        let n = config.villages
        caseProcurement = [Int](repeating: 0, count: n)
        caseApplication = [Int](repeating: 0, count: n)
        caseLease = [Int](repeating: 0, count: n)
        caseProject = [Int](repeating: 0, count: n)
        let rounds = Swift.max(1, Swift.min(40, config.villages * config.days / 2000))
        for _ in 0..<rounds {
            casesR01(); casesR02(); casesR03(); casesR04(); casesR05(); casesR06(); casesR07()
            casesR08(); casesR09(); casesR10(); casesR11(); casesR12(); casesR13(); casesR14()
        }
        makeSentinel()
    }

    /// The ledger's last event, at local midnight after the last day: the bank
    /// posts the year's interest. It fixes the ledger's largest `occurred_at`
    /// (R09's edge cases depend on it).
    private mutating func makeSentinel() {
        let t = Producer.midnight(config.endDay)
        let bank = world.newCode("91", region: world.districtCodes[world.villages[0].district], &pr)
        put(.financeReceipt, 0, at: t, [("voucher_no", .t("SK-INTEREST")), ("amount", .moneyAs(12_37, .numberMinimal)),
                                        ("payer_id", .s(bank)), ("category", .t("other"))], sys: Systems.financeSanzi, habit: .localSeconds)
        sentinel = plannedCases.removeLast()
    }

    // MARK: ids and places

    func defaultSystem(_ type: EventType, _ v: Int) -> Int {
        let vil = world.villages[v]
        switch type {
        case .financePayment, .financeReceipt: return vil.finance
        case .procurementRequest, .procurementApproval, .procurementQuote, .procurementContract, .procurementAcceptance: return vil.procurement
        case .laborAttendance: return vil.attendance
        case .laborWage: return Systems.laborRealName
        case .leaseContract, .leaseRentDue, .leaseRenewed, .leaseTerminated: return vil.lease
        case .sealApplication, .sealApproval, .sealUsage: return vil.seal
        }
    }

    /// Writes an injected event and returns its event id.
    @discardableResult
    mutating func put(_ type: EventType, _ v: Int, at t: Instant, _ fields: [(StaticString, CV)], sys: Int? = nil,
                      habit: TimeHabit? = nil, id: [UInt8]? = nil, flags: UInt8 = 0) -> String {
        let s = sys ?? defaultSystem(type, v)
        let eid = id ?? caseID(sys: s, village: v, at: t)
        begin(type, sys: s, village: v, at: t, id: eid, habit: habit, flags: flags)
        for (k, value) in fields {
            w.key(k)
            switch value {
            case .s(let b): w.string(b)
            case .t(let st): w.string(st)
            case .money(let fen): w.money(fen, cur.moneyHabit)
            case .moneyAs(let fen, let h): w.money(fen, h)
            case .num(let m): w.micros(m)
            case .date(let d): w.date(d)
            case .month(let d): w.month(ofDay: d)
            case .null: w.null()
            case .list(let items):
                w.byte(UInt8(ascii: "["))
                for (i, item) in items.enumerated() {
                    if i > 0 { w.raw(systems[s].compact ? "," : ", ") }
                    w.string(item)
                }
                w.byte(UInt8(ascii: "]"))
            }
        }
        finish()
        return String(decoding: eid, as: UTF8.self)
    }

    /// Two ids, for events at the same instant, such that the first is
    /// smaller in byte order (RULES.md: ties go by `event_id` byte order).
    mutating func orderedIDs(first aSystems: [Int], _ av: Int, then bSystems: [Int], _ bv: Int, at t: Instant)
        -> (aSys: Int, a: [UInt8], bSys: Int, b: [UInt8])? {
        for _ in 0..<6 {
            for sa in aSystems {
                for sb in bSystems {
                    let a = caseID(sys: sa, village: av, at: t)
                    let b = caseID(sys: sb, village: bv, at: t)
                    if a.lexicographicallyPrecedes(b) { return (sa, a, sb, b) }
                }
            }
        }
        return nil
    }

    mutating func gt(_ rule: PackRule, _ id: String, _ expect: GroundTruthCase.Expectation, _ name: String) {
        groundTruth.append(GroundTruthCase(rule: rule, anchorEventID: id, expect: expect, caseName: name))
    }

    /// A base day with `before` days of ledger before it and `after` days after it, or nil.
    mutating func caseDay(before: Int, after: Int) -> Int64? {
        let lo = config.startDay + Int64(before)
        let hi = config.endDay - 1 - Int64(after)
        guard lo <= hi else { return nil }
        return pr.int64(lo, hi)
    }

    /// A village, optionally of a limit class.
    mutating func caseVillage(_ classes: [LimitClass]? = nil) -> Int? {
        guard let classes else { return pr.int(config.villages) }
        let options = world.villages.indices.filter { classes.contains(world.villages[$0].limitClass) }
        return options.isEmpty ? nil : options[pr.int(options.count)]
    }

    /// `k` distinct villages, or nil.
    mutating func distinctVillages(_ k: Int) -> [Int]? {
        guard config.villages >= k else { return nil }
        var out: [Int] = []
        while out.count < k {
            let v = pr.int(config.villages)
            if !out.contains(v) { out.append(v) }
        }
        return out
    }

    /// An office-hours instant (whole seconds) of a day.
    mutating func officeT(_ day: Int64) -> Instant {
        let secs = pr.chance(0.5) ? pr.int(8 * 3600 + 30 * 60, 11 * 3600 + 30 * 60) : pr.int(14 * 3600, 17 * 3600)
        return Producer.midnight(day) + Int64(secs) * TimeUnit.second
    }

    /// A person of a village (listed in `people.csv` unless `listed` is false), with a reserved id.
    mutating func freshPerson(_ v: Int, role: Role = .villager, listed: Bool = true) -> Int {
        var rng = pr
        let p = world.addPerson(village: listed ? v : -1, role: role, listed: listed,
                                region: world.districtCodes[world.villages[v].district], reserved: true, &rng)
        pr = rng
        return p
    }

    /// An unlisted person id nobody else uses (a payee, a worker).
    mutating func freshID(_ v: Int) -> [UInt8] { world.people[freshPerson(v, listed: false)].id }

    /// A vendor in `vendors.csv` with the given people (fresh unrelated ones by default).
    mutating func freshVendor(_ v: Int, kind: VendorKind = .construction, legalRep: [UInt8]? = nil, shareholders: [[UInt8]]? = nil) -> [UInt8] {
        let rep = legalRep ?? freshID(v)
        let holders = shareholders ?? (pr.chance(0.5) ? [freshID(v)] : [])
        let prefix: StaticString = pr.chance(0.8) ? "91" : "92"
        var rng = pr
        let code = world.newCode(prefix, region: world.districtCodes[world.villages[v].district], &rng)
        pr = rng
        let options = Identity.industries.filter { $0.1 == kind }
        let name = String(world.districtNames[world.villages[v].district].prefix(2)) + pr.pick(Identity.tradeNames) + pr.pick(options).0
        world.vendors.append(Vendor(id: code, name: Array(name.utf8), legalRep: rep, shareholders: holders, kind: kind, district: world.villages[v].district))
        return code
    }

    /// `CG-<year>-9nnn`: the background numbers its procurements from 0001 and never reaches 9000.
    mutating func freshProcurementID(_ v: Int, _ day: Int64, sharedWith other: Int? = nil) -> [UInt8] {
        let n = nextCaseNumber(&caseProcurement, v, other)
        var pw = LineWriter()
        pw.raw("CG-"); pw.uint(UInt64(CivilDate.date(fromDays: day).year)); pw.raw("-9"); pw.uint(UInt64(n), width: 3)
        return pw.bytes
    }

    /// `SQ<date>-9nnn`: background application numbers have three digits.
    mutating func freshApplicationID(_ v: Int, _ day: Int64, sharedWith other: Int? = nil) -> [UInt8] {
        let n = nextCaseNumber(&caseApplication, v, other)
        var pw = LineWriter()
        pw.raw("SQ"); pw.compactDate(day); pw.raw("-9"); pw.uint(UInt64(n), width: 3)
        return pw.bytes
    }

    /// `ZL-5nnn`: background lease numbers have three digits (or the `ZC<year>-nn` habit).
    mutating func freshLeaseID(_ v: Int, sharedWith other: Int? = nil) -> [UInt8] {
        let n = nextCaseNumber(&caseLease, v, other)
        var pw = LineWriter()
        pw.raw("ZL-5"); pw.uint(UInt64(n), width: 3)
        return pw.bytes
    }

    /// The next case number of a village; for a key used in two villages, one
    /// that neither has used, so that the key stays fresh in both.
    private func nextCaseNumber(_ counters: inout [Int], _ v: Int, _ other: Int?) -> Int {
        var n = counters[v] + 1
        if let other { n = Swift.max(n, counters[other] + 1); counters[other] = n }
        counters[v] = n
        return n
    }

    /// `XM<village>-<yy>K<nnn>`: background projects use `L` and `G`.
    mutating func freshProjectID(_ v: Int, _ day: Int64) -> [UInt8] {
        caseProject[v] += 1
        var pw = LineWriter()
        pw.raw("XM"); pw.raw(world.villages[v].codeBytes); pw.raw("-"); pw.uint(UInt64(CivilDate.date(fromDays: day).year % 100), width: 2)
        pw.raw("K"); pw.uint(UInt64(caseProject[v]), width: 3)
        return pw.bytes
    }

    func idOf(_ p: Int) -> [UInt8] { world.people[p].id }
    func secretary(_ v: Int) -> [UInt8] { world.people[world.villages[v].secretary].id }
    func director(_ v: Int) -> [UInt8] { world.people[world.villages[v].director].id }
}

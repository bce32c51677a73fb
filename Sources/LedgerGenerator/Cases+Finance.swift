import EventModel

extension Producer {
    /// An injected payment.
    @discardableResult
    mutating func casePay(_ v: Int, at t: Instant, _ amount: Int64, to payee: [UInt8], category: StaticString = "other",
                          money: MoneyHabit? = nil, decision: CV? = nil, procurement: CV? = nil, sys: Int? = nil,
                          time: TimeHabit? = nil, id: [UInt8]? = nil, flags: UInt8 = 0) -> String {
        var pw = LineWriter()
        pw.raw("PZ"); pw.compactDate(ShanghaiTime.localDay(t)); pw.uint(UInt64(pr.int(0, 99_999)), width: 5)
        var f: [(StaticString, CV)] = [
            ("voucher_no", .s(pw.bytes)),
            ("amount", money.map { .moneyAs(amount, $0) } ?? .money(amount)),
            ("payee_id", .s(payee)),
            ("category", .t(category)),
            ("approver_id", .s(pr.chance(0.6) ? secretary(v) : director(v))),
        ]
        let purpose: StaticString
        switch category.description {
        case "travel": purpose = pr.pick(Catalog.travelPurposes)
        case "hospitality": purpose = pr.pick(Catalog.hospitalityPurposes)
        case "office": purpose = pr.pick(Catalog.officePurposes)
        case "engineering": purpose = pr.pick(Catalog.engineeringPurposes)
        case "procurement": purpose = pr.pick(Catalog.procurementPurposes)
        case "labor": purpose = pr.pick(Catalog.laborPurposes)
        case "subsidy": purpose = pr.pick(Catalog.subsidyPurposes)
        default: purpose = pr.pick(Catalog.otherPurposes)
        }
        if pr.chance(0.8) { f.append(("purpose", .t(purpose))) }
        if let procurement { f.append(("procurement_id", procurement)) }
        if let decision { f.append(("decision_ref", decision)) }
        return put(.financePayment, v, at: t, f, sys: sys, habit: time, id: id, flags: flags)
    }

    func decisionText(_ day: Int64, _ n: Int) -> [UInt8] {
        Array("SZYD-\(CivilDate.date(fromDays: day).year)-\(n < 10 ? "00" : n < 100 ? "0" : "")\(n)".utf8)
    }

    // MARK: R01

    /// R01 `large-payment-without-decision` (condition): "`finance.payment` with
    /// `amount ≥ decision_limit(village)` and no (or empty) `decision_ref`".
    /// EVENTS.md: "An optional field that is `null`, and an optional id
    /// (`decision_ref`, …) that is the empty string, count as absent"; a JSON
    /// number may carry trailing zeros ("`1.230` is fine"); villages not in
    /// `village_limits` use the default 50000.
    mutating func casesR01() {
        guard let d = caseDay(before: 0, after: 0), let v = caseVillage() else { return }
        let lim = world.villages[v].decisionLimit
        let ref = CV.s(decisionText(d, pr.int(1, 40)))
        gt(.r01, casePay(v, at: officeT(d), lim, to: freshVendor(v), category: "engineering", money: .numberMinimal), .fire, "at_limit_noref")
        gt(.r01, casePay(v, at: officeT(d), lim, to: freshVendor(v), category: "engineering", money: .stringFixed2), .fire, "at_limit_string_noref")
        gt(.r01, casePay(v, at: officeT(d), lim, to: freshVendor(v), category: "engineering", money: .numberFixed3), .fire, "at_limit_trailing_zero_noref")
        gt(.r01, casePay(v, at: officeT(d), lim + 123_456, to: freshVendor(v), category: "engineering", decision: .t("")), .fire, "empty_ref")
        gt(.r01, casePay(v, at: officeT(d), lim * 3, to: freshVendor(v), category: "engineering", decision: .null), .fire, "null_ref")
        gt(.r01, casePay(v, at: officeT(d), lim - 1, to: freshVendor(v), category: "engineering", money: .stringFixed2), .nofire, "below_limit_1fen")
        gt(.r01, casePay(v, at: officeT(d), lim, to: freshVendor(v), category: "engineering", decision: ref), .nofire, "at_limit_with_ref")
        if let low = caseVillage([.low]) {
            // village_limits: decision_limit 30000 for this village.
            gt(.r01, casePay(low, at: officeT(d), 30_000_00, to: freshVendor(low), category: "engineering"), .fire, "village_limit_low_at_limit")
        }
        if let def = caseVillage([.unlisted]) {
            gt(.r01, casePay(def, at: officeT(d), 30_000_00, to: freshVendor(def), category: "engineering"), .nofire, "default_limit_30000")
        }
        if let listed = caseVillage([.listedDefault]) {
            gt(.r01, casePay(listed, at: officeT(d), 50_000_00, to: freshVendor(listed), category: "engineering", money: .stringMinimal), .fire, "listed_default_at_limit")
        }
        if let high = caseVillage([.high]) {
            gt(.r01, casePay(high, at: officeT(d), 60_000_00, to: freshVendor(high), category: "engineering"), .nofire, "village_limit_high_60000")
            gt(.r01, casePay(high, at: officeT(d), 100_000_00, to: freshVendor(high), category: "engineering"), .fire, "village_limit_high_at_limit")
        }
    }

    // MARK: R02

    /// R02 `split-payments` (window): "filter: `finance.payment` with
    /// `amount < approval_limit(village)`; key: (`village`, `payee_id`); W = 7
    /// days; condition: count ≥ 3 and sum ≥ `approval_limit(village)`".
    /// Window: "`occurred_at` ≥ `e.occurred_at − W` (both ends inclusive)";
    /// rising edge: "fires at *e* when its condition holds at *e* but did not
    /// hold at the previous filtered event of the same key … The previous
    /// filtered event counts even when it has left the window, so a key re-arms
    /// after a quiet gap; events outside the filter neither count nor reset it."
    /// Duplicates: "An event id seen twice is one event."
    mutating func casesR02() {
        guard let d = caseDay(before: 0, after: 16), let v = caseVillage() else { return }
        let a = world.villages[v].approvalLimit
        let day = TimeUnit.day
        var p = freshID(v)
        // Three under the limit within two days.
        var t = officeT(d)
        gt(.r02, casePay(v, at: t, a * 36 / 100, to: p), .nofire, "three_in_two_days")
        gt(.r02, casePay(v, at: t + 5 * TimeUnit.hour, a * 35 / 100, to: p), .nofire, "three_in_two_days")
        gt(.r02, casePay(v, at: t + day, a * 31 / 100, to: p), .fire, "three_in_two_days")
        // Sum exactly at the limit (≥), and one fen short.
        p = freshID(v); t = officeT(d + 1)
        casePay(v, at: t, a / 3, to: p, money: .stringFixed2)
        casePay(v, at: t + TimeUnit.hour, a / 3, to: p, money: .stringFixed2)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a - 2 * (a / 3), to: p, money: .stringFixed2), .fire, "sum_exact_limit")
        p = freshID(v); t = officeT(d + 1)
        casePay(v, at: t, a / 3, to: p)
        casePay(v, at: t + TimeUnit.hour, a / 3, to: p)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a - 2 * (a / 3) - 1, to: p), .nofire, "sum_one_fen_short")
        // Two payments over the limit together: count 2.
        p = freshID(v); t = officeT(d + 2)
        casePay(v, at: t, a * 6 / 10, to: p)
        gt(.r02, casePay(v, at: t + 3 * TimeUnit.hour, a * 55 / 100, to: p), .nofire, "two_only")
        // Window edges: exactly 7 days is inside; 7 days + 1 s, or + 1 ms, is not.
        p = freshID(v); t = officeT(d)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + 3 * day, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 7 * day, a * 4 / 10, to: p, time: .utcSeconds), .fire, "span_exact_7d")
        p = freshID(v); t = officeT(d)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + 3 * day, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 7 * day + TimeUnit.second, a * 4 / 10, to: p), .nofire, "span_7d_plus_1s")
        p = freshID(v); t = officeT(d)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + 3 * day, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 7 * day + TimeUnit.millisecond, a * 4 / 10, to: p), .nofire, "span_7d_plus_1ms")
        // A payment at the limit is outside the filter: it is not an anchor and does not count…
        p = freshID(v); t = officeT(d + 3)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + TimeUnit.hour, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a, to: p, category: "engineering"), .nofire, "at_limit_not_filtered")
        // …nor resets: the next filtered payment crosses.
        p = freshID(v); t = officeT(d + 3)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + TimeUnit.hour, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a + 50_000, to: p, category: "engineering"), .nofire, "unfiltered_between")
        gt(.r02, casePay(v, at: t + 3 * TimeUnit.hour, a * 3 / 10, to: p), .fire, "unfiltered_between")
        // One alert per crossing: a fourth payment while over the line does not fire…
        p = freshID(v); t = officeT(d + 4)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + TimeUnit.hour, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a * 4 / 10, to: p), .fire, "stays_over_fires_once")
        gt(.r02, casePay(v, at: t + 3 * TimeUnit.hour, a * 4 / 10, to: p), .nofire, "stays_over_fires_once")
        // …but after a quiet gap the key re-arms.
        p = freshID(v); t = officeT(d)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + 2 * TimeUnit.hour, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 4 * TimeUnit.hour, a * 4 / 10, to: p), .fire, "rearm_after_gap")
        gt(.r02, casePay(v, at: t + 10 * day, a * 4 / 10, to: p), .nofire, "rearm_after_gap")
        gt(.r02, casePay(v, at: t + 10 * day + TimeUnit.hour, a * 4 / 10, to: p), .nofire, "rearm_after_gap")
        gt(.r02, casePay(v, at: t + 10 * day + 2 * TimeUnit.hour, a * 4 / 10, to: p), .fire, "rearm_after_gap")
        // The condition drops as old payments leave the window, then holds again.
        p = freshID(v); t = Producer.at(d, 10)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + day, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 2 * day, a * 4 / 10, to: p), .fire, "dips_and_recrosses")
        gt(.r02, casePay(v, at: t + 8 * day + 6 * TimeUnit.hour, a * 4 / 10, to: p), .nofire, "dips_and_recrosses")
        gt(.r02, casePay(v, at: t + 8 * day + 7 * TimeUnit.hour, a * 4 / 10, to: p), .fire, "dips_and_recrosses")
        // Two payments at the same instant: the one later in event_id byte order crosses.
        p = freshID(v); t = officeT(d + 5)
        casePay(v, at: t, a / 2, to: p)
        let tie = t + 2 * TimeUnit.hour
        let fin = [Systems.financeSanzi, Systems.financeAgent, Systems.financeCloud]
        if let ids = orderedIDs(first: fin, v, then: fin, v, at: tie) {
            gt(.r02, casePay(v, at: tie, a * 3 / 10, to: p, sys: ids.aSys, time: .utcSeconds, id: ids.a), .nofire, "tie_at_crossing")
            gt(.r02, casePay(v, at: tie, a * 3 / 10, to: p, sys: ids.bSys, time: .localSeconds, id: ids.b), .fire, "tie_at_crossing")
        }
        // A re-sent payment counts once (counted twice it would make three).
        p = freshID(v); t = officeT(d + 6)
        gt(.r02, casePay(v, at: t, a / 2, to: p), .nofire, "dup_resent")
        gt(.r02, casePay(v, at: t + TimeUnit.hour, a / 2, to: p, flags: RecordFlag.forceDuplicate), .nofire, "dup_resent")
        // A malformed copy of the crossing payment comes first: it does not claim the id.
        p = freshID(v); t = officeT(d + 7)
        casePay(v, at: t, a * 4 / 10, to: p)
        casePay(v, at: t + TimeUnit.hour, a * 4 / 10, to: p)
        gt(.r02, casePay(v, at: t + 2 * TimeUnit.hour, a * 4 / 10, to: p, flags: RecordFlag.malformedCopyFirst), .fire, "malformed_copy_first")
        // Three payments to three payees: three keys of one payment each.
        t = officeT(d + 8)
        for k in 0..<3 { gt(.r02, casePay(v, at: t + Int64(k) * TimeUnit.hour, a * 4 / 10, to: freshID(v)), .nofire, "three_payees") }
        // Per-village limits from village_limits.
        if let low = caseVillage([.low]) {
            p = freshID(low); t = officeT(d + 9)
            casePay(low, at: t, 1800_00, to: p); casePay(low, at: t + TimeUnit.hour, 1800_00, to: p)
            gt(.r02, casePay(low, at: t + 2 * TimeUnit.hour, 1800_00, to: p), .fire, "village_limit_low")
        }
        if let def = caseVillage([.unlisted, .listedDefault]) {
            p = freshID(def); t = officeT(d + 9)
            casePay(def, at: t, 1800_00, to: p); casePay(def, at: t + TimeUnit.hour, 1800_00, to: p)
            gt(.r02, casePay(def, at: t + 2 * TimeUnit.hour, 1800_00, to: p), .nofire, "default_limit_same_amounts")
        }
        if let high = caseVillage([.high]) {
            p = freshID(high); t = officeT(d + 10)
            casePay(high, at: t, 12_000_00, to: p); casePay(high, at: t + TimeUnit.hour, 5_000_00, to: p)
            gt(.r02, casePay(high, at: t + 2 * TimeUnit.hour, 4_000_00, to: p), .fire, "village_limit_high")
        }
        // The key includes the village: the same payee in two villages.
        if let vs = distinctVillages(2) {
            p = freshID(vs[0]); t = officeT(d + 11)
            let small = Swift.min(world.villages[vs[0]].approvalLimit, world.villages[vs[1]].approvalLimit) * 4 / 10
            casePay(vs[0], at: t, small, to: p)
            gt(.r02, casePay(vs[0], at: t + TimeUnit.hour, small, to: p), .nofire, "payee_in_two_villages")
            gt(.r02, casePay(vs[1], at: t + 2 * TimeUnit.hour, small * 2, to: p), .nofire, "payee_in_two_villages")
        }
    }

    // MARK: R03

    /// R03 `repeat-reimbursement` (window): "filter: `finance.payment` with
    /// `category` in {`travel`, `hospitality`, `office`}; key: (`village`,
    /// `payee_id`); W = 24 hours; condition: count ≥ 5" (window both ends
    /// inclusive, rising edge, re-arming after a gap; unfiltered events
    /// "neither count nor reset").
    mutating func casesR03() {
        guard let d = caseDay(before: 0, after: 6), let v = caseVillage() else { return }
        let h = TimeUnit.hour
        func amt(_ g: inout SplitMix64) -> Int64 { Int64(g.int(80, 900)) * 100 + Int64(g.int(0, 99)) }
        var p = freshID(v)
        var t = Producer.at(d, 8, 40)
        for k in 0..<5 {
            let id = casePay(v, at: t + Int64(k) * 2 * h, amt(&pr), to: p, category: "travel")
            if k == 3 { gt(.r03, id, .nofire, "five_in_day") }
            if k == 4 { gt(.r03, id, .fire, "five_in_day") }
        }
        p = freshID(v)
        for k in 0..<4 {
            let id = casePay(v, at: t + Int64(k) * 2 * h + 600 * TimeUnit.second, amt(&pr), to: p, category: "hospitality")
            if k == 3 { gt(.r03, id, .nofire, "four_in_day") }
        }
        // Exactly 24 h is inside; 24 h + 1 s is not.
        p = freshID(v); t = officeT(d + 1)
        for off in [0, 2, 5, 20] { casePay(v, at: t + Int64(off) * h, amt(&pr), to: p, category: "office") }
        gt(.r03, casePay(v, at: t + 24 * h, amt(&pr), to: p, category: "office", time: .zeroOffsetSeconds), .fire, "span_exact_24h")
        p = freshID(v); t = officeT(d + 1)
        for off in [0, 2, 5, 20] { casePay(v, at: t + Int64(off) * h, amt(&pr), to: p, category: "office") }
        gt(.r03, casePay(v, at: t + 24 * h + TimeUnit.second, amt(&pr), to: p, category: "office"), .nofire, "span_24h_plus_1s")
        // A payment of another category is not counted.
        p = freshID(v); t = officeT(d + 2)
        for k in 0..<4 { casePay(v, at: t + Int64(k) * h, amt(&pr), to: p, category: "travel") }
        gt(.r03, casePay(v, at: t + 4 * h, amt(&pr), to: p, category: "engineering"), .nofire, "one_other_category")
        // Nor does it reset: the next counted one crosses.
        p = freshID(v); t = officeT(d + 2)
        for k in 0..<4 { casePay(v, at: t + Int64(k) * h, amt(&pr), to: p, category: "travel") }
        gt(.r03, casePay(v, at: t + 4 * h, amt(&pr), to: p, category: "other"), .nofire, "unfiltered_between")
        gt(.r03, casePay(v, at: t + 5 * h, amt(&pr), to: p, category: "office"), .fire, "unfiltered_between")
        // The three categories together.
        p = freshID(v); t = officeT(d + 3)
        let cats: [StaticString] = ["travel", "hospitality", "office", "travel", "hospitality"]
        for (k, c) in cats.enumerated() {
            let id = casePay(v, at: t + Int64(k) * 90 * 60 * TimeUnit.second, amt(&pr), to: p, category: c)
            if k == 4 { gt(.r03, id, .fire, "mixed_categories") }
        }
        // Fires once per crossing and re-arms after a quiet day.
        p = freshID(v); t = Producer.at(d + 4, 8, 15)
        for k in 0..<6 {
            let id = casePay(v, at: t + Int64(k) * h, amt(&pr), to: p, category: "travel")
            if k == 4 { gt(.r03, id, .fire, "rearm_twice") }
            if k == 5 { gt(.r03, id, .nofire, "rearm_twice") }
        }
        t += 2 * TimeUnit.day
        for k in 0..<5 {
            let id = casePay(v, at: t + Int64(k) * h, amt(&pr), to: p, category: "travel")
            if k == 3 { gt(.r03, id, .nofire, "rearm_twice") }
            if k == 4 { gt(.r03, id, .fire, "rearm_twice") }
        }
        // Same payee, two villages: two keys.
        if let vs = distinctVillages(2) {
            p = freshID(vs[0]); t = officeT(d + 5)
            for k in 0..<5 {
                let id = casePay(vs[k < 3 ? 0 : 1], at: t + Int64(k) * h, amt(&pr), to: p, category: "travel")
                if k == 2 || k == 4 { gt(.r03, id, .nofire, "payee_in_two_villages") }
            }
        }
        // Two at the same instant complete the five: byte order decides.
        p = freshID(v); t = officeT(d + 5)
        for k in 0..<3 { casePay(v, at: t + Int64(k) * h, amt(&pr), to: p, category: "hospitality") }
        let tie = t + 4 * h
        let fin = [Systems.financeSanzi, Systems.financeAgent, Systems.financeCloud]
        if let ids = orderedIDs(first: fin, v, then: fin, v, at: tie) {
            gt(.r03, casePay(v, at: tie, amt(&pr), to: p, category: "hospitality", sys: ids.aSys, id: ids.a), .nofire, "tie_at_crossing")
            gt(.r03, casePay(v, at: tie, amt(&pr), to: p, category: "office", sys: ids.bSys, time: .utcMillis, id: ids.b), .fire, "tie_at_crossing")
        }
    }

    // MARK: R10

    /// R10 `payee-related-to-cadre` (condition): "`finance.payment` whose
    /// `payee_id` is a cadre of the same village or a relative of one (related:
    /// one hop, either person's `relatives` lists the other; the relative may
    /// live elsewhere or be absent from `people`), or is a vendor whose
    /// `legal_rep_id` or one of whose `shareholder_ids` is such a person".
    /// EVENTS.md: "A *cadre* is a person whose role is not `villager`."
    mutating func casesR10() {
        guard let d = caseDay(before: 0, after: 2), let v = caseVillage() else { return }
        let roles: [Role] = [.committeeMember, .accountant, .supervisor, .director, .secretary]
        func pay(_ g: inout Producer, _ village: Int, _ payee: [UInt8], _ cat: StaticString = "subsidy") -> String {
            g.casePay(village, at: g.officeT(d + Int64(g.pr.int(0, 2))), Int64(g.pr.int(300, 9000)) * 100, to: payee, category: cat)
        }
        // The payee is a cadre of the village.
        var c = freshPerson(v, role: pr.pick(roles))
        gt(.r10, pay(&self, v, idOf(c), "travel"), .fire, "cadre_same_village")
        c = freshPerson(v, role: .supervisor)
        gt(.r10, pay(&self, v, idOf(c), "office"), .fire, "cadre_supervisor")
        // A villager listed by a cadre, and a villager who lists a cadre.
        c = freshPerson(v, role: pr.pick(roles))
        var r = freshPerson(v)
        world.people[c].relatives.append(idOf(r))
        gt(.r10, pay(&self, v, idOf(r)), .fire, "relative_listed_by_cadre")
        c = freshPerson(v, role: pr.pick(roles))
        r = freshPerson(v)
        world.people[r].relatives.append(idOf(c))
        gt(.r10, pay(&self, v, idOf(r)), .fire, "relative_lists_cadre")
        // A relative absent from people.csv.
        c = freshPerson(v, role: pr.pick(roles))
        let absent = freshID(v)
        world.people[c].relatives.append(absent)
        gt(.r10, pay(&self, v, absent, "labor"), .fire, "relative_absent_from_people")
        // Two hops (payee → villager → cadre) is not related.
        c = freshPerson(v, role: pr.pick(roles))
        let middle = freshPerson(v)
        r = freshPerson(v)
        world.people[c].relatives.append(idOf(middle))
        world.people[middle].relatives.append(idOf(r))
        gt(.r10, pay(&self, v, idOf(r)), .nofire, "two_hop_relative")
        // A villager with no ties.
        r = freshPerson(v)
        gt(.r10, pay(&self, v, idOf(r)), .nofire, "unrelated_villager")
        // Vendors: legal representative a cadre; shareholder a relative; legal rep an absent relative.
        c = freshPerson(v, role: pr.pick(roles))
        gt(.r10, pay(&self, v, freshVendor(v, legalRep: idOf(c), shareholders: []), "engineering"), .fire, "vendor_legal_rep_cadre")
        c = freshPerson(v, role: pr.pick(roles))
        r = freshPerson(v)
        world.people[c].relatives.append(idOf(r))
        gt(.r10, pay(&self, v, freshVendor(v, shareholders: [freshID(v), idOf(r)]), "engineering"), .fire, "vendor_shareholder_relative")
        c = freshPerson(v, role: pr.pick(roles))
        let absentRep = freshID(v)
        world.people[c].relatives.append(absentRep)
        gt(.r10, pay(&self, v, freshVendor(v, legalRep: absentRep, shareholders: []), "engineering"), .fire, "vendor_legal_rep_absent_relative")
        c = freshPerson(v, role: pr.pick(roles))
        let mid2 = freshPerson(v)
        r = freshPerson(v)
        world.people[c].relatives.append(idOf(mid2))
        world.people[r].relatives.append(idOf(mid2))
        gt(.r10, pay(&self, v, freshVendor(v, legalRep: idOf(r), shareholders: []), "engineering"), .nofire, "vendor_two_hop")
        gt(.r10, pay(&self, v, freshVendor(v), "engineering"), .nofire, "vendor_unrelated")
        // Other villages.
        if let vs = distinctVillages(2) {
            let (a, b) = (vs[0], vs[1])
            c = freshPerson(b, role: pr.pick(roles))
            gt(.r10, pay(&self, a, idOf(c), "travel"), .nofire, "cadre_other_village")
            c = freshPerson(b, role: pr.pick(roles))
            r = freshPerson(a)
            world.people[c].relatives.append(idOf(r))
            gt(.r10, pay(&self, a, idOf(r)), .nofire, "relative_of_other_village_cadre")
            c = freshPerson(a, role: pr.pick(roles))
            r = freshPerson(b)
            world.people[c].relatives.append(idOf(r))
            gt(.r10, pay(&self, a, idOf(r)), .fire, "relative_lives_elsewhere")
            c = freshPerson(b, role: pr.pick(roles))
            gt(.r10, pay(&self, a, freshVendor(a, legalRep: idOf(c), shareholders: []), "engineering"), .nofire, "vendor_of_other_village_cadre")
        }
    }

    // MARK: R12

    /// R12 `payee-fund-concentration` (window): "filter: `finance.payment`;
    /// key: `payee_id` across all villages; W = 30 days; condition: count
    /// distinct `village` ≥ 3 and sum ≥ 200000" (window both ends inclusive,
    /// rising edge, re-arming after a gap).
    mutating func casesR12() {
        guard let vs = distinctVillages(3), let d = caseDay(before: 0, after: 36) else { return }
        let (a, b, c) = (vs[0], vs[1], vs[2])
        let day = TimeUnit.day
        @discardableResult
        func pay(_ g: inout Producer, _ v: Int, _ t: Instant, _ amount: Int64, _ payee: [UInt8], time: TimeHabit? = nil, id: [UInt8]? = nil, sys: Int? = nil) -> String {
            g.casePay(v, at: t, amount, to: payee, category: "engineering", decision: .s(g.decisionText(ShanghaiTime.localDay(t), g.pr.int(1, 60))),
                      sys: sys, time: time, id: id)
        }
        var p = freshVendor(a)
        var t = officeT(d)
        gt(.r12, pay(&self, a, t, 80_000_00, p), .nofire, "three_villages_cross")
        gt(.r12, pay(&self, b, t + 4 * day, 70_000_00, p), .nofire, "three_villages_cross")
        gt(.r12, pay(&self, c, t + 9 * day, 60_000_00, p), .fire, "three_villages_cross")
        gt(.r12, pay(&self, a, t + 12 * day, 10_000_00, p), .nofire, "stays_over")
        p = freshVendor(b); t = officeT(d + 1)
        pay(&self, a, t, 80_000_00, p); pay(&self, b, t + day, 70_000_00, p)
        gt(.r12, pay(&self, c, t + 2 * day, 49_999_99, p), .nofire, "three_villages_just_under")
        p = freshVendor(c); t = officeT(d + 1)
        pay(&self, a, t, 80_000_00, p); pay(&self, b, t + day, 70_000_00, p)
        gt(.r12, pay(&self, c, t + 2 * day, 50_000_00, p), .fire, "sum_exact_200000")
        p = freshVendor(a); t = officeT(d + 2)
        pay(&self, a, t, 150_000_00, p)
        gt(.r12, pay(&self, b, t + day, 150_000_00, p), .nofire, "two_villages_big")
        gt(.r12, pay(&self, a, t + 2 * day, 20_000_00, p), .nofire, "two_villages_big")
        p = freshVendor(b); t = officeT(d + 2)
        pay(&self, a, t, 50_000_00, p); pay(&self, b, t + day, 50_000_00, p)
        gt(.r12, pay(&self, c, t + 2 * day, 50_000_00, p), .nofire, "fourth_payment_crosses")
        gt(.r12, pay(&self, a, t + 10 * day, 50_000_00, p), .fire, "fourth_payment_crosses")
        // Window edges: exactly 30 days is inside, 30 days + 1 s is not.
        p = freshVendor(c); t = officeT(d)
        pay(&self, a, t, 90_000_00, p); pay(&self, b, t + 10 * day, 60_000_00, p)
        gt(.r12, pay(&self, c, t + 30 * day, 60_000_00, p, time: .utcSeconds), .fire, "span_exact_30d")
        p = freshVendor(a); t = officeT(d)
        pay(&self, a, t, 90_000_00, p); pay(&self, b, t + 10 * day, 60_000_00, p)
        gt(.r12, pay(&self, c, t + 30 * day + TimeUnit.second, 60_000_00, p), .nofire, "span_30d_plus_1s")
        // Two payments at the same instant in the third village: byte order decides.
        p = freshVendor(b); t = officeT(d + 3)
        pay(&self, a, t, 80_000_00, p); pay(&self, b, t + day, 70_000_00, p)
        let tie = t + 2 * day
        let fin = [Systems.financeSanzi, Systems.financeAgent, Systems.financeCloud]
        if let ids = orderedIDs(first: fin, c, then: fin, c, at: tie) {
            gt(.r12, pay(&self, c, tie, 30_000_00, p, id: ids.a, sys: ids.aSys), .nofire, "tie_at_crossing")
            gt(.r12, pay(&self, c, tie, 25_000_00, p, time: .zeroOffsetSeconds, id: ids.b, sys: ids.bSys), .fire, "tie_at_crossing")
        }
        // Re-arms after a quiet month.
        if let d2 = caseDay(before: 0, after: 50) {
            p = freshVendor(c); t = officeT(d2)
            pay(&self, a, t, 80_000_00, p); pay(&self, b, t + day, 70_000_00, p)
            gt(.r12, pay(&self, c, t + 2 * day, 60_000_00, p), .fire, "rearm_after_gap")
            gt(.r12, pay(&self, a, t + 45 * day, 80_000_00, p), .nofire, "rearm_after_gap")
            gt(.r12, pay(&self, b, t + 46 * day, 70_000_00, p), .nofire, "rearm_after_gap")
            gt(.r12, pay(&self, c, t + 47 * day, 60_000_00, p), .fire, "rearm_after_gap")
        }
        // Five villages of small payments.
        if let many = distinctVillages(5) {
            p = freshVendor(many[0]); t = officeT(d + 4)
            for (k, v) in many.enumerated() {
                let id = pay(&self, v, t + Int64(k) * day, 30_000_00, p)
                if k == 4 { gt(.r12, id, .nofire, "five_villages_small") }
            }
        }
    }
}

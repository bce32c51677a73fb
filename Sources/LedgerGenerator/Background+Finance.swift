import EventModel

extension Producer {
    // MARK: shared helpers

    /// A time in office hours of a local day (with some early and evening work).
    mutating func officeTime(_ day: Int64) -> Instant {
        let u = bg.uniform()
        let secs: Int
        if u < 0.44 { secs = bg.int(8 * 3600, 11 * 3600 + 45 * 60) } else if u < 0.88 { secs = bg.int(13 * 3600 + 30 * 60, 17 * 3600 + 45 * 60) } else if u < 0.96 { secs = bg.int(18 * 3600, 21 * 3600 + 30 * 60) } else { secs = bg.int(7 * 3600, 8 * 3600 - 1) }
        return Producer.midnight(day) + Int64(secs) * TimeUnit.second + bg.int64(0, 999_999)
    }

    /// The village's finance system, or now and then the one it is migrating to.
    mutating func financeSystem(_ v: Int) -> Int {
        let f = world.villages[v].finance
        return bg.chance(0.07) ? (f + 1 + bg.int(2)) % 3 : f
    }

    /// An amount in fen from a log-normal around `median` yuan, rounded to `step` fen.
    mutating func amount(median: Double, sigma: Double, step: Int64 = 1, min: Int64 = 100) -> Int64 {
        let y = bg.logNormal(mu: DMath.log(median), sigma: sigma)
        var fen = Int64(y * 100)
        fen -= fen % step
        return Swift.max(min, fen)
    }

    /// A voucher number in the system's style (not unique, not a key).
    mutating func voucher(_ prefix: StaticString, day: Int64) {
        let h = SplitMix64.hash(styleSeed, UInt64(bitPattern: cur.seq), 11)
        w.byte(UInt8(ascii: "\""))
        switch cur.sys {
        case Systems.financeAgent:
            w.raw("记-"); w.compactDate(day); w.raw("-"); w.uint(h % 10_000, width: 4)
        case Systems.financeCloud:
            w.raw(prefix); w.raw("V"); w.uint(h % 10_000_000_000, width: 10)
        default:
            w.raw(prefix); w.compactDate(day); w.uint(h % 100_000, width: 5)
        }
        w.byte(UInt8(ascii: "\""))
    }

    /// A collective decision reference (三重一大 minutes).
    mutating func decisionRef(day: Int64) {
        let h = SplitMix64.hash(styleSeed, UInt64(bitPattern: cur.seq), 12)
        let (y, _, _) = CivilDate.date(fromDays: day)
        w.byte(UInt8(ascii: "\""))
        let n = 1 + (h >> 8) % 60
        if h & 1 == 0 && !systems[cur.sys].asciiEscape {
            w.raw("村委〔"); w.uint(UInt64(y)); w.raw("〕"); w.uint(n); w.raw("号")
        } else {
            w.raw("SZYD-"); w.uint(UInt64(y)); w.raw("-"); w.uint(n, width: 3)
        }
        w.byte(UInt8(ascii: "\""))
    }

    mutating func approver(_ v: Int) -> [UInt8] {
        world.people[bg.chance(0.6) ? world.villages[v].secretary : world.villages[v].director].id
    }

    // MARK: payments

    /// Writes a `finance.payment` (background habits: optional fields now and then).
    mutating func payment(_ v: Int, at t: Instant, sys: Int, amount fen: Int64, payee: [UInt8], payeeName: [UInt8]?,
                          category: StaticString, purpose: StaticString?, procurementID: [UInt8]? = nil, projectID: [UInt8]? = nil,
                          leaseID: [UInt8]? = nil, needsDecision: Bool) {
        begin(.financePayment, sys: sys, village: v, at: t)
        let day = ShanghaiTime.localDay(cur.time)
        w.key("voucher_no"); voucher("PZ", day: day)
        money("amount", fen)
        w.key("payee_id"); w.string(payee)
        if let payeeName, bg.chance(0.5) { w.key("payee_name"); w.string(payeeName) }
        w.key("category"); w.string(category)
        w.key("approver_id"); w.string(approver(v))
        if let purpose, bg.chance(0.85) { w.key("purpose"); w.string(purpose) }
        if bg.chance(0.2) {
            w.key("payee_account"); w.byte(UInt8(ascii: "\"")); w.raw("62"); w.uint(bg.next() % 100_000_000_000_000_000, width: 17); w.byte(UInt8(ascii: "\""))
        }
        if let procurementID { w.key("procurement_id"); w.string(procurementID) }
        if let projectID { w.key("project_id"); w.string(projectID) }
        if let leaseID { w.key("lease_id"); w.string(leaseID) }
        if needsDecision && fen >= world.villages[v].decisionLimit && bg.chance(0.96) {
            w.key("decision_ref"); decisionRef(day: day)
        } else if bg.chance(0.01) {
            // Some exports send the empty string for "no decision".
            w.key("decision_ref"); w.string("")
        }
        finish()
    }

    mutating func backgroundFinance(_ v: Int, _ i: Int) {
        let k = scale[v]
        let d = today
        for _ in 0..<bg.poisson(k * 0.23 * seasons[Seasons.Process.office.rawValue][i]) { generalPayment(v, d) }
        for _ in 0..<bg.poisson(k * 0.07 * seasons[Seasons.Process.subsidy.rawValue][i]) { subsidyPayment(v, d) }
        for _ in 0..<bg.poisson(k * 0.015 * seasons[Seasons.Process.receipt.rawValue][i]) { otherReceipt(v, d) }
    }

    private mutating func generalPayment(_ v: Int, _ d: Int64) {
        let t = officeTime(d)
        let sys = financeSystem(v)
        let u = bg.uniform()
        if u < 0.30 {
            if bg.chance(0.65) {
                let vend = world.vendor(.office, village: v, &bg)
                payment(v, at: t, sys: sys, amount: amount(median: 420, sigma: 0.8), payee: world.vendors[vend].id, payeeName: world.vendors[vend].name,
                        category: "office", purpose: bg.pick(Catalog.officePurposes), needsDecision: true)
            } else {
                let p = reimbursee(v)
                payment(v, at: t, sys: sys, amount: amount(median: 180, sigma: 0.7), payee: world.people[p].id, payeeName: world.people[p].name,
                        category: "office", purpose: bg.pick(Catalog.officePurposes), needsDecision: true)
            }
        } else if u < 0.47 {
            let p = reimbursee(v)
            payment(v, at: t, sys: sys, amount: amount(median: 260, sigma: 0.7), payee: world.people[p].id, payeeName: world.people[p].name,
                    category: "travel", purpose: bg.pick(Catalog.travelPurposes), needsDecision: true)
        } else if u < 0.58 {
            let vend = world.vendor(.hospitality, village: v, &bg)
            payment(v, at: t, sys: sys, amount: amount(median: 850, sigma: 0.6, step: 100), payee: world.vendors[vend].id, payeeName: world.vendors[vend].name,
                    category: "hospitality", purpose: bg.pick(Catalog.hospitalityPurposes), needsDecision: true)
        } else if u < 0.68 {
            if bg.chance(0.6) {
                let vend = world.vendor(.labor, village: v, &bg)
                payment(v, at: t, sys: sys, amount: amount(median: 3200, sigma: 0.5, step: 100), payee: world.vendors[vend].id, payeeName: world.vendors[vend].name,
                        category: "labor", purpose: bg.pick(Catalog.laborPurposes), needsDecision: true)
            } else {
                let p = world.plainVillager(v, &bg)
                payment(v, at: t, sys: sys, amount: amount(median: 1800, sigma: 0.4, step: 100), payee: world.people[p].id, payeeName: world.people[p].name,
                        category: "labor", purpose: bg.pick(Catalog.laborPurposes), needsDecision: true)
            }
        } else if u < 0.88 {
            if bg.chance(0.5) {
                let vend = world.vendor(.services, village: v, &bg)
                payment(v, at: t, sys: sys, amount: amount(median: 700, sigma: 0.9), payee: world.vendors[vend].id, payeeName: world.vendors[vend].name,
                        category: "other", purpose: bg.pick(Catalog.otherPurposes), needsDecision: true)
            } else {
                let p = world.plainVillager(v, &bg)
                payment(v, at: t, sys: sys, amount: amount(median: 300, sigma: 0.7, step: 10), payee: world.people[p].id, payeeName: world.people[p].name,
                        category: "other", purpose: bg.pick(Catalog.otherPurposes), needsDecision: true)
            }
        } else if u < 0.91 {
            let p = world.plainVillager(v, &bg)
            payment(v, at: t, sys: sys, amount: amount(median: 3000, sigma: 0.7, step: 100), payee: world.people[p].id, payeeName: world.people[p].name,
                    category: "lease", purpose: bg.pick(Catalog.leasePurposes), needsDecision: true)
        } else {
            let vend = world.vendor(.construction, village: v, &bg)
            payment(v, at: t, sys: sys, amount: amount(median: 12_000, sigma: 0.9, step: 100), payee: world.vendors[vend].id, payeeName: world.vendors[vend].name,
                    category: "engineering", purpose: bg.pick(Catalog.engineeringPurposes), needsDecision: true)
        }
    }

    /// Who is reimbursed: clerks mostly, cadres sometimes.
    private mutating func reimbursee(_ v: Int) -> Int {
        if bg.chance(0.95) { return world.villages[v].staff[bg.int(world.villages[v].staff.count)] }
        return bg.chance(0.5) ? world.villages[v].director : world.villages[v].accountant
    }

    private mutating func subsidyPayment(_ v: Int, _ d: Int64) {
        let p = bg.chance(0.97) ? world.plainVillager(v, &bg) : world.villager(v, &bg)
        payment(v, at: officeTime(d), sys: financeSystem(v), amount: amount(median: 800, sigma: 0.6, step: 1000), payee: world.people[p].id,
                payeeName: world.people[p].name, category: "subsidy", purpose: bg.pick(Catalog.subsidyPurposes), needsDecision: true)
    }

    // MARK: receipts

    /// Writes a `finance.receipt`.
    mutating func receipt(_ v: Int, at t: Instant, sys: Int, amount fen: Int64, payer: [UInt8], category: StaticString, leaseID: [UInt8]?) {
        begin(.financeReceipt, sys: sys, village: v, at: t)
        w.key("voucher_no"); voucher("SK", day: ShanghaiTime.localDay(cur.time))
        money("amount", fen)
        w.key("payer_id"); w.string(payer)
        w.key("category"); w.string(category)
        if let leaseID { w.key("lease_id"); w.string(leaseID) }
        finish()
    }

    private mutating func otherReceipt(_ v: Int, _ d: Int64) {
        let u = bg.uniform()
        let t = officeTime(d)
        let sys = financeSystem(v)
        if u < 0.45 {
            receipt(v, at: t, sys: sys, amount: amount(median: 45_000, sigma: 0.9, step: 100), payer: world.governmentPayers[world.villages[v].district],
                    category: "subsidy", leaseID: nil)
        } else if u < 0.75 {
            let vend = world.vendor(.agri, village: v, &bg)
            receipt(v, at: t, sys: sys, amount: amount(median: 6_000, sigma: 0.8), payer: world.vendors[vend].id, category: "sale", leaseID: nil)
        } else {
            let p = world.villager(v, &bg)
            receipt(v, at: t, sys: sys, amount: amount(median: 500, sigma: 1.0, step: 100), payer: world.people[p].id, category: "other", leaseID: nil)
        }
    }
}

import EventModel

/// A lease of collective assets (farmland, ponds, shop fronts, workshops).
struct Lease: Sendable {
    var village: Int
    var id: [UInt8]
    var asset: [UInt8]
    var lessee: [UInt8]
    var start: Int64
    var end: Int64
    /// Annual rent in fen.
    var annualRent: Int64
    /// 1 (monthly), 3 (quarterly) or 12 (annual).
    var periodMonths: Int
    var nextDue: Int64
    /// Days before the due date that the notice goes out.
    var lead: Int
    /// 0 good payer, 1 sometimes late, 2 bad payer.
    var reliability: Int
    /// Dues already covered by an overpayment.
    var prepaid = 0
    var active = true
    /// Day the `lease.contract` event is sent (leases signed during the ledger).
    var announceDay: Int64 = .min
    var decided = false
}

extension Producer {
    static func addMonths(_ day: Int64, _ k: Int) -> Int64 {
        let (y, m, d) = CivilDate.date(fromDays: day)
        let total = y * 12 + (m - 1) + k
        return CivilDate.days(year: total / 12, month: total % 12 + 1, day: min(d, 28))
    }

    /// The leases a village already has when the ledger starts.
    mutating func setUpLeases(_ v: Int) {
        var rng = SplitMix64(seed: config.seed, stream: 0x2000_0000 + UInt64(v))
        let n = max(2, min(300, Int((1.4 * scale[v]).rounded())))
        for _ in 0..<n {
            let start = config.startDay - Int64(rng.int(30, 1800))
            leases[v].append(makeLease(v, start: start, &rng))
        }
    }

    private mutating func makeLease(_ v: Int, start s0: Int64, _ rng: inout SplitMix64) -> Lease {
        let vil = world.villages[v]
        leaseCounter[v] += 1
        var pw = LineWriter()
        let (sy, _, _) = CivilDate.date(fromDays: s0)
        if vil.lease == Systems.leaseTrade {
            pw.raw("ZL-"); pw.uint(UInt64(leaseCounter[v]), width: 3)
        } else {
            pw.raw("ZC"); pw.uint(UInt64(sy)); pw.raw("-"); pw.uint(UInt64(leaseCounter[v]), width: 2)
        }
        let id = pw.bytes
        pw.clear(); pw.raw("ZC-"); pw.raw(vil.codeBytes); pw.raw("-"); pw.uint(UInt64(rng.int(1, 400)), width: 3)
        let asset = pw.bytes
        let lessee: [UInt8]
        if rng.chance(0.6) {
            lessee = world.people[vil.plainVillagers[rng.int(vil.plainVillagers.count)]].id
        } else {
            lessee = world.vendors[world.vendor(rng.chance(0.5) ? .agri : .services, village: v, &rng)].id
        }
        let u = rng.uniform()
        let period = u < 0.5 ? 1 : u < 0.65 ? 3 : 12
        var start = s0
        if period != 12 {
            let (y, m, _) = CivilDate.date(fromDays: s0)
            start = CivilDate.days(year: y, month: m, day: 1)
        }
        let years = [3, 3, 5, 5, 5, 10, 15][rng.int(7)]
        var end = Producer.addMonths(start, years * 12) - 1
        if end < config.startDay + 30 { end = Producer.addMonths(end + 1, 36) - 1 }
        let annual = period == 12 ? Int64(rng.logNormal(mu: DMath.log(9000), sigma: 0.9) * 100) : Int64(rng.logNormal(mu: DMath.log(36_000), sigma: 0.7)) * 100
        var due = start
        while due < config.startDay { due = Producer.addMonths(due, period) }
        let r = rng.uniform()
        return Lease(village: v, id: id, asset: asset, lessee: lessee, start: start, end: end, annualRent: max(100_00, annual),
                     periodMonths: period, nextDue: due, lead: rng.int(0, 7), reliability: r < 0.75 ? 0 : r < 0.9 ? 1 : 2)
    }

    /// Now and then a village lets another asset.
    mutating func backgroundNewLease(_ v: Int) {
        guard bg.chance(0.0004 * scale[v]) else { return }
        let start = today + Int64(bg.int(5, 40))
        var rng = bg
        var l = makeLease(v, start: start, &rng)
        bg = rng
        l.announceDay = today
        l.active = false
        leases[v].append(l)
    }

    /// Notices, receipts, renewals and terminations due today.
    mutating func leaseDay(_ v: Int) {
        let d = today
        let count = leases[v].count
        for li in 0..<count {
            if leases[v][li].announceDay == d { leaseContract(v, li) }
            guard leases[v][li].active else { continue }
            let l = leases[v][li]
            // Rare early termination.
            if bg.chance(0.000_7) {
                leaseEvent(.leaseTerminated, v, li, at: officeTime(d))
                leases[v][li].active = false
                continue
            }
            // End of term: renew, or terminate and re-let the asset.
            if !l.decided && d >= l.end - 45 {
                leases[v][li].decided = true
                if bg.chance(0.7) {
                    let newEnd = Producer.addMonths(l.end + 1, [36, 60][bg.int(2)]) - 1
                    leases[v][li].end = newEnd
                    leases[v][li].decided = false
                    begin(.leaseRenewed, sys: world.villages[l.village].lease, village: l.village, at: officeTime(d))
                    w.key("lease_id"); w.string(l.id)
                    w.key("end_date"); w.date(newEnd)
                    finish()
                } else {
                    leaseEvent(.leaseTerminated, v, li, at: officeTime(l.end))
                    let start = l.end + Int64(bg.int(15, 90))
                    var rng = bg
                    var next = makeLease(l.village, start: start, &rng)
                    bg = rng
                    next.announceDay = next.start - Int64(bg.int(0, 10))
                    next.active = false
                    leases[v].append(next)
                }
            }
            if d >= l.nextDue - Int64(l.lead) && l.nextDue <= leases[v][li].end { rentDue(v, li) }
            if leases[v][li].nextDue > leases[v][li].end && d > leases[v][li].end { leases[v][li].active = false }
        }
    }

    private mutating func leaseEvent(_ type: EventType, _ v: Int, _ li: Int, at t: Instant) {
        let l = leases[v][li]
        begin(type, sys: world.villages[l.village].lease, village: l.village, at: t)
        w.key("lease_id"); w.string(l.id)
        finish()
    }

    private mutating func leaseContract(_ v: Int, _ li: Int) {
        let l = leases[v][li]
        begin(.leaseContract, sys: world.villages[l.village].lease, village: l.village, at: officeTime(today))
        w.key("lease_id"); w.string(l.id)
        w.key("asset_id"); w.string(l.asset)
        w.key("lessee_id"); w.string(l.lessee)
        w.key("start_date"); w.date(l.start)
        w.key("end_date"); w.date(l.end)
        money("annual_rent", l.annualRent)
        finish()
        leases[v][li].active = true
        leases[v][li].nextDue = l.start
    }

    /// The notice of a due and the lessee's receipts for it.
    private mutating func rentDue(_ v: Int, _ li: Int) {
        let l = leases[v][li]
        let d = today
        let due = l.nextDue
        let amount = l.annualRent * Int64(l.periodMonths) / 12
        // Notices go out in the nightly batch or during office hours.
        let t = bg.chance(0.5) ? Producer.at(d, 1) + bg.int64(0, 9000) * TimeUnit.second : officeTime(d)
        begin(.leaseRentDue, sys: world.villages[l.village].lease, village: l.village, at: t)
        w.key("lease_id"); w.string(l.id)
        w.key("due_date"); w.date(due)
        money("amount", amount)
        finish()
        leases[v][li].nextDue = Producer.addMonths(due, l.periodMonths)
        if leases[v][li].prepaid > 0 { leases[v][li].prepaid -= 1; return }
        let sys = financeSystem(l.village)
        func day(_ off: Int) -> Int64 { Swift.max(d, due + Int64(off)) }
        let u = bg.uniform()
        if l.periodMonths < 12 && bg.chance(0.04) {
            // Pays three periods at once.
            receipt(l.village, at: officeTime(day(bg.int(0, 5))), sys: sys, amount: amount * 3, payer: l.lessee, category: "rent", leaseID: l.id)
            leases[v][li].prepaid = 2
            return
        }
        let (onTime, late, partial): (Double, Double, Double) = [(0.93, 0.05, 0.02), (0.6, 0.3, 0.1), (0.3, 0.3, 0.2)][l.reliability]
        if u < onTime {
            receipt(l.village, at: officeTime(day(bg.int(-4, 8))), sys: sys, amount: amount, payer: l.lessee, category: "rent", leaseID: l.id)
        } else if u < onTime + late {
            receipt(l.village, at: officeTime(day(bg.int(11, l.reliability == 2 ? 60 : 40))), sys: sys, amount: amount, payer: l.lessee, category: "rent", leaseID: l.id)
        } else if u < onTime + late + partial {
            let half = amount / 2
            receipt(l.village, at: officeTime(day(bg.int(0, 10))), sys: sys, amount: half, payer: l.lessee, category: "rent", leaseID: l.id)
            receipt(l.village, at: officeTime(day(bg.int(12, 50))), sys: sys, amount: amount - half, payer: l.lessee, category: "rent", leaseID: l.id)
        }
        // Otherwise unpaid.
    }
}

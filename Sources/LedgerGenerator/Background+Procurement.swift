import EventModel

extension Producer {
    mutating func backgroundProcurement(_ v: Int, _ i: Int) {
        let n = bg.poisson(scale[v] * 0.10 / 7.7 * seasons[Seasons.Process.procurement.rawValue][i])
        for _ in 0..<n { procurementFlow(v) }
    }

    /// An item for this time of year.
    private mutating func seasonalItem(_ day: Int64) -> Catalog.Item {
        let (_, m, _) = CivilDate.date(fromDays: day)
        var cum: [Double] = []
        cum.reserveCapacity(Catalog.items.count)
        var s = 0.0
        for item in Catalog.items {
            var f = 1.0
            switch item.season {
            case .spring: f = (3...5).contains(m) ? 3 : 0.4
            case .autumn: f = (9...11).contains(m) ? 2.5 : 0.5
            case .infrastructure: f = (9...12).contains(m) || (3...5).contains(m) ? 1.6 : 0.8
            case .any: f = 1
            }
            s += f
            cum.append(s)
        }
        return Catalog.items[bg.weighted(cum)]
    }

    /// A later office-hours instant, `days` days on (same day: a few hours later).
    mutating func later(_ t: Instant, days: Int) -> Instant {
        if days <= 0 { return t + bg.int64(20 * 60, 5 * 3600) * TimeUnit.second }
        return officeTime(ShanghaiTime.localDay(t) + Int64(days))
    }

    /// Request → approval → quotes → contract → acceptance → payment(s).
    private mutating func procurementFlow(_ v: Int) {
        let vil = world.villages[v]
        let d = today
        var sys = vil.procurement
        if bg.chance(0.08) { sys = sys == Systems.procurementSun ? Systems.procurementGateway : Systems.procurementSun }
        let item = seasonalItem(d)
        let qtyWhole = Int64(bg.int(item.quantity.lowerBound, item.quantity.upperBound))
        let qty = qtyWhole * 1_000_000 + (item.fractional && bg.chance(0.3) ? 500_000 : 0)
        let ref = item.reference ?? Int64(bg.int(300, 5000)) * 100
        var budget = ref * qty / 1_000_000 * 108 / 100
        budget = (budget + 9_999) / 10_000 * 10_000
        procurementCounter[v] += 1
        var pw = LineWriter()
        let (year, _, _) = CivilDate.date(fromDays: d)
        if sys == Systems.procurementSun {
            pw.raw("CG-"); pw.uint(UInt64(year)); pw.raw("-"); pw.uint(UInt64(procurementCounter[v]), width: 4)
        } else {
            pw.raw("YGCG-"); pw.uint(UInt64(procurementCounter[v]), width: 6)
        }
        let pid = pw.bytes
        var project: [UInt8]? = nil
        if bg.chance(0.4) {
            pw.clear(); pw.raw("XM"); pw.raw(vil.codeBytes); pw.raw("-"); pw.uint(UInt64(year % 100), width: 2); pw.raw("G"); pw.uint(UInt64(procurementCounter[v] % 100), width: 2)
            project = pw.bytes
        }
        // Request.
        let t0 = officeTime(d)
        begin(.procurementRequest, sys: sys, village: v, at: t0)
        w.key("procurement_id"); w.string(pid)
        w.key("item_category"); w.string(item.name)
        money("budget_amount", budget)
        w.key("requester_id"); w.string(world.people[vil.cadres[bg.int(vil.cadres.count)]].id)
        if let project { w.key("project_id"); w.string(project) }
        finish()
        // Approval (rarely forgotten: R05 in the background).
        var t = later(t0, days: bg.int(0, 5))
        if bg.chance(0.975) {
            begin(.procurementApproval, sys: sys, village: v, at: t)
            w.key("procurement_id"); w.string(pid)
            w.key("approver_id"); w.string(world.people[vil.secretary].id)
            money("approved_amount", bg.chance(0.9) ? budget : budget / 100_000 * 100_000)
            finish()
        }
        // Quotes: three or more for big purchases, as the rules require (mostly).
        let big = budget >= vil.decisionLimit
        let nQuotes = big ? (bg.chance(0.95) ? bg.int(3, 4) : 2) : [1, 1, 1, 2, 2, 3][bg.int(6)]
        var vendors: [Int] = []
        var tries = 0
        while vendors.count < nQuotes && tries < 30 {
            let vend = world.vendor(item.kind, village: v, &bg)
            if !vendors.contains(vend) { vendors.append(vend) }
            tries += 1
        }
        var best = 0
        var bestPrice = Int64.max
        var lastQuote = t
        let qday = bg.int(1, 5)
        for (k, vend) in vendors.enumerated() {
            var factor = bg.logNormal(mu: -0.03, sigma: 0.07)
            if bg.chance(0.015) { factor = 1.32 + bg.uniform() * 0.5 }
            let price = Swift.max(1, Int64(Double(ref) * factor))
            let tq = later(t, days: qday + bg.int(0, 2))
            lastQuote = Swift.max(lastQuote, tq)
            begin(.procurementQuote, sys: sys, village: v, at: tq)
            w.key("procurement_id"); w.string(pid)
            w.key("vendor_id"); w.string(world.vendors[vend].id)
            w.key("item_category"); w.string(item.name)
            money("unit_price", price)
            w.key("quantity"); w.micros(qty)
            finish()
            if price < bestPrice { bestPrice = price; best = k }
        }
        guard !vendors.isEmpty else { return }
        let winner = vendors[best]
        let amount = bestPrice * qty / 1_000_000
        // Contract.
        t = later(lastQuote, days: bg.int(1, 6))
        begin(.procurementContract, sys: sys, village: v, at: t)
        w.key("procurement_id"); w.string(pid)
        w.key("vendor_id"); w.string(world.vendors[winner].id)
        money("amount", amount)
        w.key("signed_by"); w.string(world.people[bg.chance(0.7) ? vil.director : vil.secretary].id)
        finish()
        let contractTime = t
        let category: StaticString = item.kind == .construction ? "engineering" : "procurement"
        let purpose: StaticString = item.kind == .construction ? bg.pick(Catalog.engineeringPurposes) : bg.pick(Catalog.procurementPurposes)
        // An advance before acceptance now and then (R04 in the background).
        var paid: Int64 = 0
        if bg.chance(0.08) {
            paid = amount * 3 / 10
            payment(v, at: later(contractTime, days: bg.int(1, 5)), sys: financeSystem(v), amount: paid, payee: world.vendors[winner].id,
                    payeeName: world.vendors[winner].name, category: category, purpose: purpose, procurementID: pid, projectID: project, needsDecision: true)
        }
        // Acceptance: sometimes failed first.
        t = later(contractTime, days: bg.int(7, 45))
        if bg.chance(0.06) {
            acceptance(v, sys: sys, at: t, pid: pid, pass: false)
            t = later(t, days: bg.int(7, 20))
        }
        acceptance(v, sys: sys, at: t, pid: pid, pass: true)
        // Payment(s) after acceptance, with a retention now and then.
        let rest = amount - paid
        let tp = later(t, days: bg.int(1, 20))
        if bg.chance(0.25) {
            let first = rest * 9 / 10
            payment(v, at: tp, sys: financeSystem(v), amount: first, payee: world.vendors[winner].id, payeeName: world.vendors[winner].name,
                    category: category, purpose: purpose, procurementID: pid, projectID: project, needsDecision: true)
            payment(v, at: later(tp, days: bg.int(90, 300)), sys: financeSystem(v), amount: rest - first, payee: world.vendors[winner].id,
                    payeeName: world.vendors[winner].name, category: category, purpose: purpose, procurementID: pid, projectID: project, needsDecision: true)
        } else {
            payment(v, at: tp, sys: financeSystem(v), amount: rest, payee: world.vendors[winner].id, payeeName: world.vendors[winner].name,
                    category: category, purpose: purpose, procurementID: pid, projectID: project, needsDecision: true)
        }
    }

    private mutating func acceptance(_ v: Int, sys: Int, at t: Instant, pid: [UInt8], pass: Bool) {
        let vil = world.villages[v]
        begin(.procurementAcceptance, sys: sys, village: v, at: t)
        w.key("procurement_id"); w.string(pid)
        w.key("result"); w.string(pass ? "pass" : "fail")
        if bg.chance(0.7) {
            w.key("inspector_ids"); w.byte(UInt8(ascii: "["))
            let n = bg.int(1, 3)
            for k in 0..<n {
                if k > 0 { w.raw(systems[sys].compact ? "," : ", ") }
                w.string(world.people[vil.cadres[(k + bg.int(vil.cadres.count)) % vil.cadres.count]].id)
            }
            w.byte(UInt8(ascii: "]"))
        }
        finish()
    }
}

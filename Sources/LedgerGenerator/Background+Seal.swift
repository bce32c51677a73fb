import EventModel

extension Producer {
    /// Seal flows: application → approval → usage(s) on the smart seal sleeve.
    mutating func backgroundSeals(_ v: Int, _ i: Int) {
        let n = bg.poisson(scale[v] * 0.26 / 2.9 * seasons[Seasons.Process.seal.rawValue][i])
        for _ in 0..<n { sealFlow(v) }
    }

    mutating func sealUsage(_ v: Int, sys: Int, at t: Instant, seal: [UInt8], operator op: [UInt8], document: StaticString, application: [UInt8]?) {
        begin(.sealUsage, sys: sys, village: v, at: t)
        w.key("seal_id"); w.string(seal)
        w.key("operator_id"); w.string(op)
        w.key("document_type"); w.string(document)
        if let application { w.key("application_id"); w.string(application) }
        finish()
    }

    private mutating func sealFlow(_ v: Int) {
        let d = today
        let sys = world.villages[v].seal
        let seal = world.villages[v].seals[bg.int(world.villages[v].seals.count)]
        let document = bg.pick(Catalog.documentTypes)
        let keeper = world.people[bg.chance(0.7) ? world.villages[v].accountant : world.villages[v].staff[0]].id
        // Now and then the sleeve is used with no application at all (R07 in the background).
        if bg.chance(0.008) {
            sealUsage(v, sys: sys, at: officeTime(d), seal: seal, operator: keeper, document: document, application: nil)
            return
        }
        sealAppCounter[v] += 1
        var aw = LineWriter()
        aw.raw("SQ"); aw.compactDate(d); aw.raw("-"); aw.uint(UInt64(sealAppCounter[v]), width: 3)
        let app = aw.bytes
        let t0 = officeTime(d)
        begin(.sealApplication, sys: sys, village: v, at: t0)
        w.key("application_id"); w.string(app)
        w.key("seal_id"); w.string(seal)
        let applicant = bg.chance(0.5) ? world.villages[v].staff[bg.int(world.villages[v].staff.count)] : world.villages[v].cadres[bg.int(world.villages[v].cadres.count)]
        w.key("applicant_id"); w.string(world.people[applicant].id)
        w.key("document_type"); w.string(document)
        if bg.chance(0.7) { w.key("purpose"); w.string(bg.pick(Catalog.sealPurposes)) }
        finish()
        let t1 = bg.chance(0.75) ? t0 + bg.int64(300, 5 * 3600) * TimeUnit.second : officeTime(d + 1)
        let approved = bg.chance(0.95)
        begin(.sealApproval, sys: sys, village: v, at: t1)
        w.key("application_id"); w.string(app)
        w.key("approver_id"); w.plain(world.people[bg.chance(0.8) ? world.villages[v].secretary : world.villages[v].director].id)
        w.key("decision"); w.string(approved ? "approved" : "rejected")
        finish()
        if !approved && !bg.chance(0.08) { return }
        let uses = bg.chance(0.85) ? 1 : bg.int(2, 3)
        for _ in 0..<uses {
            let u = bg.uniform()
            var t: Instant
            if u < 0.7 {
                t = t1 + bg.int64(600, 3 * 3600) * TimeUnit.second
                let tod = ShanghaiTime.localTimeOfDay(t)
                if tod >= 20 * TimeUnit.hour || tod < 7 * TimeUnit.hour { t = officeTime(ShanghaiTime.localDay(t1) + 1) }
            } else if u < 0.95 {
                t = officeTime(ShanghaiTime.localDay(t1) + 1)
            } else if u < 0.99 {
                t = officeTime(ShanghaiTime.localDay(t1) + 2)
            } else {
                t = officeTime(ShanghaiTime.localDay(t1) + Int64(bg.int(4, 6)))
            }
            // A stamp in the middle of the night, rarely (R08 in the background).
            if bg.chance(0.004) {
                t = Producer.at(ShanghaiTime.localDay(t), 22) + bg.int64(0, 8 * 3600 - 1) * TimeUnit.second
            }
            var application: [UInt8]? = app
            let miss = bg.uniform()
            if miss < 0.01 { application = nil } else if miss < 0.02 { application = [] }
            sealUsage(v, sys: sys, at: t, seal: seal, operator: keeper, document: document, application: application)
        }
    }
}

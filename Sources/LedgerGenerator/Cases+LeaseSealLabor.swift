import EventModel

extension Producer {
    static let sealSystems = [Systems.sealCloud, Systems.sealIoT]

    @discardableResult
    mutating func caseSealApplication(_ v: Int, at t: Instant, _ app: [UInt8]) -> String {
        put(.sealApplication, v, at: t, [("application_id", .s(app)), ("seal_id", .s(world.villages[v].seals[0])),
                                         ("applicant_id", .s(idOf(world.villages[v].accountant))), ("document_type", .t("contract")),
                                         ("purpose", .t("合同盖章"))])
    }

    @discardableResult
    mutating func caseSealApproval(_ v: Int, at t: Instant, _ app: [UInt8], approved: Bool = true, sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
        put(.sealApproval, v, at: t, [("application_id", .s(app)), ("approver_id", .s(secretary(v))), ("decision", .t(approved ? "approved" : "rejected"))],
            sys: sys, habit: time, id: id)
    }

    /// A seal usage; `app` nil: no `application_id` member.
    @discardableResult
    mutating func caseSealUsage(_ v: Int, at t: Instant, _ app: CV?, sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
        var f: [(StaticString, CV)] = [("seal_id", .s(world.villages[v].seals[0])), ("operator_id", .s(idOf(world.villages[v].accountant))),
                                       ("document_type", .t("contract"))]
        if let app { f.append(("application_id", app)) }
        return put(.sealUsage, v, at: t, f, sys: sys, habit: time, id: id)
    }

    // MARK: R07

    /// R07 `seal-use-without-approval` (precedence): "checked: `seal.usage`;
    /// fires when `application_id` is absent or empty, or no `seal.approval`
    /// with `decision = approved` for that `application_id` (same village) lies
    /// in the 72 hours before it (an approval exactly 72 h before counts)".
    /// EVENTS.md: `application_id` "absent or empty when the seal was used with
    /// no application"; a `null` optional counts as absent.
    mutating func casesR07() {
        guard let d = caseDay(before: 5, after: 5), let v = caseVillage() else { return }
        let h = TimeUnit.hour
        var app: [UInt8]
        var t = officeT(d)
        func appl(_ g: inout Producer, _ v: Int, _ t: Instant) -> [UInt8] {
            let a = g.freshApplicationID(v, ShanghaiTime.localDay(t))
            g.caseSealApplication(v, at: t, a)
            return a
        }
        app = appl(&self, v, t - 2 * h)
        caseSealApproval(v, at: t - h, app)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .nofire, "approved_1h_before")
        t = officeT(d)
        app = appl(&self, v, t - 73 * h)
        caseSealApproval(v, at: t - 72 * h, app, time: .utcSeconds)
        gt(.r07, caseSealUsage(v, at: t, .s(app), time: .localSeconds), .nofire, "approved_exact_72h")
        t = officeT(d + 1)
        app = appl(&self, v, t - 73 * h)
        caseSealApproval(v, at: t - 72 * h - TimeUnit.second, app)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .fire, "approved_72h_plus_1s")
        t = officeT(d + 1) + 500 * TimeUnit.millisecond
        app = appl(&self, v, t - 73 * h)
        caseSealApproval(v, at: t - 72 * h - TimeUnit.millisecond, app, time: .localMillis)
        gt(.r07, caseSealUsage(v, at: t, .s(app), time: .utcMillis), .fire, "approved_72h_plus_1ms")
        t = officeT(d + 1) + 500 * TimeUnit.millisecond
        app = appl(&self, v, t - 73 * h)
        caseSealApproval(v, at: t - 72 * h + TimeUnit.millisecond, app, time: .localMillis)
        gt(.r07, caseSealUsage(v, at: t, .s(app), time: .localMillis), .nofire, "approved_72h_minus_1ms")
        t = officeT(d + 2)
        app = appl(&self, v, t - 3 * h)
        caseSealApproval(v, at: t - h, app, approved: false)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .fire, "rejected")
        t = officeT(d + 2)
        app = appl(&self, v, t - 6 * h)
        caseSealApproval(v, at: t - 5 * h, app, approved: false)
        caseSealApproval(v, at: t - h, app)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .nofire, "rejected_then_approved")
        t = officeT(d + 2)
        app = appl(&self, v, t - 6 * h)
        caseSealApproval(v, at: t - 5 * h, app)
        caseSealApproval(v, at: t - h, app, approved: false)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .nofire, "approved_then_rejected")
        gt(.r07, caseSealUsage(v, at: officeT(d + 3), nil), .fire, "no_application_field")
        gt(.r07, caseSealUsage(v, at: officeT(d + 3), .t("")), .fire, "empty_application_id")
        gt(.r07, caseSealUsage(v, at: officeT(d + 3), .null), .fire, "null_application_id")
        t = officeT(d + 3)
        app = appl(&self, v, t - 2 * h)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .fire, "application_only")
        t = officeT(d + 3)
        app = appl(&self, v, t - 2 * h)
        gt(.r07, caseSealUsage(v, at: t, .s(app)), .fire, "approval_after_use")
        caseSealApproval(v, at: t + 10 * TimeUnit.minute, app)
        t = officeT(d + 4)
        app = appl(&self, v, t - 3 * h)
        let other = appl(&self, v, t - 3 * h)
        caseSealApproval(v, at: t - 2 * h, app)
        gt(.r07, caseSealUsage(v, at: t, .s(other)), .fire, "other_application_approved")
        // One approval, two uses: the second after 72 h.
        t = officeT(d - 4)
        app = appl(&self, v, t - h)
        caseSealApproval(v, at: t, app)
        gt(.r07, caseSealUsage(v, at: t + h, .s(app)), .nofire, "second_use_after_72h")
        gt(.r07, caseSealUsage(v, at: t + 72 * h + TimeUnit.second, .s(app)), .fire, "second_use_after_72h")
        // Same instant: byte order decides.
        t = officeT(d + 4) + 40 * TimeUnit.minute
        app = appl(&self, v, t - h)
        if let ids = orderedIDs(first: Producer.sealSystems, v, then: Producer.sealSystems, v, at: t) {
            gt(.r07, caseSealUsage(v, at: t, .s(app), sys: ids.aSys, id: ids.a), .fire, "tie_use_first")
            caseSealApproval(v, at: t, app, sys: ids.bSys, id: ids.b)
        }
        t = officeT(d + 4) + 50 * TimeUnit.minute
        app = appl(&self, v, t - h)
        if let ids = orderedIDs(first: Producer.sealSystems, v, then: Producer.sealSystems, v, at: t) {
            caseSealApproval(v, at: t, app, sys: ids.aSys, id: ids.a)
            gt(.r07, caseSealUsage(v, at: t, .s(app), sys: ids.bSys, id: ids.b), .nofire, "tie_approval_first")
        }
        if let vs = distinctVillages(2) {
            t = officeT(d + 5)
            app = freshApplicationID(vs[0], ShanghaiTime.localDay(t - 2 * h), sharedWith: vs[1])
            caseSealApplication(vs[0], at: t - 2 * h, app)
            caseSealApproval(vs[1], at: t - h, app)
            gt(.r07, caseSealUsage(vs[0], at: t, .s(app)), .fire, "approval_other_village")
        }
    }

    // MARK: R08

    /// R08 `seal-use-at-night` (condition): "`seal.usage` whose local time
    /// (Asia/Shanghai) is at or after 22:00 or before 06:00". Several offsets
    /// name the same instant: only the Asia/Shanghai wall clock matters.
    mutating func casesR08() {
        guard let d = caseDay(before: 1, after: 2), let v = caseVillage() else { return }
        func use(_ g: inout Producer, _ t: Instant, _ habit: TimeHabit) -> String {
            let a = g.freshApplicationID(v, ShanghaiTime.localDay(t) - 1)
            g.caseSealApplication(v, at: t - 3 * TimeUnit.hour, a)
            g.caseSealApproval(v, at: t - 2 * TimeUnit.hour, a)
            return g.caseSealUsage(v, at: t, .s(a), time: habit)
        }
        func at(_ d: Int64, _ h: Int, _ m: Int = 0, _ s: Int = 0, _ us: Int64 = 0) -> Instant { Producer.at(d, h, m, s, micros: us) }
        gt(.r08, use(&self, at(d, 22, 0, 0, 0), .localSeconds), .fire, "exact_2200")
        gt(.r08, use(&self, at(d, 22, 0, 0, 0), .utcSeconds), .fire, "z_1400_is_2200_local")
        gt(.r08, use(&self, at(d + 1, 5, 59, 59, 0), .localSeconds), .fire, "0559_59")
        gt(.r08, use(&self, at(d + 1, 5, 59, 59, 999_999), .localMicros), .fire, "0559_59_999999")
        gt(.r08, use(&self, at(d, 23, 59, 59, 999_000), .localMillis), .fire, "2359_59_999")
        gt(.r08, use(&self, at(d + 1, 0, 0, 0, 0), .localSeconds), .fire, "midnight")
        gt(.r08, use(&self, at(d + 1, 5, 30, 0, 0), .zeroOffsetSeconds), .fire, "plus0000_2130_is_0530_local")
        gt(.r08, use(&self, at(d + 1, 6, 0, 0, 0), .localSeconds), .nofire, "exact_0600")
        gt(.r08, use(&self, at(d + 1, 6, 0, 0, 0), .utcSeconds), .nofire, "z_2200_is_0600_local")
        gt(.r08, use(&self, at(d + 1, 6, 0, 0, 1), .localMicros), .nofire, "0600_00_000001")
        gt(.r08, use(&self, at(d, 21, 59, 59, 999_000), .localMillis), .nofire, "2159_59_999")
        gt(.r08, use(&self, at(d + 1, 7, 30, 0, 0), .utcSeconds), .nofire, "z_2330_is_0730_local")
        gt(.r08, use(&self, at(d + 1, 12, 0, 0, 0), .zeroOffsetSeconds), .nofire, "noon")
    }

    // MARK: R09

    @discardableResult
    mutating func caseRentDue(_ v: Int, lease: [UInt8], due: Int64, amount: Int64) -> String {
        put(.leaseRentDue, v, at: Producer.at(due - 5, 1, 12) + Int64(pr.int(0, 3000)) * TimeUnit.second,
            [("lease_id", .s(lease)), ("due_date", .date(due)), ("amount", .money(amount))])
    }

    @discardableResult
    mutating func caseRent(_ v: Int, at t: Instant, lease: [UInt8]?, amount: Int64, category: StaticString = "rent", time: TimeHabit? = nil, payer: [UInt8]) -> String {
        var f: [(StaticString, CV)] = [("voucher_no", .t("SK-ZJ")), ("amount", .money(amount)), ("payer_id", .s(payer)), ("category", .t(category))]
        if let lease { f.append(("lease_id", .s(lease))) }
        return put(.financeReceipt, v, at: t, f, habit: time)
    }

    /// R09 `lease-rent-overdue` (absence): "opening: `lease.rent_due` with lease
    /// L, due date D, amount A; expected: `finance.receipt` with `category =
    /// rent`, `lease_id = L` (same village), `occurred_at` from the start of D −
    /// 30 days up to but excluding the start of D + 31 days (local dates),
    /// summing to ≥ A; deadline: the start of D + 31 days, local time. Receipts
    /// count whether they come before or after the `rent_due` event, one receipt
    /// may count toward several dues, and renewals or terminations change
    /// nothing". RULES.md: "In replay, a deadline after the ledger's last
    /// `occurred_at` does not fire" (the ledger ends with the sentinel at local
    /// midnight after its last day).
    mutating func casesR09() {
        let end = config.endDay
        // Leases whose deadline is the ledger's end, and one day after it.
        if config.days >= 40, let v = caseVillage() {
            var l = freshLeaseID(v)
            gt(.r09, caseRentDue(v, lease: l, due: end - 31, amount: 4_800_00), .fire, "deadline_equals_ledger_end")
            l = freshLeaseID(v)
            gt(.r09, caseRentDue(v, lease: l, due: end - 30, amount: 4_800_00), .nofire, "deadline_after_ledger_end")
        }
        guard let d = caseDay(before: 32, after: 62), let v = caseVillage() else { return }
        func at(_ d: Int64, _ h: Int, _ m: Int = 0, _ s: Int = 0, _ us: Int64 = 0) -> Instant { Producer.at(d, h, m, s, micros: us) }
        let amount = Int64(pr.int(1_000, 30_000)) * 100 + Int64(pr.int(0, 99))
        func lease(_ g: inout Producer) -> ([UInt8], [UInt8]) {
            let l = g.freshLeaseID(v)
            let p = g.freshID(v)
            if g.pr.chance(0.3) {
                g.put(.leaseContract, v, at: g.officeT(d - 31), [("lease_id", .s(l)), ("asset_id", .t("ZC-CASE-001")), ("lessee_id", .s(p)),
                                                                   ("start_date", .date(d - 31)), ("end_date", .date(d + 3 * 365)), ("annual_rent", .money(amount * 12))])
            }
            return (l, p)
        }
        var (l, p) = lease(&self)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "on_time")
        caseRent(v, at: officeT(d + 3), lease: l, amount: amount, payer: p)
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d - 12), lease: l, amount: amount, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "paid_before_notice")
        (l, p) = lease(&self)
        caseRent(v, at: at(d - 30, 0, 0, 0, 0), lease: l, amount: amount, time: .localSeconds, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "first_counted_day")
        (l, p) = lease(&self)
        caseRent(v, at: at(d - 30, 0, 0, 0, 0), lease: l, amount: amount, time: .utcSeconds, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "first_counted_day_z")
        (l, p) = lease(&self)
        caseRent(v, at: at(d - 31, 23, 59, 59, 0), lease: l, amount: amount, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "too_early")
        (l, p) = lease(&self)
        caseRent(v, at: at(d + 30, 23, 59, 59, 0), lease: l, amount: amount, time: .localSeconds, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "last_counted_day")
        (l, p) = lease(&self)
        caseRent(v, at: at(d + 30, 23, 59, 59, 999_999), lease: l, amount: amount, time: .utcMicros, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "last_instant_z")
        (l, p) = lease(&self)
        caseRent(v, at: at(d + 31, 0, 0, 0, 0), lease: l, amount: amount, time: .localSeconds, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "at_deadline")
        (l, p) = lease(&self)
        caseRent(v, at: at(d + 31, 0, 0, 0, 0), lease: l, amount: amount, time: .utcSeconds, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "at_deadline_z")
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d + 2), lease: l, amount: amount - 1, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "underpaid_1fen")
        (l, p) = lease(&self)
        let half = amount / 2
        caseRent(v, at: officeT(d - 3), lease: l, amount: half, payer: p)
        caseRent(v, at: officeT(d + 20), lease: l, amount: amount - half, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "split_exact")
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d + 5), lease: l, amount: half, payer: p)
        caseRent(v, at: officeT(d + 33), lease: l, amount: amount - half, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "rest_paid_after_deadline")
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d + 1), lease: l, amount: amount, category: "other", payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "wrong_category")
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d + 1), lease: nil, amount: amount, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "receipt_without_lease_id")
        (l, p) = lease(&self)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .fire, "unpaid")
        // One receipt counts toward two monthly dues.
        (l, p) = lease(&self)
        caseRent(v, at: officeT(d + 15), lease: l, amount: amount, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "one_receipt_two_dues")
        gt(.r09, caseRentDue(v, lease: l, due: d + 30, amount: amount), .nofire, "one_receipt_two_dues")
        // Terminations and renewals change nothing.
        (l, p) = lease(&self)
        let terminatedDue = caseRentDue(v, lease: l, due: d, amount: amount)
        put(.leaseTerminated, v, at: officeT(d - 2), [("lease_id", .s(l))])
        gt(.r09, terminatedDue, .fire, "terminated_unpaid")
        (l, p) = lease(&self)
        put(.leaseRenewed, v, at: officeT(d - 20), [("lease_id", .s(l)), ("end_date", .date(d + 5 * 365))])
        caseRent(v, at: officeT(d + 4), lease: l, amount: amount, payer: p)
        gt(.r09, caseRentDue(v, lease: l, due: d, amount: amount), .nofire, "renewed_paid")
        // The same lease id in another village (lease ids repeat across villages).
        if let vs = distinctVillages(2) {
            let l2 = freshLeaseID(vs[0], sharedWith: vs[1])
            let p2 = freshID(vs[0])
            caseRent(vs[1], at: officeT(d + 2), lease: l2, amount: amount, payer: p2)
            gt(.r09, caseRentDue(vs[0], lease: l2, due: d, amount: amount), .fire, "receipt_other_village")
        }
    }

    // MARK: R13

    @discardableResult
    mutating func caseAttendance(_ v: Int, at t: Instant, worker: [UInt8], project: [UInt8], workDate: Int64, hours: Int64,
                                 sys: Int? = nil, id: [UInt8]? = nil) -> String {
        put(.laborAttendance, v, at: t, [("worker_id", .s(worker)), ("project_id", .s(project)), ("work_date", .date(workDate)), ("hours", .num(hours))],
            sys: sys, id: id)
    }

    @discardableResult
    mutating func caseWage(_ v: Int, at t: Instant, worker: [UInt8], project: [UInt8], periodDay: Int64, sys: Int? = nil, id: [UInt8]? = nil) -> String {
        put(.laborWage, v, at: t, [("worker_id", .s(worker)), ("project_id", .s(project)), ("amount", .money(Int64(pr.int(8, 26)) * 220_00)),
                                   ("period", .month(periodDay))], sys: sys, id: id)
    }

    /// R13 `wage-without-attendance` (precedence): "checked: `labor.wage` for
    /// worker P, project J, period M; fires when no `labor.attendance` of P on J
    /// whose `work_date` falls in month M comes before it".
    mutating func casesR13() {
        // A month M inside the ledger, the month before it, and the 25th of the month after.
        guard let d = caseDay(before: 35, after: 65) else { return }
        let (y, m, _) = CivilDate.date(fromDays: d)
        let m0 = CivilDate.days(year: y, month: m, day: 1)
        let m1 = Producer.addMonths(m0, 1)
        let lastOfM = m1 - 1
        let payday = m1 + 5
        guard let v = caseVillage() else { return }
        func at(_ d: Int64, _ h: Int, _ m: Int = 0, _ s: Int = 0, _ us: Int64 = 0) -> Instant { Producer.at(d, h, m, s, micros: us) }
        func fresh(_ g: inout Producer) -> ([UInt8], [UInt8]) { (g.freshID(v), g.freshProjectID(v, m0)) }
        var (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0 + 9, 17, 40), worker: p, project: j, workDate: m0 + 9, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .nofire, "attended")
        (p, j) = fresh(&self)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .fire, "no_attendance")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m1 + 1, 17, 50), worker: p, project: j, workDate: m1 + 1, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .fire, "attendance_next_month_only")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0 - 1, 18, 5), worker: p, project: j, workDate: m0 - 1, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .fire, "attendance_previous_month_only")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0 + 3, 17, 20), worker: p, project: freshProjectID(v, m0), workDate: m0 + 3, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .fire, "attendance_other_project")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0 + 3, 17, 25), worker: freshID(v), project: j, workDate: m0 + 3, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .fire, "attendance_other_worker")
        (p, j) = fresh(&self)
        gt(.r13, caseWage(v, at: at(payday, 10), worker: p, project: j, periodDay: m0), .fire, "attendance_recorded_after_wage")
        caseAttendance(v, at: at(payday, 15), worker: p, project: j, workDate: m0 + 12, hours: 8_000_000)
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m1, 8, 10), worker: p, project: j, workDate: lastOfM, hours: 7_500_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .nofire, "last_day_recorded_next_month")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0, 17, 45), worker: p, project: j, workDate: m0, hours: 4_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m0), .nofire, "first_day_of_month")
        (p, j) = fresh(&self)
        caseAttendance(v, at: at(m0 + 6, 17, 45), worker: p, project: j, workDate: m0 + 6, hours: 8_000_000)
        gt(.r13, caseWage(v, at: officeT(payday), worker: p, project: j, periodDay: m1), .fire, "wage_for_other_month")
        // Same instant: byte order decides.
        (p, j) = fresh(&self)
        let tie = at(payday + 1, 9, 30)
        let labor = [Systems.laborRealName, Systems.laborTerminal]
        if let ids = orderedIDs(first: labor, v, then: [Systems.laborRealName], v, at: tie) {
            caseAttendance(v, at: tie, worker: p, project: j, workDate: m0 + 14, hours: 8_000_000, sys: ids.aSys, id: ids.a)
            gt(.r13, caseWage(v, at: tie, worker: p, project: j, periodDay: m0, sys: ids.bSys, id: ids.b), .nofire, "tie_attendance_first")
        }
        (p, j) = fresh(&self)
        if let ids = orderedIDs(first: [Systems.laborRealName], v, then: labor, v, at: tie) {
            gt(.r13, caseWage(v, at: tie, worker: p, project: j, periodDay: m0, sys: ids.aSys, id: ids.a), .fire, "tie_wage_first")
            caseAttendance(v, at: tie, worker: p, project: j, workDate: m0 + 14, hours: 8_000_000, sys: ids.bSys, id: ids.b)
        }
    }

    // MARK: R14

    /// R14 `double-attendance` (window): "filter: `labor.attendance`; key:
    /// (`worker_id`, `work_date`) across all villages; W = unbounded (all
    /// earlier events of the key); condition: sum of `hours` > 12 and count
    /// distinct `project_id` ≥ 2" (rising edge).
    mutating func casesR14() {
        guard let d = caseDay(before: 0, after: 22), let v = caseVillage() else { return }
        func at(_ d: Int64, _ h: Int, _ m: Int = 0, _ s: Int = 0, _ us: Int64 = 0) -> Instant { Producer.at(d, h, m, s, micros: us) }
        let hr: Int64 = 1_000_000
        func fresh(_ g: inout Producer, _ v: Int) -> ([UInt8], [UInt8], [UInt8], [UInt8]) {
            (g.freshID(v), g.freshProjectID(v, d), g.freshProjectID(v, d), g.freshProjectID(v, d))
        }
        var (p, j1, j2, j3) = fresh(&self, v)
        gt(.r14, caseAttendance(v, at: at(d, 17, 30), worker: p, project: j1, workDate: d, hours: 8 * hr), .nofire, "8_plus_6_two_projects")
        gt(.r14, caseAttendance(v, at: at(d, 21, 10), worker: p, project: j2, workDate: d, hours: 6 * hr), .fire, "8_plus_6_two_projects")
        gt(.r14, caseAttendance(v, at: at(d + 1, 8, 5), worker: p, project: j3, workDate: d, hours: 2 * hr), .nofire, "stays_over")
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d, 17, 31), worker: p, project: j1, workDate: d, hours: 8 * hr)
        gt(.r14, caseAttendance(v, at: at(d, 20, 0), worker: p, project: j2, workDate: d, hours: 4 * hr), .nofire, "8_plus_4_exact_12")
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d + 1, 17, 0), worker: p, project: j1, workDate: d + 1, hours: 8 * hr)
        gt(.r14, caseAttendance(v, at: at(d + 1, 21, 0), worker: p, project: j1, workDate: d + 1, hours: 5 * hr), .nofire, "13h_one_project")
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d + 2, 12, 0), worker: p, project: j1, workDate: d + 2, hours: 6 * hr)
        gt(.r14, caseAttendance(v, at: at(d + 2, 18, 0), worker: p, project: j2, workDate: d + 2, hours: 6 * hr), .nofire, "6_6_then_half")
        gt(.r14, caseAttendance(v, at: at(d + 2, 19, 0), worker: p, project: j1, workDate: d + 2, hours: hr / 2), .fire, "6_6_then_half")
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d + 3, 17, 0), worker: p, project: j1, workDate: d + 3, hours: 8 * hr)
        gt(.r14, caseAttendance(v, at: at(d + 4, 17, 0), worker: p, project: j2, workDate: d + 4, hours: 8 * hr), .nofire, "other_date_same_worker")
        // 5.9 + 2.2 + 3.9 is exactly 12 (binary floating point makes it 12.000000000000002).
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d + 3, 12, 0), worker: p, project: j1, workDate: d + 3, hours: 5_900_000)
        caseAttendance(v, at: at(d + 3, 16, 0), worker: p, project: j2, workDate: d + 3, hours: 2_200_000)
        gt(.r14, caseAttendance(v, at: at(d + 3, 20, 0), worker: p, project: j1, workDate: d + 3, hours: 3_900_000), .nofire, "float_trap_exact_12")
        // A correction recorded weeks later still counts (the window is unbounded).
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d, 18, 0), worker: p, project: j1, workDate: d, hours: 8 * hr)
        gt(.r14, caseAttendance(v, at: at(d + 20, 10, 0), worker: p, project: j2, workDate: d, hours: 6 * hr), .fire, "correction_20_days_later")
        // Same instant: byte order decides which record crosses.
        (p, j1, j2, j3) = fresh(&self, v)
        caseAttendance(v, at: at(d + 5, 12, 0), worker: p, project: j1, workDate: d + 5, hours: 8 * hr)
        let tie = at(d + 5, 18, 30)
        let labor = [Systems.laborRealName, Systems.laborTerminal]
        if let ids = orderedIDs(first: labor, v, then: labor, v, at: tie) {
            gt(.r14, caseAttendance(v, at: tie, worker: p, project: j2, workDate: d + 5, hours: 3 * hr, sys: ids.aSys, id: ids.a), .nofire, "tie_at_crossing")
            gt(.r14, caseAttendance(v, at: tie, worker: p, project: j3, workDate: d + 5, hours: 3 * hr, sys: ids.bSys, id: ids.b), .fire, "tie_at_crossing")
        }
        // Across villages.
        if let vs = distinctVillages(2) {
            (p, j1, _, _) = fresh(&self, vs[0])
            let jb = freshProjectID(vs[1], d)
            gt(.r14, caseAttendance(vs[0], at: at(d + 6, 17, 0), worker: p, project: j1, workDate: d + 6, hours: 8 * hr), .nofire, "8_plus_6_two_villages")
            gt(.r14, caseAttendance(vs[1], at: at(d + 6, 22, 0), worker: p, project: jb, workDate: d + 6, hours: 6 * hr), .fire, "8_plus_6_two_villages")
        }
        if let vs = distinctVillages(3) {
            let w = freshID(vs[0])
            let js = vs.map { freshProjectID($0, d) }
            caseAttendance(vs[0], at: at(d + 7, 12, 0), worker: w, project: js[0], workDate: d + 7, hours: 5 * hr)
            gt(.r14, caseAttendance(vs[1], at: at(d + 7, 17, 0), worker: w, project: js[1], workDate: d + 7, hours: 4 * hr), .nofire, "three_villages_13h")
            gt(.r14, caseAttendance(vs[2], at: at(d + 7, 21, 0), worker: w, project: js[2], workDate: d + 7, hours: 4 * hr), .fire, "three_villages_13h")
        }
        _ = j3
    }
}

import EventModel

extension Producer {
    static let procurementSystems = [Systems.procurementSun, Systems.procurementGateway]
    static let financeSystems = [Systems.financeSanzi, Systems.financeAgent, Systems.financeCloud]

    @discardableResult
    mutating func caseAcceptance(_ v: Int, at t: Instant, _ pid: [UInt8], pass: Bool, sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
        var f: [(StaticString, CV)] = [("procurement_id", .s(pid)), ("result", .t(pass ? "pass" : "fail"))]
        if pr.chance(0.6) { f.append(("inspector_ids", .list([idOf(world.villages[v].accountant), idOf(world.villages[v].supervisor)]))) }
        return put(.procurementAcceptance, v, at: t, f, sys: sys, habit: time, id: id)
    }

    @discardableResult
    mutating func caseApproval(_ v: Int, at t: Instant, _ pid: [UInt8], amount: Int64, sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
        put(.procurementApproval, v, at: t, [("procurement_id", .s(pid)), ("approver_id", .s(secretary(v))), ("approved_amount", .money(amount))],
            sys: sys, habit: time, id: id)
    }

    @discardableResult
    mutating func caseRequest(_ v: Int, at t: Instant, _ pid: [UInt8], item: StaticString, budget: Int64) -> String {
        put(.procurementRequest, v, at: t, [("procurement_id", .s(pid)), ("item_category", .t(item)), ("budget_amount", .money(budget)),
                                            ("requester_id", .s(director(v)))])
    }

    @discardableResult
    mutating func caseQuote(_ v: Int, at t: Instant, _ pid: [UInt8], vendor: [UInt8], item: StaticString, price: Int64, quantity: Int64,
                            money: MoneyHabit? = nil, sys: Int? = nil, id: [UInt8]? = nil) -> String {
        put(.procurementQuote, v, at: t, [("procurement_id", .s(pid)), ("vendor_id", .s(vendor)), ("item_category", .t(item)),
                                          ("unit_price", money.map { .moneyAs(price, $0) } ?? .money(price)), ("quantity", .num(quantity * 1_000_000))],
            sys: sys, id: id)
    }

    @discardableResult
    mutating func caseContract(_ v: Int, at t: Instant, _ pid: [UInt8], vendor: [UInt8], amount: Int64, money: MoneyHabit? = nil,
                               sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
        put(.procurementContract, v, at: t, [("procurement_id", .s(pid)), ("vendor_id", .s(vendor)),
                                             ("amount", money.map { .moneyAs(amount, $0) } ?? .money(amount)), ("signed_by", .s(director(v)))],
            sys: sys, habit: time, id: id)
    }

    // MARK: R04

    /// R04 `payment-before-acceptance` (precedence): "checked: `finance.payment`
    /// with a non-empty `procurement_id`; fires when no `procurement.acceptance`
    /// with `result = pass` and the same `procurement_id` (same village) comes
    /// before it". "Before" is the total order: `occurred_at`, then `event_id`
    /// byte order. EVENTS.md: an optional id that is `null` or the empty string
    /// counts as absent; ids are opaque strings.
    mutating func casesR04() {
        guard let d = caseDay(before: 0, after: 12), let v = caseVillage() else { return }
        let h = TimeUnit.hour, day = TimeUnit.day
        let amount = Int64(pr.int(3000, 9000)) * 100
        func pay(_ g: inout Producer, _ v: Int, _ t: Instant, _ pid: CV, sys: Int? = nil, time: TimeHabit? = nil, id: [UInt8]? = nil) -> String {
            g.casePay(v, at: t, amount, to: g.freshVendor(v, kind: .materials), category: "procurement", procurement: pid, sys: sys, time: time, id: id)
        }
        var pid = freshProcurementID(v, d)
        var t = officeT(d)
        caseAcceptance(v, at: t, pid, pass: true)
        gt(.r04, pay(&self, v, t + 3 * day, .s(pid)), .nofire, "pass_before")
        pid = freshProcurementID(v, d); t = officeT(d + 1)
        gt(.r04, pay(&self, v, t, .s(pid)), .fire, "no_acceptance")
        pid = freshProcurementID(v, d); t = officeT(d + 1)
        caseAcceptance(v, at: t, pid, pass: false)
        gt(.r04, pay(&self, v, t + 2 * day, .s(pid)), .fire, "fail_only")
        pid = freshProcurementID(v, d); t = officeT(d + 2)
        caseAcceptance(v, at: t, pid, pass: false)
        caseAcceptance(v, at: t + 3 * day, pid, pass: true)
        gt(.r04, pay(&self, v, t + 5 * day, .s(pid)), .nofire, "fail_then_pass")
        pid = freshProcurementID(v, d); t = officeT(d + 2)
        gt(.r04, pay(&self, v, t, .s(pid)), .fire, "pass_after")
        caseAcceptance(v, at: t + 5 * day, pid, pass: true)
        // Pass one millisecond after the payment.
        pid = freshProcurementID(v, d); t = officeT(d + 3) + 250 * TimeUnit.millisecond
        gt(.r04, pay(&self, v, t, .s(pid), time: .localMillis), .fire, "pass_1ms_after")
        caseAcceptance(v, at: t + TimeUnit.millisecond, pid, pass: true, time: .utcMillis)
        // An advance before acceptance fires, the final payment after it does not.
        pid = freshProcurementID(v, d); t = officeT(d + 3)
        gt(.r04, pay(&self, v, t, .s(pid)), .fire, "advance_then_final")
        caseAcceptance(v, at: t + 6 * day, pid, pass: true)
        gt(.r04, pay(&self, v, t + 8 * day, .s(pid)), .nofire, "advance_then_final")
        // Empty or null procurement_id: not checked.
        gt(.r04, pay(&self, v, officeT(d + 4), .t("")), .nofire, "empty_procurement_id")
        gt(.r04, pay(&self, v, officeT(d + 4), .null), .nofire, "null_procurement_id")
        // Ids are compared exactly.
        pid = freshProcurementID(v, d); t = officeT(d + 4)
        let lower = Array(pid.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 })
        caseAcceptance(v, at: t, lower, pass: true)
        gt(.r04, pay(&self, v, t + day, .s(pid)), .fire, "procurement_id_differs_in_case")
        // Same instant: event_id byte order decides what comes first.
        pid = freshProcurementID(v, d); t = officeT(d + 5)
        if let ids = orderedIDs(first: Producer.financeSystems, v, then: Producer.procurementSystems, v, at: t) {
            gt(.r04, pay(&self, v, t, .s(pid), sys: ids.aSys, time: .localSeconds, id: ids.a), .fire, "tie_payment_first")
            caseAcceptance(v, at: t, pid, pass: true, sys: ids.bSys, time: .utcSeconds, id: ids.b)
        }
        pid = freshProcurementID(v, d); t = officeT(d + 5) + 30 * TimeUnit.minute
        if let ids = orderedIDs(first: Producer.procurementSystems, v, then: Producer.financeSystems, v, at: t) {
            caseAcceptance(v, at: t, pid, pass: true, sys: ids.aSys, time: .zeroOffsetSeconds, id: ids.a)
            gt(.r04, pay(&self, v, t, .s(pid), sys: ids.bSys, time: .localSeconds, id: ids.b), .nofire, "tie_acceptance_first")
        }
        // The acceptance is in another village (procurement ids repeat across villages).
        if let vs = distinctVillages(2) {
            pid = freshProcurementID(vs[0], d, sharedWith: vs[1])
            t = officeT(d + 6)
            caseAcceptance(vs[1], at: t, pid, pass: true)
            gt(.r04, pay(&self, vs[0], t + 2 * day, .s(pid)), .fire, "pass_other_village")
        }
        _ = h
    }

    // MARK: R05

    /// R05 `contract-without-approval` (precedence): "checked:
    /// `procurement.contract`; fires when no `procurement.approval` with the
    /// same `procurement_id` (same village) comes before it".
    mutating func casesR05() {
        guard let d = caseDay(before: 0, after: 8), let v = caseVillage() else { return }
        let h = TimeUnit.hour, day = TimeUnit.day
        let amount = Int64(pr.int(12_000, 40_000)) * 100
        var pid = freshProcurementID(v, d)
        var t = officeT(d)
        caseRequest(v, at: t - 2 * day, pid, item: "street_lamp_set", budget: amount)
        caseApproval(v, at: t, pid, amount: amount)
        gt(.r05, caseContract(v, at: t + 3 * day, pid, vendor: freshVendor(v), amount: amount), .nofire, "approval_before")
        pid = freshProcurementID(v, d); t = officeT(d + 1)
        caseRequest(v, at: t - day, pid, item: "office_chair", budget: amount)
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount), .fire, "request_only")
        pid = freshProcurementID(v, d); t = officeT(d + 1)
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount), .fire, "no_approval")
        pid = freshProcurementID(v, d); t = officeT(d + 2)
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount), .fire, "approval_after")
        caseApproval(v, at: t + day, pid, amount: amount)
        pid = freshProcurementID(v, d); t = officeT(d + 2)
        caseApproval(v, at: t - TimeUnit.second, pid, amount: amount, time: .utcSeconds)
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount), .nofire, "approval_1s_before")
        pid = freshProcurementID(v, d); t = officeT(d + 3) + 400 * TimeUnit.millisecond
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount, time: .localMillis), .fire, "approval_1ms_after")
        caseApproval(v, at: t + TimeUnit.millisecond, pid, amount: amount, time: .localMillis)
        // Any approval counts, whatever its amount.
        pid = freshProcurementID(v, d); t = officeT(d + 3)
        caseApproval(v, at: t - 2 * h, pid, amount: 1_000_00)
        gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount * 3), .nofire, "approval_low_amount")
        // Same instant.
        pid = freshProcurementID(v, d); t = officeT(d + 4)
        if let ids = orderedIDs(first: Producer.procurementSystems, v, then: Producer.procurementSystems, v, at: t) {
            gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount, sys: ids.aSys, time: .localSeconds, id: ids.a), .fire, "tie_contract_first")
            caseApproval(v, at: t, pid, amount: amount, sys: ids.bSys, time: .utcSeconds, id: ids.b)
        }
        pid = freshProcurementID(v, d); t = officeT(d + 4) + 20 * TimeUnit.minute
        if let ids = orderedIDs(first: Producer.procurementSystems, v, then: Producer.procurementSystems, v, at: t) {
            caseApproval(v, at: t, pid, amount: amount, sys: ids.aSys, time: .zeroOffsetSeconds, id: ids.a)
            gt(.r05, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: amount, sys: ids.bSys, time: .localSeconds, id: ids.b), .nofire, "tie_approval_first")
        }
        if let vs = distinctVillages(2) {
            pid = freshProcurementID(vs[0], d, sharedWith: vs[1])
            t = officeT(d + 5)
            caseApproval(vs[1], at: t, pid, amount: amount)
            gt(.r05, caseContract(vs[0], at: t + day, pid, vendor: freshVendor(vs[0]), amount: amount), .fire, "approval_other_village")
        }
    }

    // MARK: R06

    /// R06 `contract-without-three-quotes` (precedence): "checked:
    /// `procurement.contract` with `amount ≥ decision_limit(village)`; fires when
    /// fewer than 3 distinct `vendor_id` sent a `procurement.quote` for the same
    /// `procurement_id` (same village) before it".
    mutating func casesR06() {
        guard let d = caseDay(before: 2, after: 8), let v = caseVillage() else { return }
        let h = TimeUnit.hour, day = TimeUnit.day
        let lim = world.villages[v].decisionLimit
        let item: StaticString = "c30_concrete_m3"
        let price: Int64 = 430_00
        func setUp(_ g: inout Producer, _ v: Int, _ t: Instant, vendors: [[UInt8]], amount: Int64, sharedWith: Int? = nil) -> [UInt8] {
            let pid = g.freshProcurementID(v, ShanghaiTime.localDay(t), sharedWith: sharedWith)
            g.caseRequest(v, at: t - 2 * day, pid, item: item, budget: amount)
            g.caseApproval(v, at: t - day - 3 * h, pid, amount: amount)
            for (k, vend) in vendors.enumerated() { g.caseQuote(v, at: t - day + Int64(k) * h, pid, vendor: vend, item: item, price: price + Int64(k) * 5_00, quantity: 200) }
            return pid
        }
        func vendors(_ g: inout Producer, _ v: Int, _ n: Int) -> [[UInt8]] { (0..<n).map { _ in g.freshVendor(v, kind: .construction) } }
        var t = officeT(d)
        var vs3 = vendors(&self, v, 3)
        var pid = setUp(&self, v, t, vendors: vs3, amount: lim + 80_000)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim + 80_000), .nofire, "three_distinct")
        t = officeT(d + 1); vs3 = vendors(&self, v, 2)
        pid = setUp(&self, v, t, vendors: vs3, amount: lim * 2)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim * 2), .fire, "two_distinct")
        t = officeT(d + 1); vs3 = vendors(&self, v, 2)
        pid = setUp(&self, v, t, vendors: [vs3[0], vs3[1], vs3[0]], amount: lim + 5_000_00)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[1], amount: lim + 5_000_00), .fire, "three_quotes_two_vendors")
        t = officeT(d + 2); vs3 = vendors(&self, v, 3)
        pid = setUp(&self, v, t, vendors: [vs3[0], vs3[1]], amount: lim + 1_00)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim + 1_00), .fire, "third_after_contract")
        caseQuote(v, at: t + h, pid, vendor: vs3[2], item: item, price: price, quantity: 200)
        t = officeT(d + 2); vs3 = vendors(&self, v, 2)
        pid = setUp(&self, v, t, vendors: vs3, amount: lim)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim, money: .stringFixed2), .fire, "at_limit_two_quotes")
        t = officeT(d + 3); vs3 = vendors(&self, v, 3)
        pid = setUp(&self, v, t, vendors: vs3, amount: lim)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[2], amount: lim), .nofire, "at_limit_three_quotes")
        t = officeT(d + 3); vs3 = vendors(&self, v, 1)
        pid = setUp(&self, v, t, vendors: vs3, amount: lim - 1)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim - 1), .nofire, "below_limit_one_quote")
        t = officeT(d + 4)
        pid = setUp(&self, v, t, vendors: [], amount: lim * 2)
        gt(.r06, caseContract(v, at: t, pid, vendor: freshVendor(v), amount: lim * 2), .fire, "no_quotes")
        t = officeT(d + 4); vs3 = vendors(&self, v, 3)
        pid = setUp(&self, v, t, vendors: [vs3[0], vs3[1], vs3[2], vs3[0]], amount: lim + 20_000_00)
        gt(.r06, caseContract(v, at: t, pid, vendor: vs3[1], amount: lim + 20_000_00), .nofire, "four_quotes_three_vendors")
        // The third quote at the contract's instant: byte order decides.
        t = officeT(d + 5); vs3 = vendors(&self, v, 3)
        pid = setUp(&self, v, t, vendors: [vs3[0], vs3[1]], amount: lim + 3_000_00)
        if let ids = orderedIDs(first: Producer.procurementSystems, v, then: Producer.procurementSystems, v, at: t) {
            gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim + 3_000_00, sys: ids.aSys, id: ids.a), .fire, "tie_contract_first")
            caseQuote(v, at: t, pid, vendor: vs3[2], item: item, price: price, quantity: 200, sys: ids.bSys, id: ids.b)
        }
        t = officeT(d + 5) + 30 * TimeUnit.minute; vs3 = vendors(&self, v, 3)
        pid = setUp(&self, v, t, vendors: [vs3[0], vs3[1]], amount: lim + 3_000_00)
        if let ids = orderedIDs(first: Producer.procurementSystems, v, then: Producer.procurementSystems, v, at: t) {
            caseQuote(v, at: t, pid, vendor: vs3[2], item: item, price: price, quantity: 200, sys: ids.aSys, id: ids.a)
            gt(.r06, caseContract(v, at: t, pid, vendor: vs3[0], amount: lim + 3_000_00, sys: ids.bSys, id: ids.b), .nofire, "tie_third_quote_first")
        }
        // Per-village limits.
        if let low = caseVillage([.low]) {
            t = officeT(d + 6); vs3 = vendors(&self, low, 2)
            pid = setUp(&self, low, t, vendors: vs3, amount: 30_000_00)
            gt(.r06, caseContract(low, at: t, pid, vendor: vs3[0], amount: 30_000_00), .fire, "village_limit_low_two_quotes")
        }
        if let high = caseVillage([.high]) {
            t = officeT(d + 6); vs3 = vendors(&self, high, 1)
            pid = setUp(&self, high, t, vendors: vs3, amount: 60_000_00)
            gt(.r06, caseContract(high, at: t, pid, vendor: vs3[0], amount: 60_000_00), .nofire, "village_limit_high_one_quote")
        }
        // The third vendor quoted in another village.
        if let vv = distinctVillages(2) {
            t = officeT(d + 7); vs3 = vendors(&self, vv[0], 3)
            let big = Swift.max(world.villages[vv[0]].decisionLimit, 100_000_00)
            pid = setUp(&self, vv[0], t, vendors: [vs3[0], vs3[1]], amount: big, sharedWith: vv[1])
            caseQuote(vv[1], at: t - 2 * h, pid, vendor: vs3[2], item: item, price: price, quantity: 200)
            gt(.r06, caseContract(vv[0], at: t, pid, vendor: vs3[0], amount: big), .fire, "third_quote_other_village")
        }
    }

    // MARK: R11

    /// R11 `quote-above-reference` (condition): "`procurement.quote` with
    /// `unit_price > 1.3 × reference_prices.unit_price` of its `item_category`
    /// (no reference price: no alert)". Exact decimal arithmetic: several of
    /// these prices are where binary floating point gets 1.3 × p wrong.
    mutating func casesR11() {
        guard let d = caseDay(before: 0, after: 1), let v = caseVillage() else { return }
        let pid = freshProcurementID(v, d)
        caseRequest(v, at: officeT(d) - TimeUnit.day, pid, item: "cement_ton", budget: 200_000_00)
        func q(_ g: inout Producer, _ item: StaticString, _ price: Int64, _ money: MoneyHabit? = nil) -> String {
            g.caseQuote(v, at: g.officeT(d + Int64(g.pr.int(0, 1))), pid, vendor: g.freshVendor(v, kind: .materials), item: item, price: price,
                        quantity: Int64(g.pr.int(10, 300)), money: money)
        }
        gt(.r11, q(&self, "cement_ton", 604_50), .nofire, "exactly_1_3x")            // 1.3 × 465.00 = 604.50
        gt(.r11, q(&self, "cement_ton", 604_51), .fire, "one_fen_above_1_3x")
        gt(.r11, q(&self, "cement_ton", 604_51, .numberFixed3), .fire, "one_fen_above_trailing_zero")
        gt(.r11, q(&self, "cement_ton", 465_00), .nofire, "at_reference")
        gt(.r11, q(&self, "cement_ton", 930_00), .fire, "double_reference")
        gt(.r11, q(&self, "hollow_brick_piece", 91), .nofire, "float_trap_0_91")        // 1.3 × 0.70 = 0.91 (0.9099999… in binary)
        gt(.r11, q(&self, "hollow_brick_piece", 91, .stringFixed2), .nofire, "float_trap_0_91_string")
        gt(.r11, q(&self, "hollow_brick_piece", 92), .fire, "above_0_91")
        gt(.r11, q(&self, "rubber_hose_m", 16_51), .nofire, "float_trap_16_51")          // 1.3 × 12.70 = 16.51
        gt(.r11, q(&self, "rubber_hose_m", 16_52, .stringMinimal), .fire, "above_16_51")
        gt(.r11, q(&self, "camphor_sapling", 19_76), .nofire, "float_trap_19_76")       // 1.3 × 15.20 = 19.76
        gt(.r11, q(&self, "pvc_pipe_m", 11_96), .nofire, "float_trap_11_96")            // 1.3 × 9.20 = 11.96
        gt(.r11, q(&self, "pvc_pipe_m", 11_97), .fire, "above_11_96")
        gt(.r11, q(&self, "red_brick_piece", 61), .nofire, "below_0_611")               // 1.3 × 0.47 = 0.611
        gt(.r11, q(&self, "red_brick_piece", 62), .fire, "above_0_611")
        gt(.r11, q(&self, "ceramic_tile_m2", 75_40), .nofire, "exactly_1_3x_tile")      // 1.3 × 58.00 = 75.40
        gt(.r11, q(&self, "ceramic_tile_m2", 75_41), .fire, "one_fen_above_tile")
        gt(.r11, q(&self, "landscape_rock_ton", 99_999_00), .nofire, "no_reference_price")
        gt(.r11, q(&self, "stage_rental_day", 50_000_00, .stringFixed2), .nofire, "no_reference_price")
    }
}

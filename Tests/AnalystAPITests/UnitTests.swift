import AlertStore
@testable import AnalystAPI
import Testing

@Suite struct WorkflowTests {
    let new = WorkflowState(status: .new)

    @Test func transitionsOfTheHappyPath() throws {
        var s = try AlertWorkflow.next(new, .acknowledge, role: .analyst).get()
        #expect(s.status == .acknowledged)
        s = try AlertWorkflow.next(s, .assign(to: "ana"), role: .analyst).get()
        #expect(s.status == .assigned && s.assignee == "ana")
        s = try AlertWorkflow.next(s, .escalate(reason: "large sums"), role: .analyst).get()
        #expect(s.status == .escalated)
        s = try AlertWorkflow.next(s, .assign(to: "lea"), role: .analyst).get()
        #expect(s.status == .escalated && s.assignee == "lea", "assigning keeps an escalated alert escalated")
        s = try AlertWorkflow.next(s, .close(.confirmed, reason: "checked the vouchers"), role: .lead).get()
        #expect(s.status == .closed && s.disposition == .confirmed && s.dispositionReason == "checked the vouchers")
        s = try AlertWorkflow.next(s, .reopen(reason: "new evidence"), role: .lead).get()
        #expect(s.status == .acknowledged && s.disposition == nil)
    }

    @Test func refusals() {
        func refusal(_ s: WorkflowState, _ a: WorkflowAction, _ r: AnalystRole) -> AlertWorkflow.Refusal? {
            if case .failure(let f) = AlertWorkflow.next(s, a, role: r) { return f }
            return nil
        }
        let closed = WorkflowState(status: .closed, disposition: .duplicate, dispositionReason: "x")
        let escalated = WorkflowState(status: .escalated)
        #expect(refusal(WorkflowState(status: .acknowledged), .acknowledge, .analyst) == .invalidTransition("only a new alert can be acknowledged"))
        #expect(refusal(escalated, .close(.confirmed, reason: "x"), .analyst) == .forbidden("only a lead closes an escalated alert"))
        #expect(refusal(closed, .reopen(reason: "x"), .analyst) == .forbidden("only a lead reopens an alert"))
        #expect(refusal(closed, .assign(to: "ana"), .lead) == .invalidTransition("a closed alert cannot be assigned"))
        #expect(refusal(new, .close(.confirmed, reason: "  "), .lead) == .invalid("a reason is required"))
        #expect(refusal(new, .escalate(reason: ""), .analyst) == .invalid("a reason is required"))
        #expect(refusal(escalated, .escalate(reason: "again"), .lead) == .invalidTransition("the alert is already escalated"))
        #expect(refusal(new, .acknowledge, .ruleAuthor) == .forbidden("a rule author does not change alerts"))
        #expect(refusal(new, .comment("looks fine"), .ruleAuthor) == nil, "rule authors comment")
        #expect(refusal(new, .assign(to: "x y"), .analyst) == .invalid("unknown assignee"))
        #expect(refusal(new, .close(Disposition(rawValue: "maybe"), reason: "x"), .lead) == .invalid("unknown disposition"))
    }
}

@Suite struct MaskingTests {
    @Test func maskKeepsEndsAndLength() {
        #expect(IdentifierMasker.mask("330521199011056271") == "3305************71")
        #expect(IdentifierMasker.mask("ABCD") == "A**D")
        #expect(IdentifierMasker.mask("AB") == "**")
    }

    @Test func personalFields() {
        for f in ["payee_id", "worker_id", "vendor_id", "cadre_id", "via_person_id", "signed_by", "inspector_ids", "some_new_id"] {
            #expect(IdentifierMasker.isPersonal(f), "\(f)")
        }
        for f in ["event_id", "procurement_id", "project_id", "lease_id", "seal_id", "trace_id", "village", "amount", "count(distinct vendor_id)"] {
            #expect(!IdentifierMasker.isPersonal(f), "\(f)")
        }
    }

    @Test func masksKeySummaryFiguresAndRawEvidence() throws {
        let raw = #"{"event_id":"E1","payee_id":"91330521MA5E6AY517F5","approver_id":"33052119560412025X","payer_id":330521200011019737,"trace_id":"abcdef0123456789","purpose":"付给 W123"}"#
        let ev = try #require(JSONValue.parse(raw))
        let figures = JSONValue.parse(#"{"cadre_id":"330521198705119685","via_person_id":"W123","count":3}"#)
        let m = IdentifierMasker(masking: true, key: "village=330521101202, payee_id=91330521MA5E6AY517F5", figures: figures, evidence: [ev])
        #expect(m.maskKey("village=330521101202, payee_id=91330521MA5E6AY517F5") == "village=330521101202, payee_id=9133**************F5")
        let summary = m.maskText("向 91330521MA5E6AY517F5 支付；干部 330521198705119685；经 W123；另 330521199001011234")
        #expect(!summary.contains("91330521MA5E6AY517F5") && !summary.contains("330521198705119685") && !summary.contains("W123"))
        #expect(!summary.contains("330521199001011234"), "id-like tokens are masked even when not known")
        let masked = m.maskRawJSON(raw)
        for secret in ["91330521MA5E6AY517F5", "33052119560412025X", "330521200011019737"] { #expect(!masked.contains(secret)) }
        #expect(masked.contains("abcdef0123456789"), "trace ids are not personal")
        #expect(masked.contains(#""event_id":"E1""#))
        let json = m.maskJSON(ev).jsonText
        #expect(!json.contains("91330521MA5E6AY517F5") && !json.contains("W123"))
        let open = IdentifierMasker(masking: false, key: "", figures: figures, evidence: [ev])
        #expect(open.maskRawJSON(raw) == raw)
    }
}

@Suite struct TextTests {
    @Test func htmlEscape() {
        #expect(HTMLText.escape(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
    }

    @Test func formDataAndURLs() {
        let f = FormData(parsing: "rule=a&rule=b%2Cc&q=%E7%8E%8B+%3Cb%3E&empty=")
        #expect(f.all("rule") == ["a", "b", "c"])
        #expect(f.raw("q") == "王 <b>")
        #expect(f["empty"] == nil)
        #expect(HTMLText.urlEncode("a b&c=王") == "a%20b%26c%3D%E7%8E%8B")
    }

    @Test func jsonValueKeepsNumbersAndSplitsArrays() throws {
        let v = try #require(JSONValue.parse(#"{"amount": 8694.29, "s": "a\"b\u0041", "n": null, "a": [1, {"x": "]"}]}"#))
        #expect(v["amount"] == .number("8694.29"))
        #expect(v["s"]?.scalarText == "a\"bA")
        let raws = try #require(JSONValue.rawElements(ofArray: #"[{"a": "],["}, {"b": [1,2]} ,3]"#))
        #expect(raws == [#"{"a": "],["}"#, #"{"b": [1,2]}"#, "3"])
        #expect(JSONValue.parse("{") == nil)
        #expect(JSONWriter.quote("</script>") == #""\u003c/script\u003e""#)
    }

    @Test func queueFilterDropsMalformedValues() {
        let f = QueueFilter(FormData(parsing: "district=330521&district=33052x&village=1&status=new&status=bogus&severity=high&from=2023-13-40&assignee=me&q=%20abc%20"))
        #expect(f.districts == ["330521"])
        #expect(f.villages.isEmpty)
        #expect(f.statuses == [.new])
        #expect(f.severities == [.high])
        #expect(f.from == nil)
        #expect(f.assignee == "me")
        #expect(f.text == "abc")
        #expect(f.problems.count == 4)
        #expect(QueueFilter(FormData(parsing: "q=3305")).textProbesIDs)
        #expect(!QueueFilter(FormData(parsing: "q=split")).textProbesIDs)
    }

    @Test func listenAddressesAndLoopback() {
        #expect(AnalystServerConfig.parseListen("127.0.0.1:8080")! == ("127.0.0.1", 8080))
        #expect(AnalystServerConfig.parseListen(":0")! == ("127.0.0.1", 0))
        #expect(AnalystServerConfig.parseListen("[::1]:9000")! == ("::1", 9000))
        #expect(AnalystServerConfig.parseListen("host:99999") == nil)
        #expect(AnalystServerConfig.isLoopback("127.0.0.1") && !AnalystServerConfig.isLoopback("0.0.0.0"))
    }

    @Test func csvCellsCannotRunFormulas() {
        #expect(AlertJSON.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(AlertJSON.csvCell("a,b") == "\"a,b\"")
    }

    @Test func figureComparisonsPairLikeWithLike() throws {
        let f = try #require(JSONValue.parse(#"{"count": 3, "window": "30d", "min_total": "200000.00", "sum(amount)": "210000.00", "min_villages": 3, "count(distinct village)": 4}"#))
        let pairs = FigureFormat.comparisons(f, parameters: []).map { "\($0.0)/\($0.2)" }
        #expect(pairs == ["sum(amount)/min_total", "count(distinct village)/min_villages"])
    }

    @Test func everyLabelHasAChineseText() {
        for key in Localizer.statusEN.values.map({ $0 }) + Localizer.severityEN.values + Localizer.dispositionEN.values + Localizer.roleEN.values + Localizer.actionEN.values {
            #expect(Localizer.zh[key] != nil, "\(key)")
        }
    }
}

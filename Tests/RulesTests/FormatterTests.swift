import EventModel
import Foundation
import Pipeline
import RuleCompiler
import RuleLanguage
import Testing

/// `rules fmt`: one canonical layout, idempotent, and only layout — the
/// formatted rules compile to the same alerts on the conformance ledger.
@Suite struct FormatterTests {
    static let messy = """
        # header comment


        rule   split-payments  # trailing on rule
        version 1 severity high
          title "疑似拆分支付规避审批"   en "Split payments"
        param min_payments=3
          on finance.payment where amount<approval_limit and
             payee_id is present   # why
          // own-line comment in clause
             and amount > -5
          group by village,payee_id within 7 days


          fire when count>=min_payments and sum( amount )>=approval_limit
          # before summary
          summary "x {count}"

        end   # trailing end
        rule seal-use-without-approval version 1 severity high on seal.usage
          require within 72 hours before seal.approval where decision = "approved" matching village, application_id
          summary "y" end
        # trailing file comment
        """

    static let messyFormatted = """
        # header comment

        rule split-payments # trailing on rule
          version 1
          severity high
          title "疑似拆分支付规避审批" en "Split payments"
          param min_payments = 3
          on finance.payment
          where amount < approval_limit and payee_id is present # why
              // own-line comment in clause
              and amount > -5
          group by village, payee_id
          within 7 days

          fire when count >= min_payments and sum(amount) >= approval_limit
          # before summary
          summary "x {count}"
        end # trailing end

        rule seal-use-without-approval
          version 1
          severity high
          on seal.usage
          require within 72 hours before seal.approval
            where decision = "approved"
            matching village, application_id
          summary "y"
        end

        # trailing file comment

        """

    static func repositoryFiles() throws -> [SourceFile] {
        let (files, diags) = RuleLoader.read(RuleLoader.ruleFiles(at: RepoPaths.rules))
        #expect(diags.isEmpty)
        return files
    }

    @Test func theLayoutIsTheCanonicalOne() {
        let out = RuleFormatter.format(SourceFile(path: "messy.rule", text: Self.messy))
        #expect(out.diagnostics.isEmpty)
        #expect(out.changed)
        #expect(out.text == Self.messyFormatted, "\n\(out.text)")
    }

    @Test func formattingIsIdempotent() throws {
        var inputs = try Self.repositoryFiles()
        inputs.append(SourceFile(path: "messy.rule", text: Self.messy))
        inputs.append(SourceFile(path: "crlf.rule", text: Self.messy.replacingOccurrences(of: "\n", with: "\r\n")))
        for file in inputs {
            let once = RuleFormatter.format(file)
            #expect(once.diagnostics.isEmpty, "\(file.path)")
            let twice = RuleFormatter.format(SourceFile(path: file.path, text: once.text))
            #expect(!twice.changed, "\(file.path): formatting twice changed it:\n\(twice.text)")
            #expect(twice.text == once.text)
        }
    }

    @Test func formattingKeepsTheCompiledMeaning() throws {
        let files = try Self.repositoryFiles()
        let formatted = files.map { SourceFile(path: $0.path, text: RuleFormatter.format($0).text) }
        #expect(formatted.map(\.text) != files.map(\.text), "some repository rules are laid out differently")
        let before = RuleSetCompiler.compile(files).ruleSet!
        let after = RuleSetCompiler.compile(formatted).ruleSet!
        // Same rules, same state signatures (state carries over a formatting-only deploy).
        #expect(before.rules.map(\.name) == after.rules.map(\.name))
        #expect(before.rules.map(\.stateSignature) == after.rules.map(\.stateSignature))
        #expect(before.rules.map(\.villageLocal) == after.rules.map(\.villageLocal))
        // Same alerts, figures and summaries on the conformance ledger, in one pass.
        let tables = try ReferenceLoader.load(directory: RepoPaths.conformance)
        let result = try BacktestPass(ruleSets: [before, after], tables: tables).run(ledgers: [RepoPaths.conformance + "/events.jsonl.gz"])
        func key(_ a: Alert) -> String { "\(a.ruleID) \(a.anchorEventID) \(a.figuresJSON) \(a.evidenceEventIDs) \(a.summaryZH) \(a.summaryEN) \(a.key)" }
        #expect(result.alerts[0].count == 143)
        #expect(result.alerts[0].map(key).sorted() == result.alerts[1].map(key).sorted())
        // The messy file too: it compiles to what its formatted text compiles to.
        let m0 = RuleSetCompiler.compile([SourceFile(path: "m.rule", text: Self.messy)]).ruleSet!
        let m1 = RuleSetCompiler.compile([SourceFile(path: "m.rule", text: Self.messyFormatted)]).ruleSet!
        // State signatures are built from tokens: a formatting-only deploy keeps every rule's state.
        #expect(m0.rules.map(\.stateSignature) == m1.rules.map(\.stateSignature))
        let mr = try BacktestPass(ruleSets: [m0, m1], tables: tables).run(ledgers: [RepoPaths.conformance + "/events.jsonl.gz"])
        #expect(mr.alerts[0].map(key).sorted() == mr.alerts[1].map(key).sorted())
        #expect(!mr.alerts[0].isEmpty)
    }

    @Test func tokensNeverChange() throws {
        var inputs = try Self.repositoryFiles()
        inputs.append(SourceFile(path: "messy.rule", text: Self.messy))
        inputs.append(SourceFile(path: "minus.rule", text: "rule a-b-c version 1 severity low on finance.payment where amount - 1 > -(2 * 3) and -amount < 0 - -1 summary \"{amount}\" end"))
        for file in inputs {
            let out = RuleFormatter.format(file)
            var l1 = Lexer(file), l2 = Lexer(SourceFile(path: file.path, text: out.text))
            #expect(l1.tokenize().map(\.text) == l2.tokenize().map(\.text), "\(file.path)")
        }
        let minus = RuleFormatter.format(inputs.last!).text
        #expect(minus.contains("where amount - 1 > -(2 * 3) and -amount < 0 - -1"), "\(minus)")
        #expect(minus.hasPrefix("rule a-b-c\n"))
    }

    @Test func aFileWithSyntaxErrorsIsLeftAlone() {
        let text = "rule broken\n  version 1\n  on finance.payment where amount <\nend\n"
        let out = RuleFormatter.format(SourceFile(path: "broken.rule", text: text))
        #expect(!out.changed)
        #expect(out.text == text)
        #expect(!out.diagnostics.isEmpty && out.diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test func inlineQuotesAnExpressionCanonically() {
        let file = SourceFile(path: "x", text: "count>=min_payments and   sum( amount )>=approval_limit # c")
        #expect(RuleFormatter.inline(file, SourceRange(0, file.bytes.count)) == "count >= min_payments and sum(amount) >= approval_limit")
    }

    // MARK: explain

    @Test func explainDescribesThePlan() throws {
        let rs = try RuleBundle.load(directory: RepoPaths.rules).compile().ruleSet!
        let split = PlanExplanation(rs.rule(named: "split-payments")!, in: rs)
        #expect(split.kind == "window")
        let text = split.text
        for part in ["window aggregate", "finance.payment (topic village.finance)", "filter:     amount < approval_limit",
                     "key:        village, payee_id", "7 days", "count >= min_payments and sum(amount) >= approval_limit",
                     "village-local", "min_payments    3 (default in the rule)", "village_limits.approval_limit per village, else ¥10,000.00"] {
            #expect(text.contains(part), "\(part)\n\(text)")
        }
        #expect(!text.contains("decision_limit"), "a built-in the rule does not read is not listed")
        let r12 = PlanExplanation(rs.rule(named: "payee-fund-concentration")!, in: rs).text
        #expect(r12.contains("cross-village") && r12.contains("¥200,000.00"))
        let r09 = PlanExplanation(rs.rule(named: "lease-rent-overdue")!, in: rs).text
        #expect(r09.contains("deadline:") && r09.contains("start_of_day(due.due_date + 31 days)") && r09.contains("finance.receipt where category = \"rent\""))
        let r07 = PlanExplanation(rs.rule(named: "seal-use-without-approval")!, in: rs).text
        #expect(r07.contains("at most 72 hours before"))
        let r08 = PlanExplanation(rs.rule(named: "seal-use-at-night")!, in: rs).text
        #expect(r08.contains("event condition") && r08.contains("state:      none"))
    }
}

import Foundation
import RuleCompiler
import RuleLanguage
import Testing

@Suite struct DiagnosticsTests {
    static var root: String {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Rules").path) && url.path != "/" { url.deleteLastPathComponent() }
        return url.path
    }

    func compile(_ text: String, path: String = "t.rule") -> RuleSetCompiler.Output {
        RuleSetCompiler.compile([SourceFile(path: path, text: text)])
    }

    @Test func brokenFileReportsEveryErrorWithPositions() throws {
        let path = Self.root + "/Tests/Fixtures/broken-rules/broken.rule"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let out = compile(text, path: "broken.rule")
        #expect(out.ruleSet == nil)
        let errors = out.diagnostics.filter { $0.severity == .error }.map { "\($0.line):\($0.column) \($0.code)" }
        let expected = [
            "6:9 E0201",    // amout
            "13:6 E0202",   // finance.paymnet
            "20:39 E0209",  // "Rent"
            "27:37 E0203",  // occurred_at > 100
            "31:6 E0207",   // no severity
            "37:6 E0207",   // window without 'within'
            "49:28 E0210",  // sum in a filter
            "57:16 E0201",  // {amout} in the summary
            "60:6 E0208",   // duplicate rule name
        ]
        for e in expected { #expect(errors.contains(e), "missing \(e); got \(errors)") }
        #expect(errors.count == expected.count, "\(errors)")
        let typo = try #require(out.diagnostics.first { $0.code == "E0201" })
        #expect(typo.headline == "broken.rule:6:9: error[E0201]: unknown name 'amout'")
        #expect(typo.notes.contains("did you mean 'amount'?"))
        let rendered = typo.rendered(source: SourceFile(path: "broken.rule", text: text))
        #expect(rendered.contains("6 |   where amout >= decision_limit"))
        #expect(rendered.contains("  |         ^^^^^"))
    }

    @Test func parserRecoversAndReportsSeveralSyntaxErrors() {
        let out = compile("""
        rule a
          version x
          severity high
          on finance.payment where amount >
          summary "s"
        end
        rule b
          version 1
          severity high
          on finance.payment
          wibble
        end
        rule c
          version 1
        """)
        let codes = out.diagnostics.filter { $0.severity == .error }.map { "\($0.line) \($0.code)" }
        #expect(codes.contains("2 E0101"))
        #expect(codes.contains("5 E0101"), "the missing operand is found at the next clause")
        #expect(codes.contains("11 E0102"))
        #expect(codes.contains("13 E0103"), "rule c has no end")
    }

    /// `rule_version` is an int4 column: a version it cannot hold is an
    /// error where it is written, not a failed write of every alert later.
    @Test(arguments: ["0", "2147483648", "99999999999999999999999"])
    func versionsOutOfRangeAreErrorsAtTheirPosition(version: String) {
        let out = compile("""
        rule a
          version \(version)
          severity high
          on finance.payment where amount > 1
          summary "s"
        end
        """)
        #expect(out.ruleSet == nil)
        let errors = out.diagnostics.filter { $0.severity == .error }
        #expect(errors.map { "\($0.line):\($0.column) \($0.code)" } == ["2:11 E0106"], "\(errors.map(\.headline))")
        #expect(errors.first?.headline.contains("from 1 to 2147483647") == true)
    }

    /// A deployed version keeps its files as they are, in jsonb, which
    /// cannot hold U+0000: such a file is refused where the NUL is.
    @Test func aFileHoldingNULIsAnErrorAtTheNUL() {
        let out = compile("rule a\n  version 1\n  severity high\n  on finance.payment where amount > 1\n  summary \"s\"\nend\n# x\u{0}y\n")
        #expect(out.ruleSet == nil)
        let errors = out.diagnostics.filter { $0.severity == .error }
        #expect(errors.map { "\($0.line):\($0.column) \($0.code)" } == ["7:4 E0002"], "\(errors.map(\.headline))")
    }

    @Test func theLargestVersionCompiles() {
        let out = compile("""
        rule a
          version 2147483647
          severity high
          on finance.payment where amount > 1
          summary "s"
        end
        """)
        #expect(out.ruleSet?.rules.first?.version == 2147483647)
    }

    @Test func warningsForNeverTrueConditionsAndUnusedParameters() {
        let out = compile("""
        rule w
          version 1
          severity low
          param unused = 3
          on finance.payment where amount > 100 and amount < 50 and voucher_no is absent
          summary "s"
        end
        """)
        #expect(out.ruleSet != nil, "warnings do not stop compilation")
        let w = out.diagnostics.filter { $0.severity == .warning }.map(\.code)
        #expect(w.contains("W0301"))
        #expect(w.contains("W0302"))
        #expect(w.contains("W0303"))
    }

    @Test func mixedKindsAndForeignAliasesAreErrors() {
        let out = compile("""
        rule m
          version 1
          severity low
          on finance.payment as p
          group by payee_id
          within 7 days
          fire when count >= 2
          require before procurement.acceptance
        end
        rule n
          version 1
          severity low
          on finance.payment as p
          require before procurement.acceptance where result = "pass" and p.amount > 5
            matching village, procurement_id
          summary "s"
        end
        """)
        let codes = out.diagnostics.map(\.code)
        #expect(codes.contains("E0206"))
        #expect(codes.contains("E0211"))
    }
}

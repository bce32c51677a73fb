import DetectionTesting
import Foundation
import Pipeline
import RuleCompiler
import Testing

/// Every `Rules/**/*.cases` file, run by the test suite (as `qianliyan rules test` does).
@Suite struct RuleCasesTests {
    static let ruleSet: CompiledRuleSet = {
        let out = RuleLoader.compile(paths: [RepoPaths.rules])
        return out.ruleSet!
    }()

    static var caseFiles: [String] { RuleLoader.ruleFiles(at: RepoPaths.rules, ext: "cases") }

    @Test func referencePackCompilesWithoutWarnings() {
        let out = RuleLoader.compile(paths: [RepoPaths.rules])
        #expect(out.ruleSet != nil)
        #expect(out.diagnostics.isEmpty, "\(out.diagnostics.map(\.headline))")
        let names = Set(out.ruleSet?.rules.map(\.name) ?? [])
        #expect(names == [
            "large-payment-without-decision", "split-payments", "repeat-reimbursement", "payment-before-acceptance",
            "contract-without-approval", "contract-without-three-quotes", "seal-use-without-approval", "seal-use-at-night",
            "lease-rent-overdue", "payee-related-to-cadre", "quote-above-reference", "payee-fund-concentration",
            "wage-without-attendance", "double-attendance",
        ])
    }

    @Test(arguments: caseFiles)
    func cases(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let file = try CaseFile(path: path, text: text)
        var report = CaseRunner.Report()
        CaseRunner(ruleSet: Self.ruleSet).run(file, into: &report)
        #expect(report.cases > 0)
        #expect(report.failures.isEmpty, "\(report.failures.map(\.description).joined(separator: "\n"))")
    }

    @Test func everyRuleHasAFiringAndASilentCase() throws {
        var report = CaseRunner.Report()
        let runner = CaseRunner(ruleSet: Self.ruleSet)
        for path in Self.caseFiles {
            runner.run(try CaseFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8)), into: &report)
        }
        for r in Self.ruleSet.rules {
            let c = report.coverage[r.name] ?? (0, 0)
            #expect(c.fires > 0 && c.silent > 0, "\(r.name): \(c.fires) firing, \(c.silent) silent cases")
        }
    }
}

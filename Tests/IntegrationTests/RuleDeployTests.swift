import AlertStore
import EventModel
import Foundation
import Logging
import Pipeline
import RuleCompiler
import TestSupport
import Testing

/// Issue "The rule author's loop", deploy part: versions stored immutably
/// in PostgreSQL, refused when broken, rolled back as new versions, and
/// picked up by a running worker at a batch boundary.
@Suite struct RuleDeployTests {
    static var root: String { ReplayIntegrationTests.root }

    static func bundle() throws -> RuleBundle { try RuleBundle.load(directory: root + "/Rules") }

    static func edited(_ b: RuleBundle, _ path: String, _ from: String, _ to: String) -> RuleBundle {
        var b = b
        precondition(b.files[path]!.contains(from), "\(path) has no '\(from)'")
        b.files[path] = b.files[path]!.replacingOccurrences(of: from, with: to)
        return b
    }

    /// split-payments needs a 4th payment, and says so in its version.
    static func version2() throws -> RuleBundle {
        edited(edited(try bundle(), "finance/split-payments.rule", "param min_payments = 3", "param min_payments = 4"),
               "finance/split-payments.rule", "version 1", "version 2")
    }

    static func deployed(_ o: RuleDeployer.Outcome) throws -> RuleVersion {
        guard case .deployed(let v) = o.status else {
            Issue.record("not deployed: \(o.diagnostics.map(\.headline)) \(o.problems)")
            throw RuleVersionError(.refused, "not deployed")
        }
        return v
    }

    @Test func deployHistoryRollbackRoundTrip() async throws {
        try await TestPostgres.withStore { store, url in
            let c = try PostgresConnection(url)
            defer { c.close() }
            let versions = RuleVersionStore(connection: c)
            let deployer = RuleDeployer(store: versions)
            #expect(try versions.latestNumber() == nil)

            let original = try Self.bundle()
            let v1 = try Self.deployed(try deployer.deploy(original, author: "zhang", message: "the reference pack"))
            #expect(v1.number == 1 && v1.author == "zhang" && v1.hash == original.hash && v1.restores == nil)
            #expect(v1.rules.count == 14)

            // The same files again: nothing stored.
            let again = try deployer.deploy(try Self.bundle(), author: "zhang", message: "again")
            guard case .unchanged(let same) = again.status else { Issue.record("expected unchanged"); return }
            #expect(same.number == 1)

            let outcome2 = try deployer.deploy(try Self.version2(), author: "li", message: "split-payments: 4 payments")
            let v2 = try Self.deployed(outcome2)
            #expect(v2.number == 2)
            let change = outcome2.changes.first { $0.rule == "split-payments" }
            #expect(change?.kind == .changedKeepsState, "a parameter default is not part of the state signature")
            #expect(change?.oldVersion == 1 && change?.newVersion == 2)
            #expect(outcome2.changes.filter { $0.kind != .unchanged }.count == 1)

            let history = try versions.history()
            #expect(history.map(\.number) == [2, 1])
            #expect(history.map(\.author) == ["li", "zhang"])
            #expect(history[0].message == "split-payments: 4 payments")
            #expect(history[0].files.isEmpty, "history does not load the files")
            #expect(history[0].changes(since: history[1]).first { $0.rule == "split-payments" }?.kind == .changedKeepsState)

            // Roll back to 1: a new version 3 with version 1's files.
            let outcome3 = try deployer.rollback(to: 1, author: "wang", message: "too few alerts")
            let v3 = try Self.deployed(outcome3)
            #expect(v3.number == 3 && v3.restores == 1 && v3.hash == v1.hash)
            #expect(v3.message == "rollback to v1: too few alerts")
            let loaded = try #require(try versions.version(3))
            #expect(loaded.files == (try versions.version(1))!.files)
            #expect(try versions.latest()?.number == 3)
            #expect(loaded.bundle.compile().ruleSet?.rule(named: "split-payments")?.version == 1)
            // Rolling back to what is in force changes nothing.
            guard case .unchanged = try deployer.rollback(to: 1, author: "wang", message: nil).status else { Issue.record("expected unchanged"); return }
            #expect(throws: RuleVersionError.self) { try deployer.rollback(to: 42, author: "wang", message: nil) }

            // Immutable.
            #expect(throws: PostgresError.self) { try c.execute("UPDATE rule_versions SET message = 'x' WHERE version = 1") }
            #expect(throws: PostgresError.self) { try c.execute("DELETE FROM rule_versions") }
            #expect(throws: PostgresError.self) { try c.execute("TRUNCATE rule_versions") }
            #expect(try c.execute("SELECT count(*) FROM rule_versions").scalar == "3")
            // The source column reads as one rule file; the queue UI splits it into rules.
            let source = try c.execute("SELECT source FROM rule_versions WHERE version = 2").scalar ?? ""
            #expect(source.contains("# file: finance/split-payments.rule") && source.contains("param min_payments = 4"))
            _ = store
        }
    }

    @Test func deployRefusesABrokenRuleSetAndStoresNothing() async throws {
        try await TestPostgres.withStore { _, url in
            let c = try PostgresConnection(url)
            defer { c.close() }
            let versions = RuleVersionStore(connection: c)
            _ = try Self.deployed(try RuleDeployer(store: versions).deploy(try Self.bundle(), author: "t", message: "v1"))

            // A syntax error.
            let broken = Self.edited(try Self.version2(), "finance/split-payments.rule", "group by village, payee_id", "group by village,, payee_id")
            let o1 = try RuleDeployer(store: versions).deploy(broken, author: "t", message: "broken")
            #expect(o1.refused)
            #expect(o1.diagnostics.contains { $0.severity == .error && $0.path.hasSuffix("finance/split-payments.rule") })
            // An unknown field.
            let typo = Self.edited(try Self.version2(), "finance/split-payments.rule", "where amount < approval_limit", "where amout < approval_limit")
            let o2 = try RuleDeployer(store: versions).deploy(typo, author: "t", message: "typo")
            #expect(o2.refused && o2.diagnostics.contains { $0.code == "E0201" })
            // A parameters file naming a rule that does not exist.
            var params = try Self.version2()
            params.files[ParameterFile.name] = "rule,parameter,scope,code,value\nsplit-payment,min_payments,everywhere,,4\n"
            #expect(try RuleDeployer(store: versions).deploy(params, author: "t", message: "params").refused)
            // A changed rule that kept its version number.
            let sameVersion = Self.edited(try Self.bundle(), "finance/split-payments.rule", "param min_payments = 3", "param min_payments = 4")
            let o3 = try RuleDeployer(store: versions).deploy(sameVersion, author: "t", message: "no bump")
            #expect(o3.refused && o3.problems.count == 1 && o3.problems[0].contains("split-payments"))
            var lenient = RuleDeployer(store: versions)
            lenient.allowSameVersion = true
            // A failing check (the CLI runs the .cases files here).
            let failing = RuleDeployer(store: versions, check: { rs, _ in rs.rule(named: "split-payments")?.version == 2 ? ["case 'x' failed"] : [] })
            let o4 = try failing.deploy(try Self.version2(), author: "t", message: "fails its cases")
            #expect(o4.refused && o4.problems == ["case 'x' failed"])

            #expect(try versions.latestNumber() == 1, "nothing refused was stored")
            #expect(try c.execute("SELECT count(*) FROM rule_versions").scalar == "1")
            _ = try Self.deployed(try lenient.deploy(sameVersion, author: "t", message: "forced"))
            #expect(try versions.latestNumber() == 2)
        }
    }

    @Test func thePollerHandsOverNewVersionsAndRefusesBrokenOnes() async throws {
        try await TestPostgres.withStore { _, url in
            let c = try PostgresConnection(url)
            defer { c.close() }
            let versions = RuleVersionStore(connection: c)
            let got = Handed()
            var logger = Logger(label: "test.poller")
            logger.logLevel = .critical
            let poller = RuleVersionPoller(databaseURL: url, current: nil, logger: logger) { rs, v in got.append(v.number, rs) }
            #expect(poller.poll() == .unchanged)
            _ = try Self.deployed(try RuleDeployer(store: versions).deploy(try Self.bundle(), author: "t", message: "v1"))
            #expect(poller.poll() == .applied(1))
            #expect(poller.poll() == .unchanged)
            // A row another tool stored without checks, that does not compile.
            let broken = Self.edited(try Self.version2(), "finance/split-payments.rule", "within 7 days", "within seven days")
            try versions.insert(broken, rules: [], author: "someone", message: "hand-made")
            #expect(poller.poll() == .refused(2))
            #expect(poller.poll() == .unchanged, "a refused version is not retried")
            #expect(poller.currentVersion == 1 && poller.refusedVersion == 2)
            _ = try Self.deployed(try RuleDeployer(store: versions).deploy(try Self.version2(), author: "t", message: "v3"))
            #expect(poller.poll() == .applied(3))
            #expect(got.numbers == [1, 3])
            #expect(got.last?.rule(named: "split-payments")?.version == 2)
            poller.stop()
        }
    }
}

/// What a poller handed over (its queue writes, the test reads).
final class Handed: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [(Int, CompiledRuleSet)] = []
    func append(_ n: Int, _ rs: CompiledRuleSet) { lock.lock(); list.append((n, rs)); lock.unlock() }
    var numbers: [Int] { lock.lock(); defer { lock.unlock() }; return list.map(\.0) }
    var last: CompiledRuleSet? { lock.lock(); defer { lock.unlock() }; return list.last?.1 }
}

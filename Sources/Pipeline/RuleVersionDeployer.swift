import Foundation
import RuleCompiler
import RuleLanguage

/// `rules deploy` and `rules rollback`: check a rule bundle and store it
/// as the new version in force.
///
/// A deploy is refused — and nothing is stored — when the bundle does not
/// compile (rule or parameters-file errors), when a check fails (the CLI
/// passes the `.cases` runner), or when a rule's text changed since the
/// version in force while its `version` clause did not (alerts carry that
/// number as `rule_version`, so it must tell the two texts apart). A bundle
/// identical to the version in force (same hash) stores nothing.
///
/// A rollback stores a *new* version whose files are those of the old one
/// (`restores_version` names it): history stays append-only, version numbers
/// only grow, and workers need no other rule than "run the newest version".
public struct RuleDeployer: Sendable {
    /// Extra checks on a compiled bundle; returns the problems found (empty: fine).
    public typealias Check = @Sendable (CompiledRuleSet, RuleBundle) -> [String]

    public var store: RuleVersionStore
    public var check: Check?
    /// Accept a changed rule whose `version` clause stayed the same.
    public var allowSameVersion = false

    public init(store: RuleVersionStore, check: Check? = nil) {
        self.store = store
        self.check = check
    }

    /// What a deploy or rollback did.
    public struct Outcome: Sendable {
        public enum Status: Sendable {
            case deployed(RuleVersion)
            /// Identical to the version in force: nothing stored.
            case unchanged(RuleVersion)
            case refused
        }
        public var status: Status
        public var diagnostics: [Diagnostic] = []
        public var sources: [String: SourceFile] = [:]
        /// Failed checks and version-number problems, one sentence each.
        public var problems: [String] = []
        /// Rule by rule, against the version that was in force.
        public var changes: [RuleChange] = []
        /// The version in force before.
        public var previous: RuleVersion?

        public var refused: Bool {
            if case .refused = status { return true }
            return false
        }
    }

    /// Checks `bundle` and stores it as the new version.
    public func deploy(_ bundle: RuleBundle, author: String, message: String) throws -> Outcome {
        try store(bundle, author: author, message: message, restores: nil)
    }

    /// Stores a new version with the files of version `number`.
    public func rollback(to number: Int, author: String, message: String?) throws -> Outcome {
        guard let old = try store.version(number) else {
            throw RuleVersionError(.notFound, "there is no rule version \(number) (see `qianliyan rules history`)")
        }
        let text = message.map { "rollback to v\(number): \($0)" } ?? "rollback to v\(number) (\(old.message))"
        return try store(old.bundle, author: author, message: text, restores: number)
    }

    func store(_ bundle: RuleBundle, author: String, message: String, restores: Int?) throws -> Outcome {
        let compiled = bundle.compile()
        var outcome = Outcome(status: .refused, diagnostics: compiled.diagnostics, sources: compiled.sources)
        guard let rs = compiled.ruleSet else { return outcome }
        if let check { outcome.problems += check(rs, bundle) }
        let previous = try store.latest()
        outcome.previous = previous
        let entries = RuleBundle.entries(rs, prefix: bundle.displayPrefix)
        outcome.changes = RuleChange.between(previous?.rules ?? [], entries)
        if let previous, restores == nil, !allowSameVersion {
            let old = Dictionary(previous.rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for e in entries {
                guard let o = old[e.name], o.textHash != e.textHash, o.version == e.version else { continue }
                outcome.problems.append("rule \(e.name) changed since \(previous.label) but is still version \(e.version): "
                                        + "raise its `version` (to \(e.version + 1)) so that its alerts tell the two texts apart")
            }
        }
        guard outcome.problems.isEmpty else { return outcome }
        if let previous, previous.hash == bundle.hash {
            outcome.status = .unchanged(previous)
            return outcome
        }
        let version = try store.insert(bundle, rules: entries, author: author, message: message, restores: restores)
        outcome.status = .deployed(version)
        return outcome
    }
}

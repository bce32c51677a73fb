import Foundation

/// One deployed version of the rule set, as stored in `rule_versions`:
/// immutable once written. The newest version is the one in force; a
/// rollback stores a new version whose files are those of an older one.
public struct RuleVersion: Sendable, Hashable {
    /// What a version records about each of its rules.
    public struct RuleEntry: Sendable, Hashable, Codable {
        public var name: String
        /// The rule's `version` clause (stored on its alerts as `rule_version`).
        public var version: Int
        /// File, relative to the deployed folder.
        public var path: String
        /// Hash of the rule's tokens: changes when its meaning may change, not with layout or comments.
        public var textHash: String
        /// Hash of its state signature: while unchanged, a worker carries the rule's state over.
        public var signatureHash: String

        enum CodingKeys: String, CodingKey {
            case name, version, path
            case textHash = "text_hash"
            case signatureHash = "signature_hash"
        }
    }

    /// The version number: 1, 2, 3 … (gapless, in deploy order).
    public var number: Int
    /// SHA-256 of the rule files and the parameters file (``RuleBundle/hash``).
    public var hash: String
    public var author: String
    /// When it was stored (PostgreSQL `timestamptz` text, UTC).
    public var createdAt: String
    public var message: String
    /// The version whose files this one restores (set by `rules rollback`).
    public var restores: Int?
    public var rules: [RuleEntry]
    /// The files; empty in history listings, which do not load them.
    public var files: [String: String]

    public init(number: Int, hash: String, author: String, createdAt: String, message: String, restores: Int?,
                rules: [RuleEntry], files: [String: String]) {
        self.number = number
        self.hash = hash
        self.author = author
        self.createdAt = createdAt
        self.message = message
        self.restores = restores
        self.rules = rules
        self.files = files
    }

    /// The label workers log and report: `v7`.
    public var label: String { "v\(number)" }

    /// The files as a bundle; diagnostics and compiled rules show `v7:PATH`.
    public var bundle: RuleBundle {
        RuleBundle(files: files, origin: "rule_versions/\(number)", displayPrefix: "\(label):")
    }

    /// How the rules of `self` differ from those of `older`.
    public func changes(since older: RuleVersion?) -> [RuleChange] {
        RuleChange.between(older?.rules ?? [], rules)
    }
}

/// How one rule differs between two versions.
public struct RuleChange: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case added, removed
        /// Different tokens, same state signature: its state carries over.
        case changedKeepsState = "changed (state carries over)"
        /// Different state signature: it starts with empty state.
        case changedStartsFresh = "changed (starts fresh)"
        case unchanged
    }
    public var rule: String
    public var kind: Kind
    public var oldVersion: Int?
    public var newVersion: Int?

    /// Rule by rule, sorted by name.
    public static func between(_ old: [RuleVersion.RuleEntry], _ new: [RuleVersion.RuleEntry]) -> [RuleChange] {
        let o = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let n = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [RuleChange] = []
        for name in Set(o.keys).union(n.keys).sorted() {
            switch (o[name], n[name]) {
            case (nil, let b?): out.append(RuleChange(rule: name, kind: .added, oldVersion: nil, newVersion: b.version))
            case (let a?, nil): out.append(RuleChange(rule: name, kind: .removed, oldVersion: a.version, newVersion: nil))
            case (let a?, let b?):
                let kind: Kind
                if a.signatureHash != b.signatureHash {
                    kind = .changedStartsFresh
                } else if a.textHash != b.textHash || a.version != b.version {
                    kind = .changedKeepsState
                } else {
                    kind = .unchanged
                }
                out.append(RuleChange(rule: name, kind: kind, oldVersion: a.version, newVersion: b.version))
            default: break
            }
        }
        return out
    }
}

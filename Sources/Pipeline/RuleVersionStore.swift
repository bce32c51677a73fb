import AlertStore
import Foundation

/// Deployed rule versions in PostgreSQL (`rule_versions`, migration 4).
///
/// The table is append-only (a trigger refuses UPDATE, DELETE and
/// TRUNCATE). Version numbers are gapless: an insert takes `max + 1` under
/// a table lock. The version in force is the newest one; workers poll for
/// it (see ``RuleVersionPoller``), and every insert also sends
/// `NOTIFY qianliyan_rules, '<version>'` for tools that listen.
public struct RuleVersionStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    static let columns = "version, hash, author, created_at, message, restores_version, rules::text"

    /// The newest version number, nil when nothing was deployed (or the table does not exist yet).
    public func latestNumber() throws -> Int? {
        guard try tableExists() else { return nil }
        return try connection.execute("SELECT max(version) FROM rule_versions").scalar.flatMap { Int($0) }
    }

    /// The newest version with its files.
    public func latest() throws -> RuleVersion? {
        guard let n = try latestNumber() else { return nil }
        return try version(n)
    }

    /// One version with its files.
    public func version(_ number: Int) throws -> RuleVersion? {
        guard try tableExists() else { return nil }
        let rows = try connection.execute("SELECT \(Self.columns), files::text, source FROM rule_versions WHERE version = $1::int4",
                                          params: [String(number)]).rows
        return try rows.first.map { try Self.decode($0, withFiles: true) }
    }

    /// Versions newest first, without their files.
    public func history(limit: Int = 50) throws -> [RuleVersion] {
        guard try tableExists() else { return [] }
        return try connection.execute("SELECT \(Self.columns) FROM rule_versions ORDER BY version DESC LIMIT $1::int4",
                                      params: [String(limit)]).rows.map { try Self.decode($0, withFiles: false) }
    }

    /// Stores a new version. Callers check the bundle first (``RuleDeployer``).
    @discardableResult
    public func insert(_ bundle: RuleBundle, rules: [RuleVersion.RuleEntry], author: String, message: String,
                       restores: Int? = nil) throws -> RuleVersion {
        let filesJSON = try Self.json(bundle.files)
        let rulesJSON = String(decoding: try JSONEncoder.sorted.encode(rules), as: UTF8.self)
        return try connection.transaction { c in
            try c.execute("LOCK TABLE rule_versions IN SHARE ROW EXCLUSIVE MODE")
            let rows = try c.execute("""
                INSERT INTO rule_versions (version, hash, author, message, source, files, rules, restores_version)
                SELECT coalesce(max(version), 0) + 1, $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::int4 FROM rule_versions
                RETURNING \(Self.columns)
                """, params: [bundle.hash, author, message, PostgresText.sanitized(bundle.concatenatedSource), filesJSON, rulesJSON,
                              restores.map(String.init)]).rows
            guard let row = rows.first else { throw RuleVersionError(.storeFailed, "the insert returned no row") }
            var v = try Self.decode(row, withFiles: false)
            v.files = bundle.files
            return v
        }
    }

    func tableExists() throws -> Bool {
        try connection.execute("SELECT to_regclass('rule_versions') IS NOT NULL").scalar == "t"
    }

    static func json(_ files: [String: String]) throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(files), as: UTF8.self)
    }

    static func decode(_ row: [String?], withFiles: Bool) throws -> RuleVersion {
        guard let n = row[0].flatMap({ Int($0) }) else { throw RuleVersionError(.corrupt, "a row without a version number") }
        var rules: [RuleVersion.RuleEntry] = []
        if let text = row[6], let decoded = try? JSONDecoder().decode([RuleVersion.RuleEntry].self, from: Data(text.utf8)) { rules = decoded }
        var files: [String: String] = [:]
        if withFiles {
            if let text = row[7], let decoded = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) { files = decoded }
            // A row written by another tool with only `source`: that text is itself a rule file.
            if !files.keys.contains(where: { $0.hasSuffix(".rule") }), let source = row[8], !source.isEmpty { files["rules.rule"] = source }
        }
        return RuleVersion(number: n, hash: row[1] ?? "", author: row[2] ?? "", createdAt: row[3] ?? "", message: row[4] ?? "",
                           restores: row[5].flatMap { Int($0) }, rules: rules, files: files)
    }
}

extension JSONEncoder {
    /// Sorted keys: the same files give the same JSON.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

/// Errors of the rule-version tools.
public struct RuleVersionError: Error, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String { case storeFailed = "store_failed", corrupt, notFound = "not_found", refused }
        let value: Value
        public static let storeFailed = Code(value: .storeFailed)
        public static let corrupt = Code(value: .corrupt)
        public static let notFound = Code(value: .notFound)
        public static let refused = Code(value: .refused)
        public var description: String { value.rawValue }
    }
    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}

import Logging

/// Applies ``Migrations`` to a database.
///
/// All pending migrations run in one transaction under
/// `pg_advisory_xact_lock`, so concurrent workers starting at once wait for
/// each other instead of racing; the second finds nothing left to do.
public struct Migrator: Sendable {
    /// The migrations to apply, in any order (sorted by version here).
    public var migrations: [Migration]
    /// Advisory lock key shared by every Qianliyan process ("qly-migr").
    public static let lockKey: Int64 = 0x716c_792d_6d69_6772

    /// A migrator for `migrations` (versions must be unique and positive).
    public init(migrations: [Migration] = Migrations.all) {
        precondition(Set(migrations.map(\.version)).count == migrations.count, "duplicate migration version")
        precondition(migrations.allSatisfy { $0.version > 0 }, "migration versions must be positive")
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies every migration not yet recorded in `schema_migrations`;
    /// returns the versions applied now (empty when up to date).
    @discardableResult
    public func migrate(_ connection: PostgresConnection, logger: Logger? = nil) throws -> [Int] {
        // Up to date: read only, so that roles without DDL rights (qianliyan_worker,
        // qianliyan_web of migration 5) can start; pending migrations need the owner.
        let recorded = Set(try appliedVersions(connection))
        if !recorded.isEmpty, migrations.allSatisfy({ recorded.contains($0.version) }) {
            if let newest = recorded.max(), let known = migrations.last?.version, newest > known {
                logger?.warning("database schema is newer than this build", metadata: [
                    "db.schema_version": "\(newest)", "db.known_version": "\(known)"])
            }
            return []
        }
        return try connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock($1::int8)", params: [String(Migrator.lockKey)])
            try c.executeScript("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let done = Set(try c.execute("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap { Int($0) } })
            if let newest = done.max(), let known = migrations.last?.version, newest > known {
                logger?.warning("database schema is newer than this build", metadata: [
                    "db.schema_version": "\(newest)", "db.known_version": "\(known)"])
            }
            var applied: [Int] = []
            for m in migrations where !done.contains(m.version) {
                try c.executeScript(m.sql)
                try c.execute("INSERT INTO schema_migrations (version, name) VALUES ($1::int4, $2)",
                              params: [String(m.version), m.name])
                applied.append(m.version)
                logger?.info("migration applied", metadata: ["db.migration": "\(m.version) \(m.name)"])
            }
            return applied
        }
    }

    /// The versions recorded in `schema_migrations` (empty before the first migration).
    public func appliedVersions(_ connection: PostgresConnection) throws -> [Int] {
        let exists = try connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").scalar == "t"
        guard exists else { return [] }
        return try connection.execute("SELECT version FROM schema_migrations ORDER BY version").rows
            .compactMap { $0[0].flatMap { Int($0) } }
    }
}

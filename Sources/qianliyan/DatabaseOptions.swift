import AlertStore
import ArgumentParser
import Foundation
import Logging

/// `--database`: what libpq takes (URI or key=value string); default
/// $DATABASE_URL, else the embedded PostgreSQL, started on demand.
struct DatabaseOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "PostgreSQL connection: a URI or libpq string, e.g. postgresql:///qianliyan?host=/run/postgresql&user=me.",
        discussion: "Default: $DATABASE_URL; without it, the embedded cluster (see `qianliyan db --help`) is started or reused.",
        valueName: "url"))
    var database: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Directory of the embedded cluster (when it is used).", valueName: "dir"))
    var dataDir: String?

    /// The URL to use, starting the embedded cluster when nothing else is configured.
    func resolve(announce: Bool = true) async throws -> String {
        if let database, !database.isEmpty { return database }
        if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { return env }
        let pg = EmbeddedPostgres(directory: dataDir, logger: Logger(label: "qianliyan.db"))
        let url = try await pg.start()
        if announce {
            FileHandle.standardError.write("using the embedded PostgreSQL in \(pg.directory)\n  psql: \(EmbeddedPostgres.psqlCommand(url: url))\n")
        }
        return url
    }

    /// A migrated store.
    func store(announce: Bool = true) async throws -> PostgresAlertStore {
        let url = try await resolve(announce: announce)
        let store = PostgresAlertStore(url: url)
        _ = try await store.migrate()
        return store
    }
}

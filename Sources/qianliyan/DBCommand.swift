import AlertStore
import ArgumentParser
import Foundation
import Logging

/// `qianliyan db …`: the embedded PostgreSQL cluster and migrations.
struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded PostgreSQL 15 database (start, stop, status, url, migrate).",
        discussion: prose("""
        The embedded cluster lives in a directory of its own: --data-dir, else \
        $QIANLIYAN_HOME/pg, else /var/lib/qianliyan/pg as root or \
        ~/.local/share/qianliyan/pg otherwise. It is created on first start \
        (initdb), listens on a Unix socket in that directory and on 127.0.0.1 \
        at a free port, and trusts every local connection: keep only \
        throwaway data in it. Run as root, the server runs as the 'postgres' user.

        Commands that take --database use the embedded cluster when neither \
        --database nor DATABASE_URL is given.

        Examples:
          qianliyan db start              start or reuse it; prints the psql line
          export DATABASE_URL=$(qianliyan db url)
          qianliyan db status             exit status 0 when running
          qianliyan db stop
        """),
        subcommands: [Start.self, Stop.self, Status.self, URL.self, Migrate.self]
    )
}

/// Where the embedded cluster lives.
struct DBLocationOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Directory of the embedded cluster.", discussion: "Default: $QIANLIYAN_HOME/pg, /var/lib/qianliyan/pg (root) or ~/.local/share/qianliyan/pg.",
        valueName: "dir"))
    var dataDir: String?

    func embedded(durable: Bool = true, tcp: Bool = true) -> EmbeddedPostgres {
        EmbeddedPostgres(directory: dataDir, options: .init(durable: durable, listenOnTCP: tcp),
                         logger: Logger(label: "qianliyan.db"))
    }
}

extension DBCommand {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded cluster (creating it on first use), apply migrations, print how to reach it.")

        @OptionGroup var location: DBLocationOptions

        @Flag(name: .customLong("no-fsync"), help: "Skip fsync: much faster, but a machine crash may lose the cluster (tests, demos).")
        var noFsync = false

        @Flag(name: .customLong("no-tcp"), help: "Listen on the Unix socket only, not on 127.0.0.1.")
        var noTCP = false

        func run() async throws {
            let pg = location.embedded(durable: !noFsync, tcp: !noTCP)
            let url = try await pg.start()
            let store = PostgresAlertStore(url: url)
            let applied = try await store.migrate()
            await store.close()
            print("PostgreSQL \(pg.status()) in \(pg.directory)")
            if !applied.isEmpty { print("migrations applied: \(applied.map(String.init).joined(separator: ", "))") }
            print("url:  \(url)")
            print("psql: \(EmbeddedPostgres.psqlCommand(url: url))")
            print("Next: export DATABASE_URL='\(url)'   (or run replay/serve without --database)")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (its data stays).")

        @OptionGroup var location: DBLocationOptions

        func run() async throws {
            let pg = location.embedded()
            try await pg.stop()
            print("PostgreSQL \(pg.status()) in \(pg.directory)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether the embedded cluster runs.",
            discussion: "Exit status: 0 running, 3 stopped or not created yet.")

        @OptionGroup var location: DBLocationOptions

        func run() async throws {
            let pg = location.embedded()
            let status = pg.status()
            print("PostgreSQL \(status) in \(pg.directory)")
            guard case .running = status else {
                print("Start it with: qianliyan db start")
                throw ExitCode(3)
            }
            if let url = pg.url() { print("url:  \(url)") }
        }
    }

    struct URL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the URL of the running embedded database (for DATABASE_URL).")

        @OptionGroup var location: DBLocationOptions

        func run() async throws {
            let pg = location.embedded()
            guard let url = pg.url() else {
                FileHandle.standardError.write(Data("The embedded PostgreSQL in \(pg.directory) is not running: run `qianliyan db start`.\n".utf8))
                throw ExitCode.failure
            }
            print(url)
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations to a database.",
            discussion: "Safe to run any number of times and from several processes at once.")

        @OptionGroup var location: DBLocationOptions

        @Option(help: ArgumentHelp("Database URL or libpq connection string (default: $DATABASE_URL, else the embedded cluster).",
                                   valueName: "url"))
        var database: String?

        func run() async throws {
            let url: String
            if let database { url = database }
            else if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { url = env }
            else { url = try await location.embedded().start() }
            let store = PostgresAlertStore(url: url)
            let applied = try await store.migrate()
            await store.close()
            print(applied.isEmpty ? "schema up to date (\(ConnInfo.redacted(url)))"
                  : "migrations applied: \(applied.map(String.init).joined(separator: ", "))")
        }
    }
}

import Dispatch
import Foundation
import Logging

/// A throwaway local PostgreSQL 15 cluster in a directory of its own, for
/// the demo, a developer's machine and the tests.
///
/// Layout of ``directory``: `data/` (the cluster), `postgres.log`, `port`
/// (the port of the last start), the Unix socket `.s.PGSQL.<port>`.
/// ``start()`` runs `initdb` on first use (`-A trust -E UTF8 --locale=C`),
/// starts the server with `pg_ctl -w` on the socket and (unless disabled)
/// on 127.0.0.1 at a free port, creates the database and returns its URL;
/// a running cluster is reused. Run as root, the server runs as the
/// `postgres` OS user (PostgreSQL refuses root) via `runuser`, and every
/// directory above ``directory`` is made traversable for it (`o+x`).
///
/// Security: authentication is `trust`. Anyone who can reach the socket or
/// the loopback port is the superuser; use it for throwaway data only.
public struct EmbeddedPostgres: Sendable {
    /// How the cluster runs.
    public struct Options: Sendable, Hashable {
        /// fsync on (crash-safe). Off for tests: much faster, and a crash may lose the cluster.
        public var durable: Bool
        /// Also listen on 127.0.0.1 (besides the Unix socket).
        public var listenOnTCP: Bool
        /// Where `initdb`, `pg_ctl` and `postgres` live.
        public var binDirectory: String
        /// The database ``start()`` creates and its URL names.
        public var database: String
        /// The OS user that owns and runs the cluster when we run as root.
        public var osUser: String

        /// Defaults: durable, TCP on, PostgreSQL 15 binaries, database `qianliyan`, OS user `postgres`.
        public init(durable: Bool = true, listenOnTCP: Bool = true,
                    binDirectory: String = EmbeddedPostgres.defaultBinDirectory(),
                    database: String = "qianliyan", osUser: String = "postgres") {
            self.durable = durable
            self.listenOnTCP = listenOnTCP
            self.binDirectory = binDirectory
            self.database = database
            self.osUser = osUser
        }
    }

    /// Whether the cluster exists and runs.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case notInitialized
        case stopped
        case running(pid: Int32, port: Int)

        /// `running (pid …, port …)`, `stopped` or `not initialized`.
        public var description: String {
            switch self {
            case .notInitialized: "not initialized"
            case .stopped: "stopped"
            case .running(let pid, let port): "running (pid \(pid), port \(port))"
            }
        }
    }

    /// The cluster's own directory.
    public let directory: String
    /// How the cluster runs.
    public let options: Options
    let logger: Logger?

    /// The database superuser (role) of the cluster.
    public static let superuser = "postgres"

    /// A cluster in `directory` (default ``defaultDirectory(environment:)``); nothing starts yet.
    public init(directory: String? = nil, options: Options = Options(), logger: Logger? = nil) {
        self.directory = EmbeddedPostgres.absolute(directory ?? EmbeddedPostgres.defaultDirectory())
        self.options = options
        self.logger = logger
    }

    /// `$QIANLIYAN_PG_BIN`, else `/usr/lib/postgresql/15/bin`.
    public static func defaultBinDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["QIANLIYAN_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    }

    /// `$QIANLIYAN_HOME/pg`; else `/var/lib/qianliyan/pg` for root; else
    /// `$XDG_DATA_HOME/qianliyan/pg` or `~/.local/share/qianliyan/pg`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["QIANLIYAN_HOME"], !home.isEmpty { return home + "/pg" }
        if geteuid() == 0 { return "/var/lib/qianliyan/pg" }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/qianliyan/pg" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/qianliyan/pg"
    }

    var dataDirectory: String { directory + "/data" }
    var logFile: String { directory + "/postgres.log" }
    var portFile: String { directory + "/port" }

    /// Starts the cluster (creating it on first use) or reuses the running
    /// one, makes sure ``Options/database`` exists, and returns its URL.
    public func start() async throws -> String {
        try await EmbeddedPostgres.offload { try startBlocking() }
    }

    /// Stops the cluster (fast shutdown); does nothing when it is not running.
    public func stop() async throws {
        try await EmbeddedPostgres.offload { try stopBlocking() }
    }

    /// Whether the cluster exists and runs (reads `postmaster.pid`; no process started).
    public func status() -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return .notInitialized }
        guard let (pid, port) = runningPostmaster() else { return .stopped }
        return .running(pid: pid, port: port)
    }

    /// The URL of the running cluster's database, or nil when it is not running.
    public func url() -> String? {
        guard case .running(_, let port) = status() else { return nil }
        return url(port: port, database: options.database)
    }

    /// The URL of `database` on `port`: over the Unix socket when its path
    /// is short enough, else over 127.0.0.1.
    public func url(port: Int, database: String) -> String {
        if socketFits(port: port) {
            return "postgresql:///\(database)?host=\(EmbeddedPostgres.percentEncoded(directory))&port=\(port)&user=\(EmbeddedPostgres.superuser)"
        }
        return "postgresql://\(EmbeddedPostgres.superuser)@127.0.0.1:\(port)/\(database)"
    }

    /// A shell command that opens `psql` on `url`.
    public static func psqlCommand(url: String) -> String {
        "psql " + shellQuoted(url)
    }
}

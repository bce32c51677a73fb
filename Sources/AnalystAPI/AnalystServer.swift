import AlertStore
import Foundation
import Hummingbird
import Logging

/// The analysts' web application and JSON API over the `alerts` table.
///
/// Start it in-process (the demo does) or from `qianliyan serve`:
///
///     let server = AnalystServer(databaseURL: url, config: AnalystServerConfig(port: 8080, rulesDirectory: "Rules",
///                                                                         demoUser: "demo"))
///     try await server.prepare()                      // migrations
///     try await server.ensureDemoAnalyst(name: "demo", districts: ["330521"])
///     try await server.run()                          // until SIGINT/SIGTERM
///
/// or add ``application(onRunning:)`` to a `ServiceGroup` of your own.
public final class AnalystServer: Sendable {
    /// The database connections.
    public let database: AnalystDatabase
    /// The configuration.
    public let config: AnalystServerConfig
    /// Accounts, sessions and tokens.
    public let users: UserDirectory
    let catalog: RuleCatalog
    let logger: Logger
    let cache = ResultCache()

    /// A server over its own connections to `databaseURL`.
    public init(databaseURL: String, config: AnalystServerConfig = AnalystServerConfig(),
                logger: Logger = Logger(label: "qianliyan.analyst")) {
        self.database = AnalystDatabase(url: databaseURL, connections: config.connections, logger: logger)
        self.config = config
        self.logger = logger
        users = UserDirectory(database: database, bcryptCost: config.bcryptCost, sessionLifetimeMinutes: config.sessionLifetimeMinutes,
                              sessionIdleMinutes: config.sessionIdleMinutes)
        catalog = RuleCatalog(directory: config.rulesDirectory)
    }

    /// A server sharing one store (its requests then run one at a time).
    public init(store: PostgresAlertStore, config: AnalystServerConfig = AnalystServerConfig(),
                logger: Logger = Logger(label: "qianliyan.analyst")) {
        self.database = AnalystDatabase(store: store)
        self.config = config
        self.logger = logger
        users = UserDirectory(database: database, bcryptCost: config.bcryptCost, sessionLifetimeMinutes: config.sessionLifetimeMinutes,
                              sessionIdleMinutes: config.sessionIdleMinutes)
        catalog = RuleCatalog(directory: config.rulesDirectory)
    }

    /// Applies pending migrations and checks the configuration.
    public func prepare() async throws {
        if config.demoUser != nil && !AnalystServerConfig.isLoopback(config.host) {
            throw AnalystAPIError(.forbidden, "--demo-user logs every visitor in: it is allowed only on a loopback address")
        }
        try await database.migrate()
    }

    /// Creates (or updates) an analyst for the demo, with a random password
    /// nobody knows; combine with `demoUser` in the configuration so the
    /// browser is logged in as her. Districts default to every district
    /// that has alerts now.
    public func ensureDemoAnalyst(name: String = "demo", districts: [String] = [], role: AnalystRole = .lead) async throws {
        var ds = districts
        if ds.isEmpty {
            ds = try await database.read { c in
                try c.execute("SELECT DISTINCT district FROM alerts ORDER BY 1 LIMIT 100").rows.compactMap { $0[0] }
            }
        }
        if ds.isEmpty { ds = ["330521"] }
        try await users.ensureUser(AnalystUser(name: name, displayName: name == "demo" ? "演示分析员 demo" : name, role: role, districts: ds))
    }

    /// The Hummingbird application (a `Service`): add it to a `ServiceGroup`,
    /// or call ``run()``. `onRunning` receives the port actually bound.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: ApplicationConfiguration(address: .hostname(config.host, port: config.port), serverName: "qianliyan"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Migrates, then serves until SIGINT or SIGTERM.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await prepare()
        try await application(onRunning: onRunning).runService()
        await database.close()
    }

    /// Every route, UI and API.
    public func buildRouter() -> Router<AnalystRequestContext> {
        let router = Router(context: AnalystRequestContext.self)
        let recorder = RouteRecorder(router)
        addWebRoutes(recorder)
        addAPIRoutes(recorder)
        return router
    }
}

/// A short-lived cache of slow, read-only results (filter menus, the
/// overview), keyed by the user's scope and the query.
actor ResultCache {
    private var entries: [String: (expires: ContinuousClock.Instant, value: any Sendable)] = [:]

    func value<T: Sendable>(_ key: String, ttl: Duration, _ make: @Sendable () async throws -> T) async throws -> T {
        let now = ContinuousClock.now
        if let e = entries[key], e.expires > now, let v = e.value as? T { return v }
        let v = try await make()
        if entries.count > 500 { entries.removeAll() }
        entries[key] = (now + ttl, v)
        return v
    }

    func clear() { entries.removeAll() }
}

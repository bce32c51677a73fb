import AlertStore
import AnalystAPI
import ArgumentParser
import Foundation
import Logging

/// `qianliyan serve`: the analysts' queue (web UI and JSON API).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the analysts' alert queue: web UI (zh-CN / English) and JSON API.",
        discussion: prose("""
        Pages: /queue, /alerts/ID, /overview (integrity map), /rules, /audit.
        API: /api/… described by /api/openapi.json (bearer tokens from `qianliyan users token`).
        Accounts come from `qianliyan users add`; every user sees only the
        alerts of her districts.

        Examples:
          qianliyan users add wang --role analyst --district 330521
          qianliyan serve --listen 127.0.0.1:8080 --rules Rules
          # every local browser is logged in as 'demo' (loopback only):
          qianliyan serve --demo-user demo
        """))

    @OptionGroup var db: DatabaseOptions

    @Option(help: ArgumentHelp("Address and port to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("Folder of *.rule files for the rule pages (default: ./Rules when it exists).", valueName: "dir"))
    var rules: String?

    @Option(name: .customLong("demo-user"), help: ArgumentHelp(
        "Log every browser without a session in as this user, creating her as a lead if needed (demos; loopback only).", valueName: "name"))
    var demoUser: String?

    @Option(name: .customLong("demo-district"), help: ArgumentHelp("Districts of the demo user (default: every district with alerts).", valueName: "code"))
    var demoDistrict: [String] = []

    @Flag(name: .customLong("secure-cookies"), help: "Mark cookies Secure (when a TLS proxy serves the site over HTTPS).")
    var secureCookies = false

    @Option(help: "Database connections of the server.")
    var connections = 4

    @Option(name: .customLong("client-address-header"), help: ArgumentHelp(
        "Header holding the client's address, set by your reverse proxy (e.g. X-Real-IP); login throttling counts per address. Only behind such a proxy: clients could otherwise choose their address.",
        valueName: "name"))
    var clientAddressHeader: String?

    @Option(name: .customLong("login-failures-per-address"), help: "Failed logins accepted from one client address per 15 minutes before 429 (counted in the audit log: shared by every serve over the same database).")
    var loginFailuresPerAddress = 30

    func validate() throws {
        guard let (host, _) = AnalystServerConfig.parseListen(listen) else {
            throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:8080")
        }
        if demoUser != nil && !AnalystServerConfig.isLoopback(host) {
            throw ValidationError("--demo-user logs every visitor in; use it only with a loopback --listen address (127.0.0.1)")
        }
        for d in demoDistrict where !AnalystUser.isValidDistrict(d) { throw ValidationError("a district code has 6 digits: '\(d)'") }
        if !(1...64).contains(connections) { throw ValidationError("--connections: 1 to 64") }
        if loginFailuresPerAddress < 1 { throw ValidationError("--login-failures-per-address: at least 1") }
    }

    func run() async throws {
        let (host, port) = AnalystServerConfig.parseListen(listen)!
        let url = try await db.resolve()
        var rulesDir = rules
        if rulesDir == nil, FileManager.default.fileExists(atPath: "Rules") { rulesDir = "Rules" }
        let config = AnalystServerConfig(host: host, port: port, rulesDirectory: rulesDir, demoUser: demoUser,
                                         secureCookies: secureCookies, connections: connections,
                                         loginFailuresPerAddress: loginFailuresPerAddress, clientAddressHeader: clientAddressHeader)
        var logger = Logger(label: "qianliyan.serve")
        logger.logLevel = .info
        let server = AnalystServer(databaseURL: url, config: config, logger: logger)
        try await server.prepare()
        if let demoUser {
            try await server.ensureDemoAnalyst(name: demoUser, districts: demoDistrict)
        }
        try await server.run(onRunning: { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            let line = "serving the alert queue at http://\(shown):\(port)/queue\(demoUser.map { " (logged in as \($0))" } ?? "")\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        })
    }
}

/// How `qianliyan serve` (or the demo) runs the analysts' server.
public struct AnalystServerConfig: Sendable {
    /// Address to listen on (`127.0.0.1` keeps it on this machine).
    public var host: String
    /// Port; 0 picks a free one (see ``AnalystServer/application(onRunning:)``).
    public var port: Int
    /// A folder of `*.rule` files for the rule pages (e.g. `Rules`); nil: only `rule_versions`.
    public var rulesDirectory: String?
    /// When set, a browser without a session is logged in as this user
    /// (demo only; refused unless `host` is a loopback address).
    public var demoUser: String?
    /// Mark cookies `Secure` (set when serving behind HTTPS).
    public var secureCookies: Bool
    /// How often the queue page asks for new alerts.
    public var pollSeconds: Int
    /// How long a reveal of personal ids lasts on the alert page.
    public var revealMinutes: Int
    /// bcrypt cost of new passwords (12; tests use 4).
    public var bcryptCost: UInt8
    /// Database connections of the server.
    public var connections: Int
    /// Session lifetime and idle timeout, minutes.
    public var sessionLifetimeMinutes: Int
    /// A session unused this long ends.
    public var sessionIdleMinutes: Int
    /// Failed logins (any user names) accepted from one client address per
    /// 15 minutes; then `429` with `Retry-After` until the oldest ages out.
    /// (Per user name the limit is 10, counted in the audit log.)
    public var loginFailuresPerAddress: Int
    /// A request header holding the client's address, set by a trusted
    /// reverse proxy (`X-Forwarded-For`, `X-Real-IP`); nil: the TCP peer.
    /// Never set it without such a proxy: clients could choose their address.
    public var clientAddressHeader: String?

    /// A configuration; every argument has a production default.
    public init(host: String = "127.0.0.1", port: Int = 8080, rulesDirectory: String? = nil, demoUser: String? = nil,
                secureCookies: Bool = false, pollSeconds: Int = 10, revealMinutes: Int = 10, bcryptCost: UInt8 = 12,
                connections: Int = 4, sessionLifetimeMinutes: Int = 12 * 60, sessionIdleMinutes: Int = 120,
                loginFailuresPerAddress: Int = 30, clientAddressHeader: String? = nil) {
        self.host = host
        self.port = port
        self.rulesDirectory = rulesDirectory
        self.demoUser = demoUser
        self.secureCookies = secureCookies
        self.pollSeconds = max(2, pollSeconds)
        self.revealMinutes = max(1, revealMinutes)
        self.bcryptCost = bcryptCost
        self.connections = max(1, connections)
        self.sessionLifetimeMinutes = sessionLifetimeMinutes
        self.sessionIdleMinutes = sessionIdleMinutes
        self.loginFailuresPerAddress = max(1, loginFailuresPerAddress)
        self.clientAddressHeader = clientAddressHeader.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// True for `127.0.0.0/8`, `::1` and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Parses `HOST:PORT`, `:PORT` or `PORT` (IPv6 as `[::1]:8080`).
    public static func parseListen(_ s: String) -> (host: String, port: Int)? {
        var host = "127.0.0.1", portText = s
        if s.hasPrefix("[") , let close = s.firstIndex(of: "]") {
            host = String(s[s.index(after: s.startIndex)..<close])
            portText = String(s[s.index(after: close)...].dropFirst())
        } else if let colon = s.lastIndex(of: ":") {
            if colon != s.startIndex { host = String(s[..<colon]) }
            portText = String(s[s.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else { return nil }
        return (host, port)
    }
}

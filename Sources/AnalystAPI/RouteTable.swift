import Hummingbird

/// The request context of the analysts' server: Hummingbird's core context
/// plus the peer's address (for the per-address login throttle).
public struct AnalystRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The IP address of the TCP peer (the proxy, behind one); nil in router tests.
    public let peerAddress: String?

    /// A context for one request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// One route the server answers: method and Hummingbird path (`/alerts/:id`).
public struct AnalystRoute: Sendable, Hashable, CustomStringConvertible {
    /// `GET` or `POST`.
    public var method: String
    /// The path pattern, with `:name` captures.
    public var path: String

    /// `GET /alerts/:id`.
    public var description: String { "\(method) \(path)" }
}

/// Registers routes on a router and records them, so that the security
/// tests can enumerate every route the server has (a route added without
/// going through here would not exist: the route functions receive only
/// this recorder, never the router).
final class RouteRecorder: @unchecked Sendable {
    typealias Handler = @Sendable (Request, AnalystRequestContext) async throws -> Response

    private let router: Router<AnalystRequestContext>?
    /// Every route registered so far, in order.
    private(set) var table: [AnalystRoute] = []

    /// A recorder adding to `router` (nil: record only).
    init(_ router: Router<AnalystRequestContext>?) { self.router = router }

    func get(_ path: String, _ handler: @escaping Handler) {
        table.append(AnalystRoute(method: "GET", path: path))
        router?.get(RouterPath(path), use: handler)
    }

    func post(_ path: String, _ handler: @escaping Handler) {
        table.append(AnalystRoute(method: "POST", path: path))
        router?.post(RouterPath(path), use: handler)
    }
}

extension AnalystServer {
    /// Every route of the UI and the API, as registered by ``buildRouter()``.
    public var routes: [AnalystRoute] {
        let recorder = RouteRecorder(nil)
        addWebRoutes(recorder)
        addAPIRoutes(recorder)
        return recorder.table
    }

    /// Routes answered without a session or token (everything else needs one).
    public static let publicRoutes: Set<AnalystRoute> = [
        AnalystRoute(method: "GET", path: "/"),
        AnalystRoute(method: "GET", path: "/healthz"),
        AnalystRoute(method: "GET", path: "/login"),
        AnalystRoute(method: "POST", path: "/login"),
        AnalystRoute(method: "GET", path: "/api/openapi.json"),
    ]
}

import AlertStore
import Logging

/// A few ``PostgresAlertStore``s (one connection each) shared by the
/// server's requests, handed out at random, so that a slow query does not
/// hold up every other request.
public final class AnalystDatabase: Sendable {
    let stores: [PostgresAlertStore]

    /// Stores for `url` (anything libpq takes); does not connect yet.
    public init(url: String, connections: Int = 4, logger: Logger = Logger(label: "qianliyan.analyst-db")) {
        stores = (0..<max(1, connections)).map { _ in PostgresAlertStore(url: url, logger: logger) }
    }

    /// One store shared with its owner (requests then run one at a time).
    public init(store: PostgresAlertStore) {
        stores = [store]
    }

    /// The store for the next call.
    var store: PostgresAlertStore {
        stores.count == 1 ? stores[0] : stores[Int.random(in: 0..<stores.count)]
    }

    /// Applies pending migrations (the analysts' tables are migration 3).
    public func migrate() async throws {
        try await stores[0].migrate()
    }

    /// Runs `body` outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await store.withConnection(body)
    }

    /// Runs `body` in one transaction.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await store.withTransaction(body)
    }

    /// Closes every connection.
    public func close() async {
        for s in stores { await s.close() }
    }
}

/// A `WHERE` clause with `$n` parameters. Every query of this module starts
/// from ``scoped(_:)``, so the district restriction is always the first
/// condition and never depends on the caller remembering it.
struct ScopedSQL {
    private(set) var conditions: [String] = []
    private(set) var params: [String?] = []

    private init() {}

    /// Conditions that start with `district = ANY(scope)` (column `district`
    /// of `alias` when given). An empty scope matches nothing.
    static func scoped(_ scope: [String], alias: String? = nil) -> ScopedSQL {
        var q = ScopedSQL()
        let column = alias.map { "\($0).district" } ?? "district"
        if scope.count == 1 {
            // Plain equality lets the planner walk (district, detected_at, id) in order.
            q.add("\(column) = \(q.bind(scope[0]))")
        } else {
            q.add("\(column) = ANY(\(q.bind(PostgresText.arrayLiteral(scope)))::text[])")
        }
        return q
    }

    /// Adds a parameter; returns its placeholder.
    mutating func bind(_ value: String?) -> String {
        params.append(value.map(PostgresText.sanitized))
        return "$\(params.count)"
    }

    /// Adds a parameter holding a text array.
    mutating func bindArray(_ values: [String]) -> String {
        bind(PostgresText.arrayLiteral(values)) + "::text[]"
    }

    mutating func add(_ condition: String) { conditions.append(condition) }

    var whereClause: String { " WHERE " + conditions.joined(separator: " AND ") }
}

import AlertStore
import Dispatch
import HummingbirdBcrypt

/// Local accounts, login sessions and API tokens in PostgreSQL (`users`,
/// `sessions`, `api_tokens`). Passwords are bcrypt hashes; session and API
/// tokens are stored only as SHA-256 hashes (computed by the server), so a
/// copy of the database does not let anyone log in.
public struct UserDirectory: Sendable {
    let database: AnalystDatabase
    /// bcrypt cost (log2 rounds); 12 in production, lower only in tests.
    public var bcryptCost: UInt8
    /// How long a session lasts at most.
    public var sessionLifetimeMinutes: Int
    /// A session unused this long expires.
    public var sessionIdleMinutes: Int

    /// A directory over `database`.
    public init(database: AnalystDatabase, bcryptCost: UInt8 = 12, sessionLifetimeMinutes: Int = 12 * 60,
                sessionIdleMinutes: Int = 120) {
        self.database = database
        self.bcryptCost = min(max(bcryptCost, 4), 31)
        self.sessionLifetimeMinutes = sessionLifetimeMinutes
        self.sessionIdleMinutes = sessionIdleMinutes
    }

    /// A directory over one store (the CLI's).
    public init(store: PostgresAlertStore, bcryptCost: UInt8 = 12) {
        self.init(database: AnalystDatabase(store: store), bcryptCost: bcryptCost)
    }

    static let userColumns = "u.name, u.display_name, u.role, u.districts, u.disabled"

    static func user(_ r: [String?]) -> AnalystUser? {
        guard let name = r[0], let role = r[2].flatMap(AnalystRole.init(rawValue:)),
              let districts = r[3].flatMap(PostgresText.parseArray) else { return nil }
        return AnalystUser(name: name, displayName: r[1] ?? "", role: role,
                           districts: districts.compactMap { $0 }, disabled: r[4] == "t")
    }

    // MARK: accounts

    /// Creates a user. With `password` nil a random one is generated and
    /// returned (shown once); otherwise returns nil. Fails when the name
    /// exists or a value is malformed.
    @discardableResult
    public func addUser(_ user: AnalystUser, password: String?, actor: String = "cli") async throws -> String? {
        guard AnalystUser.isValidName(user.name) else {
            throw AnalystAPIError(.badRequest, "a user name is 1–64 of A-Z a-z 0-9 . _ - and starts with a letter or digit")
        }
        guard !user.districts.isEmpty, user.districts.allSatisfy(AnalystUser.isValidDistrict) else {
            throw AnalystAPIError(.badRequest, "give at least one district, each a 6-digit code")
        }
        if let password, password.count < 8 { throw AnalystAPIError(.badRequest, "a password has at least 8 characters") }
        let generated = password == nil ? SecureRandom.password() : nil
        let hash = await UserDirectory.hash(password ?? generated!, cost: bcryptCost)
        let u = user
        try await database.transaction { c in
            let exists = try c.execute("SELECT 1 FROM users WHERE name = $1", params: [u.name]).rows.count > 0
            if exists { throw AnalystAPIError(.conflict, "user '\(u.name)' exists") }
            try c.execute("""
                INSERT INTO users (name, display_name, role, districts, password_hash) VALUES ($1, $2, $3, $4::text[], $5)
                """, params: [u.name, u.displayName, u.role.rawValue, PostgresText.arrayLiteral(u.districts), hash])
            var d = JSONWriter()
            d.field("user", u.name)
            d.field("role", u.role.rawValue)
            d.field("districts", u.districts)
            try c.appendAudit(AuditActor(name: actor, role: nil, via: "cli", sessionRef: nil), action: "user_add", details: d)
        }
        return generated
    }

    /// Sets a user's password (and ends her sessions). Returns the new
    /// password when `password` is nil (generated).
    @discardableResult
    public func setPassword(user name: String, password: String?, actor: String = "cli") async throws -> String? {
        if let password, password.count < 8 { throw AnalystAPIError(.badRequest, "a password has at least 8 characters") }
        let generated = password == nil ? SecureRandom.password() : nil
        let hash = await UserDirectory.hash(password ?? generated!, cost: bcryptCost)
        try await database.transaction { c in
            let n = try c.execute("UPDATE users SET password_hash = $2, updated_at = now() WHERE name = $1", params: [name, hash]).affectedRows
            if n == 0 { throw AnalystAPIError(.notFound, "no user '\(name)'") }
            try c.execute("DELETE FROM sessions WHERE user_name = $1", params: [name])
            var d = JSONWriter()
            d.field("user", name)
            try c.appendAudit(AuditActor(name: actor, role: nil, via: "cli", sessionRef: nil), action: "user_password", details: d)
        }
        return generated
    }

    /// Disables or enables a user; disabling ends her sessions and tokens.
    public func setDisabled(user name: String, _ disabled: Bool, actor: String = "cli") async throws {
        try await database.transaction { c in
            let n = try c.execute("UPDATE users SET disabled = $2::bool, updated_at = now() WHERE name = $1",
                                  params: [name, disabled ? "t" : "f"]).affectedRows
            if n == 0 { throw AnalystAPIError(.notFound, "no user '\(name)'") }
            if disabled {
                try c.execute("DELETE FROM sessions WHERE user_name = $1", params: [name])
                try c.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_name = $1 AND revoked_at IS NULL", params: [name])
            }
            var d = JSONWriter()
            d.field("user", name)
            try c.appendAudit(AuditActor(name: actor, role: nil, via: "cli", sessionRef: nil),
                              action: disabled ? "user_disable" : "user_enable", details: d)
        }
    }

    /// Every user, by name.
    public func users() async throws -> [AnalystUser] {
        try await database.read { c in
            try c.execute("SELECT \(UserDirectory.userColumns) FROM users u ORDER BY u.name").rows.compactMap(UserDirectory.user)
        }
    }

    /// One user, or nil.
    public func user(named name: String) async throws -> AnalystUser? {
        try await database.read { c in
            try c.execute("SELECT \(UserDirectory.userColumns) FROM users u WHERE u.name = $1", params: [name]).rows.first.flatMap(UserDirectory.user)
        }
    }

    /// Creates an API token for `user` and returns it (shown once; only its hash is kept).
    public func createToken(user name: String, label: String = "", validDays: Int? = nil, actor: String = "cli") async throws -> String {
        let token = "qly_" + SecureRandom.token()
        try await database.transaction { c in
            let ok = try c.execute("SELECT 1 FROM users WHERE name = $1 AND NOT disabled", params: [name]).rows.count > 0
            if !ok { throw AnalystAPIError(.notFound, "no enabled user '\(name)'") }
            try c.execute("""
                INSERT INTO api_tokens (token_hash, user_name, label, expires_at)
                VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, now() + make_interval(days => $4::int4))
                """, params: [token, name, label, validDays.map { String($0) }])
            var d = JSONWriter()
            d.field("user", name)
            d.field("label", label)
            try c.appendAudit(AuditActor(name: actor, role: nil, via: "cli", sessionRef: nil), action: "token_create", details: d)
        }
        return token
    }

    /// Revokes every API token of `user`; returns how many.
    @discardableResult
    public func revokeTokens(user name: String, actor: String = "cli") async throws -> Int {
        try await database.transaction { c in
            let n = try c.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_name = $1 AND revoked_at IS NULL", params: [name]).affectedRows
            var d = JSONWriter()
            d.field("user", name)
            d.field("revoked", n)
            try c.appendAudit(AuditActor(name: actor, role: nil, via: "cli", sessionRef: nil), action: "token_revoke", details: d)
            return n
        }
    }

    /// Makes sure a user `name` exists with `role` and `districts` (for the
    /// demo): creates it with a random password, or updates role and
    /// districts of an existing one. Never returns the password.
    public func ensureUser(_ user: AnalystUser) async throws {
        guard AnalystUser.isValidName(user.name), user.districts.allSatisfy(AnalystUser.isValidDistrict) else {
            throw AnalystAPIError(.badRequest, "invalid demo user")
        }
        let hash = await UserDirectory.hash(SecureRandom.password(length: 24), cost: bcryptCost)
        let u = user
        try await database.transaction { c in
            try c.execute("""
                INSERT INTO users (name, display_name, role, districts, password_hash) VALUES ($1, $2, $3, $4::text[], $5)
                ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, districts = EXCLUDED.districts,
                    display_name = EXCLUDED.display_name, disabled = false, updated_at = now()
                """, params: [u.name, u.displayName, u.role.rawValue, PostgresText.arrayLiteral(u.districts), hash])
        }
    }

    // MARK: passwords

    static func hash(_ password: String, cost: UInt8) async -> String {
        await offPool { Bcrypt.hash(password, cost: cost) }
    }

    /// bcrypt is slow on purpose: run it on a Dispatch thread, not the cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: body()) }
        }
    }

    /// A hash to compare against when the user does not exist, so that
    /// unknown and known names take the same time.
    static let decoyHash = Bcrypt.hash("decoy password", cost: 12)

    /// The user when `password` is hers and she is enabled; nil otherwise.
    /// Failed attempts are audited with the client's `address` (the
    /// per-address limit counts them: `loginLockout(address:…)`); after
    /// 10 in 15 minutes the name is locked for the rest of that period
    /// (`tooManyAttempts`).
    func verify(name: String, password: String, via: String, address: String) async throws -> AnalystUser? {
        let row: (AnalystUser, String?)? = try await database.read { c in
            guard let r = try c.execute("SELECT \(UserDirectory.userColumns), u.password_hash FROM users u WHERE u.name = $1",
                                        params: [name]).rows.first, let u = UserDirectory.user(r) else { return nil }
            return (u, r[5])
        }
        if let wait = try await database.read({ c in try c.loginLockout(user: name, limit: 10, minutes: 15) }) {
            var e = AnalystAPIError(.tooManyAttempts, "too many failed logins; try again in 15 minutes")
            e.retryAfterSeconds = wait
            throw e
        }
        let stored = row?.1
        let ok = await UserDirectory.offPool { Bcrypt.verify(password, hash: stored ?? UserDirectory.decoyHash) }
        guard ok, let user = row?.0, !user.disabled, row?.1 != nil else {
            let known = row != nil
            try await database.transaction { c in
                var d = JSONWriter()
                d.field("known_user", known)
                d.field("address", address)
                try c.appendAudit(AuditActor(name: name, role: nil, via: via, sessionRef: nil), action: "login_failed", details: d)
            }
            return nil
        }
        return user
    }

    // MARK: sessions

    /// Starts a session; returns the cookie value and the CSRF token.
    func createSession(for user: AnalystUser, via: String, action: String = "login") async throws -> (token: String, csrf: String) {
        let token = SecureRandom.token(), csrf = SecureRandom.token()
        let lifetime = sessionLifetimeMinutes
        try await database.transaction { c in
            let ref = try c.execute("""
                INSERT INTO sessions (token_hash, user_name, csrf_token, expires_at)
                VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, now() + make_interval(mins => $4::int4))
                RETURNING left(encode(token_hash, 'hex'), 12)
                """, params: [token, user.name, csrf, String(lifetime)]).scalar
            try c.appendAudit(AuditActor(name: user.name, role: user.role.rawValue, via: via, sessionRef: ref), action: action)
            // Housekeeping: expired sessions go.
            try c.execute("DELETE FROM sessions WHERE expires_at < now()")
        }
        return (token, csrf)
    }

    /// The principal of a session cookie, or nil when unknown, expired or idle.
    func principal(sessionToken token: String) async throws -> Principal? {
        guard token.utf8.count == 43 else { return nil }
        let idle = sessionIdleMinutes
        return try await database.read { c in
            guard let r = try c.execute("""
                SELECT \(UserDirectory.userColumns), s.csrf_token, encode(s.token_hash, 'hex'),
                       s.last_seen_at < now() - interval '1 minute'
                FROM sessions s JOIN users u ON u.name = s.user_name
                WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.expires_at > now()
                  AND s.last_seen_at > now() - make_interval(mins => $2::int4) AND NOT u.disabled
                """, params: [token, String(idle)]).rows.first, let user = UserDirectory.user(r), let hash = r[6] else { return nil }
            if r[7] == "t" {
                try c.execute("UPDATE sessions SET last_seen_at = now() WHERE token_hash = decode($1, 'hex')", params: [hash])
            }
            return Principal(user: user, channel: .web, csrfToken: r[5], sessionRef: String(hash.prefix(12)), sessionHash: hash)
        }
    }

    /// Ends a session.
    func endSession(_ p: Principal) async throws {
        guard let hash = p.sessionHash else { return }
        try await database.transaction { c in
            try c.execute("DELETE FROM sessions WHERE token_hash = decode($1, 'hex')", params: [hash])
            try c.appendAudit(AuditActor(p), action: "logout")
        }
    }

    /// Ends the session of a cookie value, if it is one (at login: a browser
    /// never keeps a session id it had before, so a planted one is useless).
    func endSession(token: String) async throws {
        guard token.utf8.count == 43 else { return }
        try await database.transaction { c in
            try c.execute("DELETE FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))", params: [token])
        }
    }

    /// The principal of an API token, or nil when unknown, revoked or expired.
    func principal(apiToken token: String) async throws -> Principal? {
        guard token.hasPrefix("qly_"), token.utf8.count == 47 else { return nil }
        return try await database.read { c in
            guard let r = try c.execute("""
                SELECT \(UserDirectory.userColumns), t.id, t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'
                FROM api_tokens t JOIN users u ON u.name = t.user_name
                WHERE t.token_hash = sha256(convert_to($1, 'UTF8')) AND t.revoked_at IS NULL
                  AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled
                """, params: [token]).rows.first, let user = UserDirectory.user(r), let id = r[5] else { return nil }
            if r[6] == "t" { try c.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = $1::int8", params: [id]) }
            return Principal(user: user, channel: .api, csrfToken: nil, sessionRef: "token:\(id)", sessionHash: nil)
        }
    }
}

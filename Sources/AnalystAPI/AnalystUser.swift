/// What a user may do. Stored in `users.role`.
public enum AnalystRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// Works the queue of her districts.
    case analyst
    /// An analyst who also closes escalated alerts and reopens closed ones.
    case lead
    /// Reads the queue and the rule pages; comments, but changes no alert.
    case ruleAuthor = "rule_author"
    /// Everything a lead may do, plus the audit log of her districts.
    case admin

    /// May acknowledge, assign, escalate and close alerts.
    public var worksAlerts: Bool { self != .ruleAuthor }
    /// May close escalated alerts and reopen closed ones.
    public var isLead: Bool { self == .lead || self == .admin }
    /// May reveal masked personal ids (an audited action).
    public var mayReveal: Bool { self != .ruleAuthor }
    /// May read the audit log of her districts.
    public var readsAuditLog: Bool { self == .lead || self == .admin }
}

/// A local account (`users` row). Districts scope every query the user makes.
public struct AnalystUser: Sendable, Hashable {
    /// Login name.
    public var name: String
    /// Name shown in the UI (defaults to the login name).
    public var displayName: String
    /// What the user may do.
    public var role: AnalystRole
    /// 6-digit district codes whose alerts the user sees. Empty: none.
    public var districts: [String]
    /// A disabled user cannot log in and her sessions and tokens stop working.
    public var disabled: Bool

    /// A user value.
    public init(name: String, displayName: String = "", role: AnalystRole, districts: [String], disabled: Bool = false) {
        self.name = name
        self.displayName = displayName.isEmpty ? name : displayName
        self.role = role
        self.districts = districts
        self.disabled = disabled
    }

    /// True when `name` is a valid login name (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`).
    public static func isValidName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (1...64).contains(u.count) else { return false }
        for (i, c) in u.enumerated() {
            let alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            if i == 0 ? !alnum : !(alnum || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")) { return false }
        }
        return true
    }

    /// True when `code` is 6 ASCII digits.
    public static func isValidDistrict(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// How a request was authenticated.
enum AuthChannel: String, Sendable {
    /// A browser session (cookie); mutating requests need the CSRF token.
    case web
    /// An API token (`Authorization: Bearer`); no ambient credentials, no CSRF.
    case api
}

/// The authenticated user of one request.
struct Principal: Sendable {
    var user: AnalystUser
    var channel: AuthChannel
    /// The session's CSRF token (web only).
    var csrfToken: String?
    /// A short, non-secret reference of the session or token, for the audit log.
    var sessionRef: String
    /// The hash of the session token (web only), to log out.
    var sessionHash: String?

    /// The districts every query is restricted to.
    var scope: [String] { user.districts }
}

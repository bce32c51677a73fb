/// A request the analysts' server refuses, with the HTTP status it maps to.
///
/// `description` names the kind only; ``message`` is shown to the user and
/// never contains personal data or SQL.
public struct AnalystAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case badRequest, unauthenticated, forbidden, notFound, conflict, csrf, tooManyAttempts, unavailable
        }
        let base: Base
        init(_ base: Base) { self.base = base }

        /// The request is malformed (400).
        public static let badRequest = Code(.badRequest)
        /// No valid session or token (401; pages redirect to the login form).
        public static let unauthenticated = Code(.unauthenticated)
        /// The user's role does not allow the action (403).
        public static let forbidden = Code(.forbidden)
        /// No such thing in the user's districts (404) — also for things that
        /// exist outside them, so that existence does not leak.
        public static let notFound = Code(.notFound)
        /// The alert's state does not allow the action (409).
        public static let conflict = Code(.conflict)
        /// A mutating request without the session's CSRF token (403).
        public static let csrf = Code(.csrf)
        /// Too many failed logins (429).
        public static let tooManyAttempts = Code(.tooManyAttempts)
        /// The database is unreachable (503).
        public static let unavailable = Code(.unavailable)

        /// The code's name, e.g. `notFound`.
        public var description: String { base.rawValue }

        /// The HTTP status code.
        public var httpStatus: Int {
            switch base {
            case .badRequest: 400
            case .unauthenticated: 401
            case .forbidden, .csrf: 403
            case .notFound: 404
            case .conflict: 409
            case .tooManyAttempts: 429
            case .unavailable: 503
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// A short English message for the user (the UI translates known ones).
    public var message: String
    /// For `tooManyAttempts`: seconds until a new attempt is accepted (`Retry-After`).
    public var retryAfterSeconds: Int?
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    /// An error of `code`.
    public init(_ code: Code, _ message: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// Code and message.
    public var description: String { "AnalystAPIError.\(code)" + (message.isEmpty ? "" : ": \(message)") }
}

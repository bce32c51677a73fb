/// A failure talking to PostgreSQL or managing the embedded server.
///
/// Carries the SQLSTATE when the server (or libpq) reported one, and says
/// whether trying again can help (``isRetriable``): lost or refused
/// connections, serialization failures, deadlocks and server shutdowns are
/// retriable; syntax errors and constraint violations are not.
///
/// `description` never prints data values: server messages of the classes
/// that may echo a value (22 data exception, 23 integrity violation) are kept
/// for `debugDescription`.
public struct PostgresError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, in kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case connectionFailed, connectionLost, queryFailed, copyFailed
            case unexpectedResult, invalidValue, serverSetupFailed
        }
        let base: Base
        init(_ base: Base) { self.base = base }

        /// The connection could not be opened.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use.
        public static let connectionLost = Code(.connectionLost)
        /// The server rejected a statement.
        public static let queryFailed = Code(.queryFailed)
        /// A `COPY FROM STDIN` failed.
        public static let copyFailed = Code(.copyFailed)
        /// A result had an unexpected shape or value.
        public static let unexpectedResult = Code(.unexpectedResult)
        /// A value given by the caller cannot be stored.
        public static let invalidValue = Code(.invalidValue)
        /// Creating, starting or stopping the embedded server failed.
        public static let serverSetupFailed = Code(.serverSetupFailed)

        /// The code's name, e.g. `queryFailed`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The five-character SQLSTATE, when known (e.g. `42P01`).
    public var sqlState: String?
    /// The primary message (server, libpq or ours).
    public var message: String
    /// The server's DETAIL and HINT, if any (may contain values).
    public var detail: String?
    /// Where the error was raised (`#fileID`).
    public var file: String
    /// Where the error was raised (`#line`).
    public var line: Int

    /// An error of `code`; `sqlState` when the server or libpq gave one.
    public init(_ code: Code, sqlState: String? = nil, message: String, detail: String? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// True when the same operation may succeed if tried again (after a
    /// reconnect): connection failures, SQLSTATE class 08, 40001
    /// (serialization failure), 40P01 (deadlock), 57P01–57P03 (shutdown,
    /// cannot connect now) and 53300 (too many connections).
    public var isRetriable: Bool {
        if code == .connectionFailed || code == .connectionLost { return true }
        guard let s = sqlState else { return false }
        return PostgresError.retriableStates.contains(s) || s.hasPrefix("08")
    }

    static let retriableStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03", "53300"]

    /// Messages of these SQLSTATE classes may quote a stored value.
    var messageMayQuoteValues: Bool {
        guard let s = sqlState else { return false }
        return s.hasPrefix("22") || s.hasPrefix("23")
    }

    /// Code, SQLSTATE and message, without values the message may quote.
    public var description: String {
        var out = "PostgresError.\(code)"
        if let s = sqlState { out += " [SQLSTATE \(s)]" }
        if !messageMayQuoteValues { out += ": \(message)" }
        return out
    }

    /// Everything, DETAIL and HINT included (may contain data values).
    public var debugDescription: String {
        var out = "PostgresError.\(code)"
        if let s = sqlState { out += " [SQLSTATE \(s)]" }
        out += ": \(message)"
        if let d = detail { out += " (\(d))" }
        return out + " at \(file):\(line)"
    }
}

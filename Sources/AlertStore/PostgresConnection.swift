import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection, used synchronously.
///
/// Every call blocks its thread until the server answers: call it from a
/// thread of your own or a serial `DispatchQueue` (``PostgresAlertStore``
/// does this), never from the cooperative pool in a loop.
///
/// `@unchecked Sendable`: `PGconn` is not thread-safe. One thread uses a
/// connection at a time; its owner serialises access (PostgresAlertStore
/// only touches its connection on its serial queue).
public final class PostgresConnection: @unchecked Sendable {
    var handle: OpaquePointer?
    /// The connection string with passwords masked, for logs.
    public let redactedConnInfo: String

    /// Opens a connection. `conninfo` is anything libpq takes: `key=value`
    /// pairs or a URI such as
    /// `postgresql:///qianliyan?host=/run/postgresql&user=x`.
    /// The session uses UTF-8, `TimeZone=UTC` and ISO dates.
    public init(_ conninfo: String, file: String = #fileID, line: Int = #line) throws {
        redactedConnInfo = ConnInfo.redacted(conninfo)
        let keys = ["dbname", "client_encoding", "fallback_application_name"]
        let values = [conninfo, "UTF8", "qianliyan"]
        let conn = PostgresConnection.withCStrings(keys) { k in
            PostgresConnection.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn else {
            throw PostgresError(.connectionFailed, message: "out of memory creating a connection", file: file, line: line)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            // libpq may quote a malformed connection string, password included.
            let message = ConnInfo.scrubbed(PostgresConnection.lastMessage(conn), conninfo: conninfo)
            PQfinish(conn)
            throw PostgresError(.connectionFailed, sqlState: "08001", message: message, file: file, line: line)
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        handle = conn
        try executeScript("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'")
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection; later calls fail with `connectionLost`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// True while the connection is usable.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True inside a transaction block (also a failed one).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let s = PQtransactionStatus(handle)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// The server's process id for this session (for `pg_terminate_backend`).
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// The server version as an integer, e.g. 150004.
    public var serverVersion: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Runs one statement with `$1, $2 …` parameters sent as text
    /// (`PQexecParams`); `nil` is SQL NULL. Text must not contain U+0000
    /// (PostgreSQL text cannot hold it).
    @discardableResult
    public func execute(_ sql: String, params: [String?] = [], file: String = #fileID, line: Int = #line) throws -> PostgresRows {
        let conn = try connected(file: file, line: line)
        let result: OpaquePointer? = PostgresConnection.withOptionalCStrings(params) { values in
            PQexecParams(conn, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        return try consume(result, file: file, line: line)
    }

    /// `execute(_:params:)` with `bytes` sent in binary as one more parameter,
    /// `$(params.count + 1)` (a bytea): no hex text of twice the size to
    /// build here and to decode in the server (checkpoints of tens of MB).
    @discardableResult
    public func execute(_ sql: String, params: [String?], bytes: [UInt8], file: String = #fileID, line: Int = #line) throws -> PostgresRows {
        let conn = try connected(file: file, line: line)
        let n = params.count + 1
        var lengths = [Int32](repeating: 0, count: n)
        lengths[n - 1] = Int32(clamping: bytes.count)
        var formats = [Int32](repeating: 0, count: n)
        formats[n - 1] = 1
        let empty: [CChar] = [0]
        let result: OpaquePointer? = PostgresConnection.withOptionalCStrings(params) { texts in
            bytes.withUnsafeBytes { raw in
                empty.withUnsafeBufferPointer { e in
                    var values = Array(UnsafeBufferPointer(start: texts, count: params.count))
                    values.append(raw.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) } ?? e.baseAddress)
                    return PQexecParams(conn, sql, Int32(n), nil, values, lengths, formats, 0)
                }
            }
        }
        return try consume(result, file: file, line: line)
    }

    /// The first column of the first row, in binary (a bytea's bytes); nil when there is no row or it is null.
    public func queryBytes(_ sql: String, params: [String?] = [], file: String = #fileID, line: Int = #line) throws -> [UInt8]? {
        let conn = try connected(file: file, line: line)
        guard let result = PostgresConnection.withOptionalCStrings(params, { values in
            PQexecParams(conn, sql, Int32(params.count), nil, values, nil, nil, 1)
        }) else { throw error(nil, file: file, line: line) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else { throw error(result, file: file, line: line) }
        guard PQntuples(result) > 0, PQnfields(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        let count = Int(PQgetlength(result, 0, 0))
        guard let value = PQgetvalue(result, 0, 0) else { return [] }
        return value.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// Runs one or more `;`-separated statements without parameters
    /// (`PQexec`, the simple protocol). Returns the last statement's rows.
    @discardableResult
    public func executeScript(_ sql: String, file: String = #fileID, line: Int = #line) throws -> PostgresRows {
        let conn = try connected(file: file, line: line)
        return try consume(PQexec(conn, sql), file: file, line: line)
    }

    // MARK: internals

    func connected(file: String, line: Int) throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(.connectionLost, sqlState: "08003", message: "connection is closed", file: file, line: line)
        }
        return handle
    }

    /// Turns a result into rows or a thrown error, and clears it.
    func consume(_ result: OpaquePointer?, file: String, line: Int) throws -> PostgresRows {
        guard let result else { throw error(nil, file: file, line: line) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(affectedRows: PostgresConnection.affected(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return PostgresConnection.rows(of: result)
        default:
            throw error(result, file: file, line: line)
        }
    }

    /// The error of a failed result (or of the connection when `result` is nil).
    func error(_ result: OpaquePointer?, code: PostgresError.Code = .queryFailed, file: String, line: Int) -> PostgresError {
        var state: String? = nil
        var message = ""
        var detail: String? = nil
        if let result {
            state = PostgresConnection.field(result, "C")
            message = PostgresConnection.field(result, "M") ?? ""
            let d = [PostgresConnection.field(result, "D"), PostgresConnection.field(result, "H")].compactMap { $0 }
            detail = d.isEmpty ? nil : d.joined(separator: "; ")
            if message.isEmpty, let m = PQresultErrorMessage(result) { message = String(cString: m).trimmingSpaces() }
        }
        let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        if message.isEmpty { message = handle.map { PostgresConnection.lastMessage($0) } ?? "connection is closed" }
        if broken {
            return PostgresError(.connectionLost, sqlState: state ?? "08006", message: message, detail: detail, file: file, line: line)
        }
        return PostgresError(code, sqlState: state, message: message, detail: detail, file: file, line: line)
    }

    static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let p = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: p)
    }

    static func lastMessage(_ conn: OpaquePointer) -> String {
        guard let p = PQerrorMessage(conn) else { return "" }
        return String(cString: p).trimmingSpaces()
    }

    static func affected(_ result: OpaquePointer) -> Int {
        guard let p = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: p)) ?? 0
    }

    static func rows(of result: OpaquePointer) -> PostgresRows {
        let nFields = Int(PQnfields(result)), nRows = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(nFields)
        for c in 0..<nFields { columns.append(PQfname(result, Int32(c)).map { String(cString: $0) } ?? "") }
        var rows: [[String?]] = []
        rows.reserveCapacity(nRows)
        for r in 0..<nRows {
            var row: [String?] = []
            row.reserveCapacity(nFields)
            for c in 0..<nFields {
                if PQgetisnull(result, Int32(r), Int32(c)) != 0 {
                    row.append(nil)
                } else {
                    let p = PQgetvalue(result, Int32(r), Int32(c))!
                    let n = Int(PQgetlength(result, Int32(r), Int32(c)))
                    row.append(p.withMemoryRebound(to: UInt8.self, capacity: n) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
                    })
                }
            }
            rows.append(row)
        }
        return PostgresRows(columns: columns, rows: rows, affectedRows: affected(result))
    }

    /// Calls `body` with a C array of C strings that live for the call.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        withOptionalCStrings(strings) { body($0!) }
    }

    static func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { s in s.flatMap { strdup($0) } }
        defer { for p in pointers { free(p) } }
        pointers.append(nil)
        return pointers.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
        }
    }
}

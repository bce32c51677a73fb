import CLibPQ

extension PostgresConnection {
    /// Streams rows into `COPY … FROM STDIN` (text format). `copySQL` is the
    /// COPY statement, e.g. `COPY staging (a, b) FROM STDIN`; `body` writes
    /// rows through the ``CopyInWriter``, which sends them in chunks.
    /// Returns the number of rows copied. A throw from `body` aborts the COPY.
    @discardableResult
    public func copyIn(_ copySQL: String, file: String = #fileID, line: Int = #line,
                       _ body: (inout CopyInWriter) throws -> Void) throws -> Int {
        try copyStream(copySQL, file: file, line: line) { send in
            var writer = CopyInWriter(send: send)
            try body(&writer)
            try writer.flush()
        }
    }

    /// Streams rows into `COPY … FROM STDIN (FORMAT binary)`: `copySQL` is
    /// the statement; `body` writes rows through the ``CopyBinaryWriter``.
    /// Returns the number of rows copied. A throw from `body` aborts the COPY.
    @discardableResult
    public func copyInBinary(_ copySQL: String, file: String = #fileID, line: Int = #line,
                             _ body: (inout CopyBinaryWriter) throws -> Void) throws -> Int {
        try copyStream(copySQL, file: file, line: line) { send in
            var writer = CopyBinaryWriter(send: send)
            try body(&writer)
            try writer.finish()
        }
    }

    /// Runs `copySQL`, which must start COPY FROM STDIN, and hands `produce`
    /// the function that sends data; ends the copy (or aborts it when
    /// `produce` throws). The rows copied.
    private func copyStream(_ copySQL: String, file: String, line: Int,
                            _ produce: (@escaping ([UInt8]) throws -> Void) throws -> Void) throws -> Int {
        let conn = try connected(file: file, line: line)
        guard let start = PQexec(conn, copySQL) else { throw error(nil, code: .copyFailed, file: file, line: line) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start, file: file, line: line)
            throw PostgresError(.copyFailed, message: "statement did not start COPY FROM STDIN", file: file, line: line)
        }
        PQclear(start)
        let send: ([UInt8]) throws -> Void = { bytes in
            let ok = bytes.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { PQputCopyData(conn, $0, Int32(b.count)) }
            }
            if ok != 1 { throw self.error(nil, code: .copyFailed, file: file, line: line) }
        }
        do {
            try produce(send)
        } catch {
            PQputCopyEnd(conn, "aborted by the client")
            drainResults(conn)
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw error(nil, code: .copyFailed, file: file, line: line) }
        var firstError: PostgresError? = nil
        var copied = 0
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = PostgresConnection.affected(result)
            } else if firstError == nil {
                firstError = error(result, code: .copyFailed, file: file, line: line)
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
        return copied
    }

    private func drainResults(_ conn: OpaquePointer) {
        while let r = PQgetResult(conn) { PQclear(r) }
    }
}

/// Buffers COPY text-format rows and hands them to the connection in
/// chunks of about 256 KiB.
public struct CopyInWriter {
    var buffer: [UInt8] = []
    var fieldsInRow = 0
    let send: ([UInt8]) throws -> Void
    static let chunk = 256 * 1024

    init(send: @escaping ([UInt8]) throws -> Void) {
        self.send = send
        buffer.reserveCapacity(CopyInWriter.chunk + 4096)
    }

    /// Appends a text field (`nil` is NULL). U+0000 becomes U+FFFD.
    public mutating func field(_ value: String?) {
        separate()
        guard let value else { buffer.append(contentsOf: [0x5C, 0x4E]); return }  // \N
        CopyText.appendEscaped(value.utf8, to: &buffer)
    }

    /// Appends a `bytea` field (hex format).
    public mutating func field(bytea: [UInt8]) {
        separate()
        buffer.append(contentsOf: [0x5C, 0x5C, 0x78])  // \\x (the backslash escaped for COPY)
        CopyText.appendHex(bytea, to: &buffer)
    }

    /// Ends the current row; sends a chunk when the buffer is full.
    public mutating func endRow() throws {
        buffer.append(0x0A)
        fieldsInRow = 0
        if buffer.count >= CopyInWriter.chunk { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try send(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.append(0x09) }
        fieldsInRow += 1
    }
}

extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`; a throw rolls back and rethrows.
    ///
    /// When the connection is already inside a transaction, `body` joins it
    /// (no nested BEGIN): the outermost `transaction` decides commit or
    /// rollback, so writes of several helpers compose into one transaction.
    public func transaction<T>(file: String = #fileID, line: Int = #line,
                               _ body: (PostgresConnection) throws -> T) throws -> T {
        if isInTransaction { return try body(self) }
        try executeScript("BEGIN", file: file, line: line)
        let value: T
        do {
            value = try body(self)
        } catch {
            if isConnected { _ = try? executeScript("ROLLBACK", file: file, line: line) }
            throw error
        }
        do {
            try executeScript("COMMIT", file: file, line: line)
        } catch {
            if isConnected && isInTransaction { _ = try? executeScript("ROLLBACK", file: file, line: line) }
            throw error
        }
        return value
    }
}

/// The rows of a statement's result, every value in PostgreSQL's text
/// format (`nil` for SQL NULL).
public struct PostgresRows: Sendable, Hashable {
    /// Column names, in order.
    public var columns: [String]
    /// One array per row, one value per column.
    public var rows: [[String?]]
    /// Rows affected by INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`), 0 otherwise.
    public var affectedRows: Int

    /// Rows as given.
    public init(columns: [String] = [], rows: [[String?]] = [], affectedRows: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    /// The index of a column by name.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// The value of the first row's first column, for `SELECT count(*)` and the like.
    public var scalar: String? { rows.first?.first ?? nil }
}

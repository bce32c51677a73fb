import EventModel

/// A row of `dead_letters`.
public struct StoredDeadLetter: Sendable, Hashable {
    /// Primary key.
    public var id: Int64
    /// `file` or `kafka`.
    public var sourceKind: String
    /// The file path or `topic/partition`.
    public var sourceName: String
    /// The 1-based line number or the Kafka offset.
    public var position: Int64
    /// The line or message exactly as received.
    public var raw: [UInt8]
    /// SHA-256 of `raw` (32 bytes).
    public var rawSHA256: [UInt8]
    /// Machine code, e.g. `bad_amount`.
    public var kind: String
    /// The reason in words.
    public var reason: String
    /// The event id, when one could be read.
    public var eventID: String?
    /// When it was stored.
    public var receivedAt: Instant
}

extension StoredDeadLetter {
    static let selectList = "id, source_kind, source_name, position, raw, raw_sha256, kind, reason, event_id, "
        + PostgresText.micros("received_at")

    init(row r: [String?]) throws {
        func text(_ i: Int) throws -> String {
            guard let v = r[i] else { throw PostgresError(.unexpectedResult, message: "NULL in dead_letters column \(i)") }
            return v
        }
        guard let id = Int64(try text(0)), let position = Int64(try text(3)), let received = Int64(try text(9)),
              let raw = PostgresText.parseBytea(try text(4)), let sha = PostgresText.parseBytea(try text(5)) else {
            throw PostgresError(.unexpectedResult, message: "malformed dead_letters row")
        }
        self.init(id: id, sourceKind: try text(1), sourceName: try text(2), position: position, raw: raw,
                  rawSHA256: sha, kind: try text(6), reason: try text(7), eventID: r[8], receivedAt: received)
    }
}

/// Where a rejected line or message came from.
public enum DeadLetterSource: Sendable, Hashable, Codable {
    /// A ledger file and its 1-based line number.
    case file(path: String, line: Int)
    /// A Kafka record.
    case kafka(topic: String, partition: Int32, offset: Int64)

    /// `file` or `kafka`.
    public var kind: String {
        switch self {
        case .file: "file"
        case .kafka: "kafka"
        }
    }

    /// The file name or `topic/partition`.
    public var name: String {
        switch self {
        case .file(let p, _): p
        case .kafka(let t, let p, _): "\(t)/\(p)"
        }
    }

    /// The line number or offset.
    public var position: Int64 {
        switch self {
        case .file(_, let l): Int64(l)
        case .kafka(_, _, let o): o
        }
    }
}

/// An input that broke the contract (or arrived late), kept with its raw
/// bytes and the reason, never dropped silently.
public struct DeadLetter: Sendable, Hashable, Codable {
    public var source: DeadLetterSource
    public var raw: [UInt8]
    public var error: DecodeError
    /// The event id when one could be read.
    public var eventID: String?

    public init(source: DeadLetterSource, raw: [UInt8], error: DecodeError, eventID: String? = nil) {
        self.source = source
        self.raw = raw
        self.error = error
        self.eventID = eventID
    }

    /// Machine code of the fault, e.g. `bad_amount`.
    public var kind: String { error.kind.rawValue }
    /// The reason in words.
    public var reason: String { error.description }
}

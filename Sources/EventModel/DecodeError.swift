/// Why a line or message breaks the event contract.
///
/// `kind` is a stable machine code (it becomes `dead_letters.kind`);
/// `field` names the offending field when there is one; `detail` says
/// what was wrong in words, without echoing the value.
public struct DecodeError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case badJSON = "bad_json"
        case notObject = "not_object"
        case missingField = "missing_field"
        case nullRequired = "null_required"
        case wrongType = "wrong_type"
        case unknownType = "unknown_type"
        case badTimestamp = "bad_timestamp"
        case badAmount = "bad_amount"
        case badNumber = "bad_number"
        case badVillage = "bad_village"
        case badEventID = "bad_event_id"
        case badDate = "bad_date"
        case badEnum = "bad_enum"
        case tooLarge = "too_large"
        /// Not a contract fault of the line itself: an event older than the
        /// streaming watermark (RULES.md).
        case late = "late"
        /// Not a line at all: Kafka messages deleted by retention before they were read.
        case offsetGap = "offset_gap"
    }

    public var kind: Kind
    public var field: String?
    public var detail: String

    public init(_ kind: Kind, field: String? = nil, _ detail: String) {
        self.kind = kind
        self.field = field
        self.detail = detail
    }

    /// e.g. `bad_amount: field 'amount': negative amount`.
    public var description: String {
        if let f = field { return "\(kind.rawValue): field '\(f)': \(detail)" }
        return "\(kind.rawValue): \(detail)"
    }
}

/// The few fields ``LedgerPublisher`` needs from an event line, found by a
/// light scan of the top-level object (no decoding, no validation): the raw
/// bytes between the quotes of `"type"`, `"village"` and `"occurred_at"`
/// when they are strings. Anything unreadable is simply nil — the full
/// decoder downstream reports the violation.
struct LedgerEventFields {
    var type: Range<Int>?
    var village: Range<Int>?
    var occurredAt: Range<Int>?

    private static let typeKey = Array("type".utf8)
    private static let villageKey = Array("village".utf8)
    private static let occurredAtKey = Array("occurred_at".utf8)

    static func scan(_ line: UnsafeRawBufferPointer) -> LedgerEventFields {
        var fields = LedgerEventFields()
        var depth = 0
        var expectKey = false
        var key: Range<Int>?
        var index = 0
        let count = line.count
        while index < count {
            let byte = line[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1 { key = nil }
                depth += 1
                expectKey = depth == 1 && byte == UInt8(ascii: "{")
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 { return fields }
                index += 1
            case UInt8(ascii: ","):
                if depth == 1 { expectKey = true; key = nil }
                index += 1
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < count, line[end] != UInt8(ascii: "\"") {
                    end += line[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard end < count else { return fields }
                let string = (index + 1)..<end
                if depth == 1 {
                    if expectKey {
                        key = string
                        expectKey = false
                    } else if let currentKey = key {
                        if equal(line, currentKey, typeKey) { fields.type = string }
                        else if equal(line, currentKey, villageKey) { fields.village = string }
                        else if equal(line, currentKey, occurredAtKey) { fields.occurredAt = string }
                        key = nil
                        if fields.type != nil, fields.village != nil, fields.occurredAt != nil { return fields }
                    }
                }
                index = end + 1
            case UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                index += 1
            default:
                if depth == 1 { key = nil }  // a number or literal value
                index += 1
            }
        }
        return fields
    }

    private static func equal(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: [UInt8]) -> Bool {
        guard range.count == literal.count else { return false }
        for (offset, byte) in literal.enumerated() where line[range.lowerBound + offset] != byte { return false }
        return true
    }

    /// Milliseconds since the epoch of an RFC 3339 timestamp
    /// (`2022-03-14T10:22:05.5+08:00`, `…Z`), or nil when it does not parse.
    /// Lenient: only for ordering events in ``DisorderBuffer``.
    static func epochMilliseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        func digits(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in from..<(from + count) {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var index = 19
        var millis: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                millis += Int64(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"): break
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let hours = digits(index + 1, 2), let minutes = digits(index + 4, 2) else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default: return nil
        }
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) - offsetSeconds) * 1000 + millis
    }
}

/// A 12-digit administrative division code of a village (社区/行政村),
/// held as its integer value. Its first 9 digits name the township, the
/// first 6 the county/district.
public struct VillageCode: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var value: UInt64

    @inlinable public init(value: UInt64) { self.value = value }

    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(value) }
    /// Codes are dense small integers: mixed once instead of SipHash (see `Fingerprint`).
    @inlinable public func _rawHashValue(seed: Int) -> Int { Fingerprint.tableHash(value &* 0x9E37_79B9_7F4A_7C15, seed: seed) }

    /// Parses exactly 12 ASCII digits.
    public init?(_ s: String) {
        // The decoder's parse of a `village` member, on the string's bytes in place.
        var text = s
        guard let parsed = text.withUTF8(EventDecoder.villageCode) else { return nil }
        value = parsed
    }

    /// The 9-digit township code as an integer.
    @inlinable public var township: UInt64 { value / 1000 }
    /// The 6-digit district code as an integer.
    @inlinable public var district: UInt64 { value / 1_000_000 }

    public var description: String { VillageCode.pad(value, 12) }
    public var townshipCode: String { VillageCode.pad(township, 9) }
    public var districtCode: String { VillageCode.pad(district, 6) }

    public static func < (a: VillageCode, b: VillageCode) -> Bool { a.value < b.value }

    static func pad(_ v: UInt64, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }
}

/// A 128-bit fingerprint of a string's UTF-8 bytes.
///
/// Ids and text values are compared through fingerprints, which need no
/// shared intern table (so any number of evaluators can run side by side)
/// and never grow with the stream. Two different strings share a
/// fingerprint with probability about 2⁻¹²⁸ per pair — below 10⁻²⁰ for a
/// year of a province's data.
public struct Fingerprint: Hashable, Sendable, Comparable, Codable, BitwiseCopyable {
    public var hi: UInt64
    public var lo: UInt64

    @inlinable
    public init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }

    public static let zero = Fingerprint(hi: 0, lo: 0)

    @inlinable
    public static func < (a: Fingerprint, b: Fingerprint) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }

    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(lo) }

    /// What `Dictionary` and `Set` use: the low word is already a strong hash
    /// of the text, so one multiply-xorshift mix with the table's seed stands
    /// in for SipHash (10 % of the engine's instructions when it ran through
    /// `Hasher`). Equal fingerprints give equal values, as Hashable requires.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { Fingerprint.tableHash(lo, seed: seed) }

    /// One multiply-xorshift round of a 64-bit key with a table's seed: the
    /// hash of hot dictionary keys (fingerprints, village codes).
    @inlinable @inline(__always)
    public static func tableHash(_ v: UInt64, seed: Int) -> Int {
        var x = v ^ UInt64(bitPattern: Int64(seed))
        x = (x ^ (x &>> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x ^= x &>> 33
        return Int(truncatingIfNeeded: x)
    }

    /// Fingerprint of a string.
    public init(_ s: String) {
        var s = s
        self = s.withUTF8 { Fingerprint(bytes: $0) }
    }

    /// Fingerprint of raw bytes.
    @inlinable
    public init(bytes: UnsafeBufferPointer<UInt8>) {
        self.init(base: bytes.baseAddress, count: bytes.count)
    }

    @inlinable @inline(__always)
    public init(base: UnsafePointer<UInt8>?, count: Int) {
        // Two independent 64-bit lanes of a multiply-xorshift hash over 8-byte words.
        var h1: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var h2: UInt64 = 0xC2B2_AE3D_27D4_EB4F &+ UInt64(truncatingIfNeeded: count)
        guard let p = base, count > 0 else {
            self.init(hi: Fingerprint.mix(h1), lo: Fingerprint.mix(h2 ^ 0x5555))
            return
        }
        var i = 0
        while i + 8 <= count {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            h1 = Fingerprint.mix(h1 ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h2 = Fingerprint.mix(h2 &+ (w &* 0x9FB2_1C65_1E98_DF25)) ^ (h2 >> 29)
            i += 8
        }
        if i < count {
            // The last 1–7 bytes packed little-endian, with whole loads that
            // stay inside the buffer.
            let rem = count &- i
            let raw = UnsafeRawPointer(p)
            var w: UInt64
            if count >= 8 {
                w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)) &>> UInt64(64 &- 8 &* rem)
            } else if count >= 4 {
                let lo = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                let hi = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)))
                w = lo | hi &<< UInt64(8 &* (count &- 4))
            } else {
                w = UInt64(p[0])
                if count > 1 { w |= UInt64(p[1]) &<< 8 }
                if count > 2 { w |= UInt64(p[2]) &<< 16 }
            }
            h1 = Fingerprint.mix(h1 ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h2 = Fingerprint.mix(h2 &+ (w &* 0x9FB2_1C65_1E98_DF25)) ^ (h2 >> 29)
        }
        self.init(hi: Fingerprint.mix(h1 ^ 0x1234_5678), lo: Fingerprint.mix(h2 ^ (h1 >> 17)))
    }

    @inlinable
    static func mix(_ x0: UInt64) -> UInt64 {
        var x = x0
        x ^= x >> 33
        x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    /// Combine with another fingerprint (order-sensitive), for composite keys.
    @inlinable
    public func combined(with o: Fingerprint) -> Fingerprint {
        Fingerprint(hi: Fingerprint.mix(hi &* 31 ^ o.hi &+ 0x632B_E59B_D9B4_E019),
                    lo: Fingerprint.mix(lo ^ (o.lo &* 0x8CB9_2BA7_2F3D_8DD7) ^ (hi >> 7)))
    }
}

/// The bytes of a short text (a date, a time, an amount, an alert's
/// summary), appended part by part and made a `String` once: building such
/// a text from `String` parts allocated and copied a string per part
/// (≈ 7,000 instructions for a local time in an alert summary,
/// `Benchmarks/instructions`).
public struct TextBytes {
    @usableFromInline var bytes: [UInt8] = []

    @inlinable public init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inlinable public mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func append(bytes b: [UInt8]) { bytes.append(contentsOf: b) }

    /// `String(v)` with zeros in front up to `width` characters (a negative
    /// number keeps its sign after the zeros, as the string version did).
    mutating func append(_ v: Int, width: Int) {
        let m = UInt64(v.magnitude)
        let length = Self.digitCount(m) + (v < 0 ? 1 : 0)
        if length < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - length)) }
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(m, separatingThousands: false)
    }

    /// The decimal digits of `v`, with a `,` between groups of three when `separatingThousands`.
    mutating func appendDigits(_ v: UInt64, separatingThousands: Bool) {
        var place = Self.digitCount(v)
        var power: UInt64 = 1
        for _ in 1..<place { power &*= 10 }
        var rest = v
        while place > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / power))
            rest %= power
            power /= 10
            place -= 1
            if separatingThousands && place > 0 && place % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
        }
    }

    private static func digitCount(_ v: UInt64) -> Int {
        var n = 1
        var rest = v
        while rest >= 10 {
            rest /= 10
            n += 1
        }
        return n
    }

    /// Removes trailing `0` bytes (the zeros of a fraction).
    mutating func dropTrailingZeros() {
        while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
    }

    @inlinable public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// The bytes of a short text (a date, a time), appended part by part and
/// made a `String` once: building such a text from `String` parts allocated
/// and copied a string per part (≈ 7,000 instructions for a local time in
/// an alert summary, `Benchmarks/instructions`).
struct TextBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `String(v)` with zeros in front up to `width` characters (a negative
    /// number keeps its sign after the zeros, as the string version did).
    mutating func append(_ v: Int, width: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 0
            var rest = v.magnitude
            repeat {
                digits[n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                n += 1
            } while rest > 0
            let length = n + (v < 0 ? 1 : 0)
            if length < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - length)) }
            if v < 0 { bytes.append(UInt8(ascii: "-")) }
            while n > 0 {
                n -= 1
                bytes.append(digits[n])
            }
        }
    }

    /// Removes trailing `0` bytes (the zeros of a fraction).
    mutating func dropTrailingZeros() {
        while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// The generator's only source of randomness: SplitMix64 (Steele, Lea and
/// Flood), a tiny, fast, well-mixed 64-bit generator. Every stream of the
/// generator is one of these, seeded from the user's seed and a stream tag, so
/// that the same seed always gives the same bytes on every platform.
struct SplitMix64: Sendable {
    var state: UInt64

    init(seed: UInt64, stream: UInt64) {
        state = SplitMix64.mix(seed ^ SplitMix64.mix(stream &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019))
    }

    /// The SplitMix64 finalizer: a bijection on 64-bit words.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A hash of several words, for decisions that must not consume a stream.
    @inline(__always)
    static func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0, _ d: UInt64 = 0) -> UInt64 {
        mix(mix(mix(a &+ 0x9E37_79B9_7F4A_7C15 ^ b) &+ c) ^ (d &* 0xD6E8_FEB8_6659_FD93))
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in 0..<n (n > 0), by Lemire's multiply-high.
    @inline(__always)
    mutating func int(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in lo...hi.
    @inline(__always)
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + int(hi - lo + 1) }

    @inline(__always)
    mutating func int64(_ lo: Int64, _ hi: Int64) -> Int64 {
        lo + Int64(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(hi - lo + 1)).high)
    }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { p > 0 && uniform() < p }

    /// A uniformly chosen element.
    @inline(__always)
    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }

    /// Approximately standard normal (Irwin–Hall with 12 uniforms).
    mutating func normal() -> Double {
        var s = 0.0
        for _ in 0..<12 { s += uniform() }
        return s - 6
    }

    /// exp(mu + sigma·N(0,1)).
    mutating func logNormal(mu: Double, sigma: Double) -> Double {
        DMath.exp(mu + sigma * normal())
    }

    /// A Poisson count (Knuth for small means, a rounded normal for large ones).
    mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda > 40 {
            let x = lambda + lambda.squareRoot() * normal()
            return x < 0 ? 0 : Int(x + 0.5)
        }
        let l = DMath.exp(-lambda)
        var k = 0
        var p = uniform()
        while p > l { k += 1; p *= uniform() }
        return k
    }

    /// An index drawn by weights given as a cumulative table.
    @inline(__always)
    mutating func weighted(_ cumulative: [Double]) -> Int {
        let x = uniform() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Shuffles in place (Fisher–Yates).
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, int(i + 1))
        }
    }
}

/// Cumulative weight tables for `SplitMix64.weighted`.
enum Weights {
    static func cumulative(_ w: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(w.count)
        var s = 0.0
        for x in w { s += x; out.append(s) }
        return out
    }

    /// Zipf-like weights 1/(k+1)^s, the heavy tail of payees.
    static func zipf(_ n: Int, exponent s: Double) -> [Double] {
        cumulative((0..<n).map { DMath.exp(-s * DMath.log(Double($0 + 1))) })
    }
}

/// exp and log in plain Swift arithmetic, so that the module needs no libm
/// and gives bit-identical results everywhere.
enum DMath {
    static let ln2 = 0.693_147_180_559_945_3

    static func exp(_ x: Double) -> Double {
        if x > 700 { return .infinity }
        if x < -700 { return 0 }
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        // Taylor series on |r| ≤ ln2/2.
        var term = 1.0, sum = 1.0
        for i in 1...16 {
            term *= r / Double(i)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
    }

    static func log(_ x: Double) -> Double {
        precondition(x > 0, "log of a non-positive number")
        let e = Double(x.exponent)
        let m = x.significand // [1, 2)
        // log m = 2·atanh((m−1)/(m+1))
        let y = (m - 1) / (m + 1)
        let y2 = y * y
        var term = y, sum = 0.0
        var i = 1.0
        while i < 60 {
            sum += term / i
            term *= y2
            i += 2
        }
        return 2 * sum + e * ln2
    }
}

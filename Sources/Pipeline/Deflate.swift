import CZlib

/// zlib compression for checkpoints: a 8-byte little-endian length, then
/// the deflate stream.
enum Deflate {
    struct Failed: Error, CustomStringConvertible {
        var description: String { "a checkpoint could not be (de)compressed: it is corrupt" }
    }

    static func compress(_ data: [UInt8], level: Int32 = 1) -> [UInt8] {
        var bound = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(bound) + 8)
        let n = UInt64(data.count)
        for k in 0..<8 { out[k] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(k))) }
        let rc = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { d in
                compress2(o.baseAddress! + 8, &bound, d.baseAddress, uLong(data.count), level)
            }
        }
        precondition(rc == Z_OK, "compress2 with a compressBound-sized buffer cannot fail")
        out.removeLast(out.count - 8 - Int(bound))
        return out
    }

    static func decompress(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 8 else { throw Failed() }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(data[k]) << (8 * UInt64(k)) }
        guard n < 1 << 36 else { throw Failed() }
        var out = [UInt8](repeating: 0, count: Int(n))
        var len = uLongf(n)
        let rc = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { d in
                uncompress(o.baseAddress, &len, d.baseAddress! + 8, uLong(data.count - 8))
            }
        }
        guard rc == Z_OK, len == n else { throw Failed() }
        return out
    }
}

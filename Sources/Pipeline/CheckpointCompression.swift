import CZlib
import CZstd

/// Compression of checkpoints: zstd (level 1, with a checksum of the
/// content) after an 8-byte marker of 0xFF. Checkpoints written before it — an 8-byte little-endian length
/// (always below 2^36), then a zlib stream — still load.
///
/// zstd at level 1 compressed the 205 MB state of a 1 M-event ledger's
/// cross-village shard to 38 MB in 0.6 s, where zlib at level 1 took 2.9 s
/// for 50 MB; zlib was a quarter of a streaming worker's CPU time.
enum CheckpointCompression {
    struct Failed: Error, CustomStringConvertible {
        var description: String { "a checkpoint could not be (de)compressed: it is corrupt" }
    }

    static let marker = [UInt8](repeating: 0xFF, count: 8)

    static func compress(_ data: [UInt8], level: Int32 = 1) -> [UInt8] {
        let bound = ZSTD_compressBound(data.count)
        let context = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(context) }
        // A checksum of the content, so that a damaged checkpoint is refused rather than restored.
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        // Left uninitialised: zero-filling the bound (about the input's size, five times
        // what level 1 writes) was a fifth of a checkpoint's time, in `memset` and page faults.
        // Pages past what is written are never touched, so never resident.
        return [UInt8](unsafeUninitializedCapacity: bound + 8) { o, count in
            for k in 0..<8 { o[k] = 0xFF }
            let n = data.withUnsafeBytes { d in ZSTD_compress2(context, o.baseAddress! + 8, bound, d.baseAddress, data.count) }
            precondition(ZSTD_isError(n) == 0, "ZSTD_compress2 into a ZSTD_compressBound-sized buffer cannot fail")
            count = 8 + n
        }
    }

    static func decompress(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 8 else { throw Failed() }
        if data.starts(with: marker) { return try zstdDecompress(data) }
        return try zlibDecompress(data)
    }

    private static func zstdDecompress(_ data: [UInt8]) throws -> [UInt8] {
        let size = data.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress! + 8, data.count - 8) }
        guard size < 1 << 36 else { throw Failed() }  // also ZSTD_CONTENTSIZE_UNKNOWN / _ERROR
        var n = 0
        let out = [UInt8](unsafeUninitializedCapacity: Int(size)) { o, count in
            n = data.withUnsafeBytes { d in ZSTD_decompress(o.baseAddress, Int(size), d.baseAddress! + 8, data.count - 8) }
            // Only what zstd wrote counts as initialised.
            count = ZSTD_isError(n) == 0 ? min(n, Int(size)) : 0
        }
        guard ZSTD_isError(n) == 0, n == Int(size) else { throw Failed() }
        return out
    }

    /// The format before zstd: an 8-byte little-endian length, then a zlib stream.
    static func zlibDecompress(_ data: [UInt8]) throws -> [UInt8] {
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

    /// A checkpoint in the format before zstd (for tests of old checkpoints).
    static func zlibCompress(_ data: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(bound) + 8)
        let n = UInt64(data.count)
        for k in 0..<8 { out[k] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(k))) }
        let rc = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { d in compress2(o.baseAddress! + 8, &bound, d.baseAddress, uLong(data.count), 1) }
        }
        precondition(rc == Z_OK, "compress2 with a compressBound-sized buffer cannot fail")
        out.removeLast(out.count - 8 - Int(bound))
        return out
    }
}

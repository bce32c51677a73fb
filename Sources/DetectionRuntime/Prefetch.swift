import CPrefetch

/// Cache hints for code outside this module (a hint: no effect on results).
public enum Prefetch {
    /// Asks for the first `limit` bytes of `bytes` (at most its count) in the caches.
    @inline(__always)
    public static func bytes(of bytes: [UInt8], limit: Int = 512) {
        bytes.withUnsafeBufferPointer { b in
            if let p = b.baseAddress { qly_prefetch(p, min(b.count, limit)) }
        }
    }
}

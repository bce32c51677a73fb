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

extension Prefetch {
    /// Asks, for writing, for the first `bytes` of an array's storage: its
    /// header (the reference count, which a retain or release changes, and
    /// the count), then its elements. Read through the array's one stored
    /// reference (the storage's address), so that asking is no retain itself.
    @inline(__always)
    static func arrayStorage(of array: inout [UInt8], bytes: Int = 1) {
        let p = withUnsafeBytes(of: &array) { $0.load(as: UnsafeRawPointer.self) }
        qly_prefetch_write(p, bytes)
    }
}

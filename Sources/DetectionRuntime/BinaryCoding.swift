import EventModel

/// Little-endian binary writer for state snapshots.
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func int(_ v: Int) { i64(Int64(v)) }
    public mutating func i128(_ v: Int128) {
        u64(UInt64(truncatingIfNeeded: v))
        u64(UInt64(truncatingIfNeeded: v >> 64))
    }
    public mutating func fingerprint(_ f: Fingerprint) { u64(f.hi); u64(f.lo) }
    public mutating func blob(_ b: [UInt8]) { int(b.count); bytes.append(contentsOf: b) }
    /// Bytes another writer wrote, as they are (no length).
    public mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// A string as `blob` writes its UTF-8 bytes (without building an array of them).
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            int(u.count)
            bytes.append(contentsOf: u)
        }
    }
    /// A count, then the items `body` writes and counts (it returns how many):
    /// as `int(n)` followed by the items, without counting them first.
    public mutating func counted(_ body: (inout BinaryWriter) -> Int) {
        let at = bytes.count
        int(0)
        let n = UInt64(body(&self)).littleEndian
        withUnsafeBytes(of: n) { b in for k in 0..<8 { bytes[at + k] = b[k] } }
    }
    /// A blob whose bytes `body` writes here, as `blob` would write them:
    /// the length is filled in afterwards (no copy of a large part).
    public mutating func blob(writing body: (inout BinaryWriter) -> Void) {
        counted { w in
            let start = w.bytes.count
            body(&w)
            return w.bytes.count - start
        }
    }
    public mutating func optionalI64(_ v: Int64?) {
        bool(v != nil)
        if let v { i64(v) }
    }
}

/// Reads what `BinaryWriter` wrote; every read checks bounds.
public struct BinaryReader {
    public struct Truncated: Error, CustomStringConvertible {
        public var description: String { "the state snapshot is truncated or corrupt" }
        public init() {}
    }

    let bytes: [UInt8]
    var i = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var atEnd: Bool { i >= bytes.count }

    public mutating func u8() throws -> UInt8 {
        guard i < bytes.count else { throw Truncated() }
        defer { i += 1 }
        return bytes[i]
    }
    public mutating func bool() throws -> Bool { try u8() != 0 }
    public mutating func u64() throws -> UInt64 {
        guard i + 8 <= bytes.count else { throw Truncated() }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        i += 8
        return v
    }
    public mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    public mutating func int() throws -> Int {
        let v = try i64()
        guard v >= 0 && v <= Int64(Int32.max) else { throw Truncated() }
        return Int(v)
    }
    public mutating func i128() throws -> Int128 {
        let lo = try u64(), hi = try u64()
        return Int128(Int64(bitPattern: hi)) << 64 | Int128(lo)
    }
    public mutating func fingerprint() throws -> Fingerprint { Fingerprint(hi: try u64(), lo: try u64()) }
    public mutating func blob() throws -> [UInt8] {
        let n = try int()
        guard i + n <= bytes.count else { throw Truncated() }
        defer { i += n }
        return Array(bytes[i..<(i + n)])
    }
    public mutating func string() throws -> String { String(decoding: try blob(), as: UTF8.self) }
    public mutating func optionalI64() throws -> Int64? { try bool() ? try i64() : nil }
}

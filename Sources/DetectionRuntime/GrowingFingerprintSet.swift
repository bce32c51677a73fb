import CPrefetch
import EventModel

/// An exact set of fingerprints that only grows (a replay's every event id),
/// in 12.8 bytes a slot (15–23 bytes a member, as full as a table is) where a `Set<Fingerprint>`
/// takes 21–43 and, while it doubles, its old and new storage at once.
///
/// 256 hash tables, chosen by the top 8 bits of `hi`, of 64-byte buckets
/// (one cache line): five slots, each the fingerprint's `lo` and the low 32
/// bits of its `hi`. A member's home bucket follows from `lo`; a full bucket
/// sends new members on to the next; a table grows by half at 85 % full
/// (any number of buckets). So an id —
/// new, the usual case, or not — costs one memory access, and a table that
/// grows is 1/256 of the set: growing never holds two copies of the whole.
/// Two different fingerprints are taken for one only if their 104 kept bits
/// agree: for 10⁸ ids, a chance below 10⁻¹⁵ in the whole replay. (The
/// allocator keeps a grown table's old storage as dirty pages for a while:
/// the 10.55 M replay's peak is ≈ 27 MB above the sorted array it replaced.
/// Mapping the tables from the system instead cost 2 s more of page faults.)
/// A value: a copy that is changed copies the members first.
struct GrowingFingerprintSet: @unchecked Sendable {
    private var storage = Storage()
    /// Members whose `lo` is 0 (the tables' empty mark).
    private var zeroLo: Set<Fingerprint> = []

    init() {}

    var count: Int { storage.count + zeroLo.count }

    func contains(_ k: Fingerprint) -> Bool {
        k.lo == 0 ? zeroLo.contains(k) : storage.find(k).member
    }

    /// Asks for the cache line where `k` would be looked up, ahead of an
    /// `insert(k)` a little later (a hint: no effect on the set).
    @inline(__always)
    func prefetch(_ k: Fingerprint) {
        if k.lo != 0 { storage.prefetch(k) }
    }

    /// Makes room for `members` ids in all (a hint: growing one table at a
    /// time as they come costs a rehash of it and fresh pages each time).
    mutating func reserve(_ members: Int) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        storage.reserve(members)
    }

    /// Adds `k`; false if it was already a member.
    mutating func insert(_ k: Fingerprint) -> Bool {
        if k.lo == 0 { return zeroLo.insert(k).inserted }
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage.insert(k)
    }

    final class Storage {
        static var tableBits: Int { 8 }
        /// Slots of a bucket: five `lo` words (bytes 0–39), then five `hi` halves (40–59).
        static var slots: Int { 5 }
        static var bucketBytes: Int { 64 }
        static var firstBuckets: Int { 4 }
        /// Per table: its buckets, how many, members.
        private var tables: [UnsafeMutableRawPointer]
        private var sizes: [Int]
        private var counts: [Int]
        private(set) var count = 0
        /// The memory `reserve` placed tables in (huge pages), and its size;
        /// a table inside it is not freed on its own.
        private var region: UnsafeMutableRawPointer?
        private var regionBytes = 0

        init() {
            let n = 1 << Self.tableBits
            tables = (0..<n).map { _ in Self.buckets(Self.firstBuckets) }
            sizes = Array(repeating: Self.firstBuckets, count: n)
            counts = Array(repeating: 0, count: n)
        }

        deinit {
            for p in tables where !inRegion(p) { p.deallocate() }
            qly_huge_free(region, regionBytes)
        }

        private func inRegion(_ p: UnsafeMutableRawPointer) -> Bool {
            guard let region else { return false }
            return p >= region && p < region + regionBytes
        }

        /// `n` empty buckets.
        private static func buckets(_ n: Int) -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: n * bucketBytes, alignment: bucketBytes)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: n * bucketBytes)
            return p
        }

        @inline(__always) private static func table(_ k: Fingerprint) -> Int {
            Int(truncatingIfNeeded: k.hi >> UInt64(64 - tableBits))
        }

        /// The home bucket of `lo` among `n`: its top 32 bits scaled to `n`.
        @inline(__always) private static func home(_ lo: UInt64, _ n: Int) -> Int {
            Int(truncatingIfNeeded: ((lo >> 32) &* UInt64(truncatingIfNeeded: n)) >> 32)
        }

        /// Fetches `k`'s home bucket into the cache.
        @inline(__always) func prefetch(_ k: Fingerprint) {
            let t = Self.table(k)
            qly_prefetch(tables[t] + Self.home(k.lo, sizes[t]) * Self.bucketBytes, Self.bucketBytes)
        }

        /// Whether `k` is a member; if not, the free slot where it would go
        /// (`k.lo` ≠ 0): members fill a bucket from its first slot and are
        /// never removed, so the first free slot ends the search.
        @inline(__always) func find(_ k: Fingerprint) -> (member: Bool, slot: UnsafeMutableRawPointer) {
            let t = Self.table(k)
            let base = tables[t], n = sizes[t]
            let hi = UInt32(truncatingIfNeeded: k.hi)
            var b = Self.home(k.lo, n)
            while true {
                let bucket = base + b * Self.bucketBytes
                for j in 0..<Self.slots {
                    let v = bucket.load(fromByteOffset: j * 8, as: UInt64.self)
                    if v == 0 { return (false, bucket + j * 8) }
                    if v == k.lo && bucket.load(fromByteOffset: 40 + j * 4, as: UInt32.self) == hi { return (true, bucket) }
                }
                b = b + 1 == n ? 0 : b + 1
            }
        }

        func insert(_ k: Fingerprint) -> Bool {
            let (member, slot) = find(k)
            if member { return false }
            Self.put(k.lo, UInt32(truncatingIfNeeded: k.hi), at: slot)
            let t = Self.table(k)
            counts[t] += 1
            count += 1
            if counts[t] * 20 > sizes[t] * Self.slots * 17 { grow(t) }
            return true
        }

        /// Writes a member into the free slot `slot` (its `lo` word; the `hi`
        /// half lies 40 − 4·j bytes further for slot j of the bucket).
        @inline(__always) private static func put(_ lo: UInt64, _ hi: UInt32, at slot: UnsafeMutableRawPointer) {
            let j = (Int(bitPattern: slot) & (bucketBytes - 1)) / 8
            slot.storeBytes(of: lo, as: UInt64.self)
            (slot - j * 8).storeBytes(of: hi, toByteOffset: 40 + j * 4, as: UInt32.self)
        }

        private func grow(_ t: Int) { resize(t, to: sizes[t] + sizes[t] / 2) }

        /// Makes room for `members` in all, about 80 % full when they are
        /// in: no table grows while they are added (unless they crowd one).
        ///
        /// The tables then lie in one region backed by huge pages where the
        /// system grants them: an id set of millions is read at random, one
        /// bucket per event, and with 4 KiB pages nearly every read also
        /// missed the TLB. (Once only; a table that grows later moves out.)
        func reserve(_ members: Int) {
            let buckets = members / (1 << Self.tableBits) * 5 / (4 * Self.slots) + 1
            let bytes = buckets * Self.bucketBytes
            if region == nil && bytes * tables.count >= 4 << 20, let r = qly_huge_alloc(bytes * tables.count) {
                region = r
                regionBytes = bytes * tables.count
                for t in 0..<tables.count where buckets > sizes[t] { resize(t, to: buckets, at: r + t * bytes) }
                return
            }
            for t in 0..<tables.count where buckets > sizes[t] { resize(t, to: buckets) }
        }

        /// Moves table `t` into `buckets` new buckets (`at`: zeroed memory of the region, else allocated).
        private func resize(_ t: Int, to buckets: Int, at place: UnsafeMutableRawPointer? = nil) {
            let old = tables[t], oldBuckets = sizes[t]
            let new = place ?? Self.buckets(buckets)
            for ob in 0..<oldBuckets {
                let from = old + ob * Self.bucketBytes
                for j in 0..<Self.slots {
                    let lo = from.load(fromByteOffset: j * 8, as: UInt64.self)
                    if lo == 0 { break }
                    var b = Self.home(lo, buckets)
                    search: while true {
                        let bucket = new + b * Self.bucketBytes
                        for s in 0..<Self.slots where bucket.load(fromByteOffset: s * 8, as: UInt64.self) == 0 {
                            Self.put(lo, from.load(fromByteOffset: 40 + j * 4, as: UInt32.self), at: bucket + s * 8)
                            break search
                        }
                        b = b + 1 == buckets ? 0 : b + 1
                    }
                }
            }
            if !inRegion(old) { old.deallocate() }
            tables[t] = new
            sizes[t] = buckets
        }

        func copy() -> Storage {
            let c = Storage()
            for t in 0..<tables.count {
                let bytes = sizes[t] * Self.bucketBytes
                if sizes[t] != Self.firstBuckets {
                    c.tables[t].deallocate()
                    c.tables[t] = Self.buckets(sizes[t])
                }
                c.tables[t].copyMemory(from: tables[t], byteCount: bytes)
                c.sizes[t] = sizes[t]
                c.counts[t] = counts[t]
            }
            c.count = count
            return c
        }
    }
}

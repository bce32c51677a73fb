import EventModel

/// The keys of a rule's (or a history's) state: each key's fingerprint maps
/// to a slot, whose row of `Row` lives in a chunked table; a forgotten key's
/// slot is reused.
///
/// The index is open addressing with linear probing over 8-byte buckets (a
/// slot and the top 32 bits of the key's hash), at most three quarters full;
/// the fingerprints live by slot beside the rows. That is 27–37 bytes per
/// key where a `Dictionary<Fingerprint, Int32>` took 27–53 (and both its old
/// and new storage while it grew). A bucket's home position is the top bits
/// of its stored hash, so growing and deleting (backward shift, no
/// tombstones) never read a fingerprint.
final class KeyTable<Row: BitwiseCopyable> {
    private struct Bucket {
        /// The top 32 bits of the key's hash.
        var tag: UInt32
        /// The key's slot, or -1 for an empty bucket.
        var slot: Int32
    }

    private var buckets: UnsafeMutablePointer<Bucket>
    /// log2 of the bucket count (at most 32: the home position comes from the tag).
    private var bits: Int
    private let rows: ChunkedStore<Row>
    private let fingerprints: ChunkedStore<Fingerprint>
    private var free: [Int32] = []
    private(set) var count = 0

    init() {
        rows = ChunkedStore()
        fingerprints = ChunkedStore()
        bits = 4
        buckets = .allocate(capacity: 1 << bits)
        buckets.initialize(repeating: Bucket(tag: 0, slot: -1), count: 1 << bits)
    }

    deinit { buckets.deallocate() }

    private init(copying t: KeyTable) {
        bits = t.bits
        buckets = .allocate(capacity: 1 << bits)
        buckets.initialize(from: t.buckets, count: 1 << bits)
        rows = t.rows.copy()
        fingerprints = t.fingerprints.copy()
        free = t.free
        count = t.count
    }

    /// An independent copy (its storage copied as it lies).
    func copy() -> KeyTable { KeyTable(copying: self) }

    @inline(__always) private var mask: Int { (1 << bits) - 1 }

    @inline(__always) private static func hash(_ k: Fingerprint) -> UInt64 {
        UInt64(bitPattern: Int64(Fingerprint.tableHash(k.lo ^ (k.hi &* 0x9E37_79B9_7F4A_7C15), seed: 0x4B65_7954)))
    }

    @inline(__always) private func home(_ tag: UInt32) -> Int { Int(tag >> UInt32(32 - bits)) }

    /// The bucket holding `k`, if any.
    @inline(__always) private func find(_ k: Fingerprint) -> Int? {
        let tag = UInt32(truncatingIfNeeded: Self.hash(k) >> 32)
        var i = home(tag)
        while true {
            let b = buckets[i]
            if b.slot < 0 { return nil }
            if b.tag == tag && fingerprints[Int(b.slot)] == k { return i }
            i = (i + 1) & mask
        }
    }

    @inline(__always) func slot(_ k: Fingerprint) -> Int32? {
        find(k).map { buckets[$0].slot }
    }

    /// The key that owns slot `s`.
    @inline(__always) func key(_ s: Int32) -> Fingerprint { fingerprints[Int(s)] }

    /// The slot of `k`, added with row `fresh` when absent: one probe finds
    /// the key or the empty bucket it goes to (`slot` then `add` hashed and
    /// probed twice for each new key — most of a window event's keys are).
    @inline(__always) func slotOrAdd(_ k: Fingerprint, _ fresh: Row) -> (slot: Int32, added: Bool) {
        let tag = UInt32(truncatingIfNeeded: Self.hash(k) >> 32)
        var i = home(tag)
        while true {
            let b = buckets[i]
            if b.slot < 0 { break }
            if b.tag == tag && fingerprints[Int(b.slot)] == k { return (b.slot, false) }
            i = (i + 1) & mask
        }
        let s = newSlot(k, fresh)
        if (count + 1) * 4 > (3 << bits) {
            grow()
            place(Bucket(tag: tag, slot: s))
        } else {
            buckets[i] = Bucket(tag: tag, slot: s)
        }
        count += 1
        return (s, true)
    }

    /// A slot for a new key: a freed one, or the next.
    @inline(__always) private func newSlot(_ k: Fingerprint, _ fresh: Row) -> Int32 {
        if let f = free.popLast() {
            rows[Int(f)] = fresh
            fingerprints[Int(f)] = k
            return f
        }
        let s = Int32(rows.append(fresh))
        fingerprints.append(k)
        return s
    }

    /// A new key with row `fresh`; its slot. (A key already present gets the new slot.)
    func add(_ k: Fingerprint, _ fresh: Row) -> Int32 {
        let s = newSlot(k, fresh)
        if let i = find(k) {
            buckets[i].slot = s
            return s
        }
        if (count + 1) * 4 > (3 << bits) { grow() }
        place(Bucket(tag: UInt32(truncatingIfNeeded: Self.hash(k) >> 32), slot: s))
        count += 1
        return s
    }

    /// Forgets a key; its slot and its row as it was (the caller frees what the row points to).
    func remove(_ k: Fingerprint) -> (slot: Int32, row: Row)? {
        guard let i = find(k) else { return nil }
        let s = buckets[i].slot
        erase(i)
        count -= 1
        free.append(s)
        return (s, rows[Int(s)])
    }

    /// Every key with its slot, in no particular order.
    func forEach(_ body: (Fingerprint, Int32) -> Void) {
        for i in 0..<(1 << bits) where buckets[i].slot >= 0 {
            body(fingerprints[Int(buckets[i].slot)], buckets[i].slot)
        }
    }

    /// Every key.
    var keys: [Fingerprint] {
        var all: [Fingerprint] = []
        all.reserveCapacity(count)
        forEach { k, _ in all.append(k) }
        return all
    }

    @inline(__always) subscript(_ s: Int) -> Row {
        unsafeAddress { UnsafePointer(rows.pointer(s)) }
        unsafeMutableAddress { rows.pointer(s) }
    }

    private func place(_ b: Bucket) {
        var i = home(b.tag)
        while buckets[i].slot >= 0 { i = (i + 1) & mask }
        buckets[i] = b
    }

    /// Empties bucket `i`, moving later buckets of its run back so that every
    /// key stays reachable from its home without tombstones.
    private func erase(_ start: Int) {
        var hole = start
        var j = start
        while true {
            j = (j + 1) & mask
            let b = buckets[j]
            if b.slot < 0 { break }
            // The bucket may move to the hole unless its home lies cyclically in (hole, j].
            let h = home(b.tag)
            let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !stays {
                buckets[hole] = b
                hole = j
            }
        }
        buckets[hole] = Bucket(tag: 0, slot: -1)
    }

    private func grow() {
        precondition(bits < 32, "a key table of more than 2³² buckets")
        let old = buckets
        let oldCount = 1 << bits
        bits += 1
        buckets = .allocate(capacity: 1 << bits)
        buckets.initialize(repeating: Bucket(tag: 0, slot: -1), count: 1 << bits)
        for i in 0..<oldCount where old[i].slot >= 0 { place(old[i]) }
        old.deallocate()
    }
}

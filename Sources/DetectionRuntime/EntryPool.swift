import EventModel
import RuleCompiler

/// Entries in fixed-size chunks: slots are reused through a free list, and
/// growing allocates a chunk without copying the others. A slot is written
/// only when first handed out, so the untouched rest of a chunk costs no
/// resident memory (1,400 rules each with a pool and a few keys stay small).
///
/// A slot holds only what the rule reads: a 16-byte head (time, evidence
/// reference) and one 128-bit value per aggregate input — 16 bytes for a
/// history that aggregates nothing, 48 for double-attendance's two inputs,
/// never the 88 of a whole `Entry`.
///
/// The links between a key's entries (and of the free list) lie apart, 4
/// bytes a slot in `links`, and which inputs an entry has, a byte a slot in
/// `presence`: appending an entry writes the link of the
/// key's newest one, which sat in an entry not touched since that key's
/// last event — a cache miss at nearly every append; 4-byte links are
/// sixteen to a cache line, and far more of them stay cached.
final class EntryPool {
    static let chunkBits: Int32 = 14
    static let chunkSize = 1 << Int(chunkBits)

    private struct Head {
        var time: Instant
        var ref: UInt64
    }

    private static let headBytes = 16
    /// Aggregate inputs per entry (0–4).
    let slots: Int
    private let stride: Int
    private var chunks: [UnsafeMutableRawPointer] = []
    /// `links[c][j]`: the slot after slot `c << chunkBits | j` (-1: none).
    private var links: [UnsafeMutablePointer<Int32>] = []
    /// A bit per slot, set while it holds an entry: freeing a slot (a key
    /// forgotten at expiry frees all of its) writes neither it nor reads it.
    private var inUse: [UnsafeMutablePointer<UInt64>] = []
    /// `presence[c][j]`: the present-inputs bits of slot `c << chunkBits | j`.
    private var presence: [UnsafeMutablePointer<UInt8>] = []
    private static let wordsPerChunk = chunkSize / 64
    /// The first free slot (linked through `next`), or -1.
    private var freeHead: Int32 = -1
    /// Slots handed out at least once; those above were never written.
    private var used: Int32 = 0
    private(set) var live = 0

    init(slots: Int) {
        precondition(MemoryLayout<Head>.size <= EntryPool.headBytes && (0...4).contains(slots))
        self.slots = slots
        stride = EntryPool.headBytes + slots * MemoryLayout<Fingerprint>.stride
    }

    deinit {
        for c in chunks { c.deallocate() }
        for l in links { l.deallocate() }
        for b in inUse { b.deallocate() }
        for p in presence { p.deallocate() }
    }

    private init(copying p: EntryPool) {
        slots = p.slots
        stride = p.stride
        freeHead = p.freeHead
        used = p.used
        live = p.live
        chunks.reserveCapacity(p.chunks.count)
        for c in p.chunks {
            let copied = UnsafeMutableRawPointer.allocate(byteCount: EntryPool.chunkSize * stride, alignment: MemoryLayout<Head>.alignment)
            copied.copyMemory(from: c, byteCount: EntryPool.chunkSize * stride)
            chunks.append(copied)
        }
        links = EntryPool.copies(of: p.links, count: EntryPool.chunkSize)
        presence = EntryPool.copies(of: p.presence, count: EntryPool.chunkSize)
        inUse = EntryPool.copies(of: p.inUse, count: EntryPool.wordsPerChunk)
    }

    /// Copies of per-chunk side arrays of `count` values each.
    private static func copies<T: BitwiseCopyable>(of arrays: [UnsafeMutablePointer<T>], count: Int) -> [UnsafeMutablePointer<T>] {
        arrays.map { a in
            let copied = UnsafeMutablePointer<T>.allocate(capacity: count)
            copied.update(from: a, count: count)
            return copied
        }
    }

    /// An independent copy (its chunks copied as they lie).
    func copy() -> EntryPool { EntryPool(copying: self) }

    @inline(__always) private func address(_ i: Int32) -> UnsafeMutableRawPointer {
        chunks[Int(i >> EntryPool.chunkBits)] + Int(i & (Int32(EntryPool.chunkSize) - 1)) * stride
    }

    @inline(__always) private func head(_ i: Int32) -> UnsafeMutablePointer<Head> {
        address(i).assumingMemoryBound(to: Head.self)
    }

    @inline(__always) private func link(_ i: Int32) -> UnsafeMutablePointer<Int32> {
        links[Int(i >> EntryPool.chunkBits)] + Int(i & (Int32(EntryPool.chunkSize) - 1))
    }

    @inline(__always) private func present(_ i: Int32) -> UnsafeMutablePointer<UInt8> {
        presence[Int(i >> EntryPool.chunkBits)] + Int(i & (Int32(EntryPool.chunkSize) - 1))
    }

    /// The word of `inUse` that holds slot `i`'s bit, and the bit.
    @inline(__always) private func useBit(_ i: Int32) -> (UnsafeMutablePointer<UInt64>, UInt64) {
        let j = Int(i & (Int32(EntryPool.chunkSize) - 1))
        return (inUse[Int(i >> EntryPool.chunkBits)] + (j >> 6), 1 << UInt64(j & 63))
    }

    /// The entry in slot `i`.
    @inline(__always) subscript(_ i: Int32) -> Entry {
        let a = address(i)
        let h = a.assumingMemoryBound(to: Head.self).pointee
        var e = Entry(time: h.time, ref: h.ref, present: present(i).pointee)
        e.next = link(i).pointee
        let values = (a + EntryPool.headBytes).assumingMemoryBound(to: Fingerprint.self)
        for j in 0..<slots { e.slots[j] = values[j] }
        return e
    }

    @inline(__always) func time(_ i: Int32) -> Instant { head(i).pointee.time }

    /// Input `input` of the entry in slot `i` as a number, nil when absent.
    @inline(__always) func number(_ i: Int32, _ input: Int) -> Num? {
        let a = address(i)
        guard present(i).pointee & (1 << UInt8(input)) != 0 else { return nil }
        return Entry.num((a + EntryPool.headBytes).assumingMemoryBound(to: Fingerprint.self)[input])
    }

    @inline(__always) func setNext(_ i: Int32, _ next: Int32) { link(i).pointee = next }

    /// Stores an entry (unlinked); its slot.
    func add(_ e: Entry) -> Int32 {
        let i: Int32
        if freeHead >= 0 {
            i = freeHead
            freeHead = link(i).pointee
        } else {
            if Int(used) == chunks.count << Int(EntryPool.chunkBits) {
                chunks.append(.allocate(byteCount: EntryPool.chunkSize * stride, alignment: MemoryLayout<Head>.alignment))
                links.append(.allocate(capacity: EntryPool.chunkSize))
                presence.append(.allocate(capacity: EntryPool.chunkSize))
                let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: EntryPool.wordsPerChunk)
                bits.initialize(repeating: 0, count: EntryPool.wordsPerChunk)
                inUse.append(bits)
            }
            i = used
            used += 1
        }
        let a = address(i)
        a.initializeMemory(as: Head.self, to: Head(time: e.time, ref: e.ref))
        present(i).pointee = e.present
        link(i).pointee = -1
        let (word, bit) = useBit(i)
        word.pointee |= bit
        let values = (a + EntryPool.headBytes).bindMemory(to: Fingerprint.self, capacity: slots)
        for j in 0..<slots { (values + j).initialize(to: e.slots[j]) }
        live += 1
        return i
    }

    /// Frees a slot; the slot that followed it.
    @discardableResult
    func release(_ i: Int32) -> Int32 {
        let next = link(i).pointee
        let (word, bit) = useBit(i)
        word.pointee &= ~bit
        link(i).pointee = freeHead
        freeHead = i
        live -= 1
        return next
    }

    /// Calls `body` with every entry in use.
    func forEachLive(_ body: (Entry) -> Void) {
        for (c, words) in inUse.enumerated() {
            for w in 0..<EntryPool.wordsPerChunk {
                var bits = words[w]
                while bits != 0 {
                    body(self[Int32(c << Int(EntryPool.chunkBits) | w << 6 | bits.trailingZeroBitCount)])
                    bits &= bits - 1
                }
            }
        }
    }

    /// The totals of the entries linked from `start`, read where they lie
    /// (walking them as `Entry` values built each one, its four values set
    /// to zero first: a walk cost twice as much), and with `distinct` ≥ 0 how
    /// many different values that input takes, as `distinctCounts[0]` of a
    /// `tabled` result. (One walk where a second one, for `fill`'s count,
    /// read every entry again: payee-fund-concentration and double-attendance.)
    func totals(from start: Int32, layout: AggregateLayout, distinct: Int) -> AggregateTotals {
        DistinctCounter.counting { different in
            var run = AggregateTotals()
            let bit: UInt8 = distinct >= 0 ? 1 << UInt8(distinct) : 0
            var i = start
            while i >= 0 {
                let a = address(i)
                let values = UnsafePointer((a + EntryPool.headBytes).assumingMemoryBound(to: Fingerprint.self))
                let has = present(i).pointee
                run.add(present: has, values: values, layout)
                if has & bit != 0 { different.add(values[distinct]) }
                i = link(i).pointee
            }
            if distinct >= 0 {
                run.tabled = true
                run.distinctCounts[0] = Int32(truncatingIfNeeded: different.count)
            }
            return run
        }
    }

    /// A key's entries from `start`, following the links. Walked at once
    /// by its maker's caller, while the state that owns the pool lives: it
    /// holds the pool unretained (a strong or `unowned(unsafe)` reference
    /// was retained and released around each entry read).
    struct Walk: Sequence, IteratorProtocol {
        let pool: Unmanaged<EntryPool>
        var start: Int32

        init(pool: EntryPool, start: Int32) {
            self.pool = Unmanaged.passUnretained(pool)
            self.start = start
        }

        @inline(__always) mutating func next() -> Entry? {
            guard start >= 0 else { return nil }
            let at = start
            let e = pool._withUnsafeGuaranteedRef { $0[at] }
            start = e.next
            return e
        }
    }
}

import CPrefetch
import Collections
import EventModel

/// Holds events that arrived out of order and releases them in the total
/// order of RULES.md once nothing earlier can arrive any more (the caller's
/// watermark has passed them).
///
/// Small keys (time, the id's first 8 bytes, a slot) are ordered and the
/// events stay put in their slots: ordering does not move 300-byte events
/// around. The slots are in chunks (`EventSlots`): a replay's two days of
/// events never sit in an array that doubles.
///
/// Ledgers and streams are nearly in order (half of a generated ledger's
/// events come before the newest one, by a median of 26 seconds), so a key
/// goes into a sorted deque when its place is among the last `nearTail`
/// keys there (found by stepping back from the tail), and into a heap
/// otherwise; the earliest event is the smaller of the deque's head and the
/// heap's top. Keeping every key in the heap took an eighth of a replay's
/// reading thread.
public struct ReorderBuffer: Sendable {
    struct Key: Comparable, Sendable {
        var time: Instant
        var prefix: UInt64
        var slot: Int32
        static func < (a: Key, b: Key) -> Bool {
            if a.time != b.time { return a.time < b.time }
            return a.prefix < b.prefix
        }
        static func == (a: Key, b: Key) -> Bool { a.time == b.time && a.prefix == b.prefix }
    }

    /// Keys in order (non-decreasing by `<`).
    private var ordered = Deque<Key>()
    /// Keys that arrived too far back for `ordered`.
    private var heap = Heap<Key>()
    static let nearTail = 32
    static let slotBytes = MemoryLayout<Event>.size
    private var slots = EventSlots()
    /// Slots handed out at least once.
    private var used: Int32 = 0
    private var free: [Int32] = []
    /// The newest event time offered so far.
    public private(set) var maxTime: Instant = .min

    public init() {}

    public var count: Int { ordered.count + heap.count }
    public var isEmpty: Bool { ordered.isEmpty && heap.isEmpty }
    /// The earliest buffered event time.
    public var minTime: Instant? { minKey?.time }

    /// The id's first 8 bytes as a big-endian number (shorter ids padded with
    /// zeros): comparing prefixes orders ids as their bytes do, up to ties.
    static func prefix(_ id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        if id.count >= 8, let p = id.baseAddress {
            return UInt64(bigEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        }
        var p: UInt64 = 0
        for b in id { p = p << 8 | UInt64(b) }
        return p << (8 * UInt64(8 - id.count))
    }

    /// `prefix` of the id of the event at `e`, read in place (a method
    /// called on `pointee` copied the whole event and retained its parts).
    @inline(__always)
    static func prefix(of e: UnsafePointer<Event>) -> UInt64 {
        if let g = e.pointee.givenID {
            var g = g
            return g.withUTF8(prefix)
        }
        let start = Int(e.pointee.idStart), end = start + Int(e.pointee.idCount)
        return e.pointee.raw.withUnsafeBufferPointer { prefix(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Puts `e` in the buffer, through the staging slot (as a decoder would).
    public mutating func insert(_ e: consuming Event) {
        stagingSlot().pointee = e
        commitStaged()
    }

    /// Moves `e` into the buffer, leaving `Event.placeholder`.
    public mutating func insert(taking e: inout Event) { insert(e.take()) }

    /// The slot `stagingSlot()` handed out and not yet committed (it holds
    /// an initialised event: a placeholder, or a record that was not kept); -1 when none.
    private var staged: Int32 = -1

    /// An initialised event in a free slot, to decode the next event into
    /// where it will stay: `commitStaged()` then puts it in the order (no
    /// copy of the decoded event into the buffer, no placeholder left
    /// behind; moving each decoded event into its slot read back 392 bytes
    /// the decoder had just written — 5 % of a replay's reading thread).
    /// The same slot until committed. The pointer is valid until the next
    /// call that changes the buffer.
    public mutating func stagingSlot() -> UnsafeMutablePointer<Event> {
        // A copy of the buffer (a checkpoint's, read on another thread) may
        // share the slots, the staged one included: never write into shared ones.
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
        if staged < 0 {
            staged = freeSlot()
            slots.store(Int(staged), .placeholder)
        }
        return slots.pointer(Int(staged))
    }

    /// Puts the event decoded into `stagingSlot()` in the order.
    public mutating func commitStaged() {
        precondition(staged >= 0, "commitStaged() without stagingSlot()")
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
        let e = slots.pointer(Int(staged))
        let key = Key(time: e.pointee.time, prefix: Self.prefix(of: e), slot: staged)
        if key.time > maxTime { maxTime = key.time }
        staged = -1
        place(key)
    }

    private mutating func freeSlot() -> Int32 {
        if let f = free.popLast() { return f }
        let slot = used
        used += 1
        if Int(used) > slots.capacity { slots.grow() }
        return slot
    }

    /// Puts a key in the deque if its place is near the tail, else in the heap.
    private mutating func place(_ key: Key) {
        var i = ordered.count
        let stop = max(0, i - Self.nearTail)
        while i > stop && key < ordered[i - 1] { i -= 1 }
        if i > 0 && key < ordered[i - 1] {
            heap.insert(key)
        } else if i == ordered.count {
            ordered.append(key)
        } else {
            ordered.insert(key, at: i)
        }
    }

    /// Removes the earliest key (by time and prefix; either one of equals).
    private mutating func removeMinKey() -> Key {
        if let a = ordered.first, heap.isEmpty || !(heap.min! < a) { return ordered.removeFirst() }
        return heap.removeMin()
    }

    /// The earliest key without removing it.
    private var minKey: Key? {
        guard let a = ordered.first else { return heap.min }
        guard let b = heap.min else { return a }
        return b < a ? b : a
    }

    /// Removes the earliest event in the total order (full id comparison on a prefix tie).
    private mutating func popMin() -> Event {
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
        var top = removeMinKey()
        // Keys equal in time and prefix: pick the smallest full id among them;
        // the others go back to the deque's head (they precede every other key).
        if let next = minKey, next.time == top.time, next.prefix == top.prefix {
            var tied = [top]
            while let n = minKey, n.time == top.time, n.prefix == top.prefix { tied.append(removeMinKey()) }
            tied.sort { slots.pointer(Int($0.slot)).pointee.idPrecedes(slots.pointer(Int($1.slot)).pointee) }
            top = tied.removeFirst()
            ordered.prepend(contentsOf: tied)
        }
        // The next event to go out has waited two days of event time in a
        // slot no longer in cache: fetch it while this one is handed out.
        if ordered.count > 1 { qly_prefetch(slots.pointer(Int(ordered[1].slot)), Self.slotBytes) }
        // Moved out of its slot, not copied (no retain and release of its id and bytes).
        let e = slots.take(Int(top.slot))
        free.append(top.slot)
        return e
    }

    /// Hands out, in the total order, every buffered event strictly older than `watermark`.
    public mutating func release(before watermark: Instant, _ body: (consuming Event) throws -> Void) rethrows {
        while let t = minTime, t < watermark {
            try body(popMin())
        }
    }

    /// Hands out the earliest event regardless of the watermark (to bound memory).
    public mutating func releaseOne() -> Event? {
        isEmpty ? nil : popMin()
    }

    /// Hands out everything, in order (end of input).
    public mutating func drain(_ body: (consuming Event) throws -> Void) rethrows {
        while !isEmpty { try body(popMin()) }
    }
}

/// Room for buffered events in chunks of 4,096 (one array that doubled held
/// up to twice the events, and both buffers while it grew). A free slot is
/// uninitialised memory, so that storing and taking an event are plain
/// moves (replacing a placeholder went through `Event`'s value witness and
/// released its empty id and bytes: 3 % of a streaming worker's time).
/// `live` has a bit per slot in use, for `copy()` and `deinit`.
final class EventSlots: @unchecked Sendable {
    // Owned by one ReorderBuffer, which copies it before changing a shared one.
    static let chunkBits = 12
    private var chunks: [UnsafeMutablePointer<Event>] = []
    private var live: [UInt64] = []

    var capacity: Int { chunks.count << Self.chunkBits }

    init() {}

    deinit {
        forEachLive { pointer($0).deinitialize(count: 1) }
        for c in chunks { c.deallocate() }
    }

    /// One more chunk of free slots.
    func grow() {
        chunks.append(UnsafeMutablePointer<Event>.allocate(capacity: 1 << Self.chunkBits))
        live += [UInt64](repeating: 0, count: (1 << Self.chunkBits) / 64)
    }

    @inline(__always) func pointer(_ i: Int) -> UnsafeMutablePointer<Event> {
        chunks[i >> Self.chunkBits] + (i & ((1 << Self.chunkBits) - 1))
    }

    /// Initialises free slot `i` with `e`.
    @inline(__always) func store(_ i: Int, _ e: consuming Event) {
        pointer(i).initialize(to: e)
        live[i >> 6] |= 1 << UInt64(i & 63)
    }

    /// Moves the event out of slot `i`, which becomes free.
    @inline(__always) func take(_ i: Int) -> Event {
        live[i >> 6] &= ~(1 << UInt64(i & 63))
        return pointer(i).move()
    }

    private func forEachLive(_ body: (Int) -> Void) {
        for (w, word) in live.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                body(w << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }

    func copy() -> EventSlots {
        let c = EventSlots()
        for _ in chunks { c.grow() }
        forEachLive { i in
            c.pointer(i).initialize(to: pointer(i).pointee)
            c.live[i >> 6] |= 1 << UInt64(i & 63)
        }
        return c
    }
}

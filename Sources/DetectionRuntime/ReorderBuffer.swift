import CPrefetch
import Collections
import EventModel
import Foundation

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
    /// Slots lent out (`lend`) and given back (`reclaim`): free, but still
    /// holding the event they lent, so that the next decode into one reuses
    /// its bytes' buffer (no allocation, and no freeing of the old one).
    private var recycled: [Int32] = []
    /// Where lent batches give their slots back (from any thread).
    private let returns = LentSlotReturns()
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
        Event.withIDBytes(at: e, prefix)
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
            if let r = recycled.popLast() {
                staged = r
                // A slot given back has been out of the cache since it was
                // decoded into (thousands of events ago): while this one is
                // decoded into, ask for the event of the slot after next, and
                // for the bytes' buffer of the next one (whose event, asked
                // for a decode ago, says where that buffer is).
                let n = recycled.count
                if n >= 2 { qly_prefetch_write(slots.pointer(Int(recycled[n - 2])), Self.slotBytes) }
                if n >= 1 { slots.prefetchRaw(Int(recycled[n - 1])) }
            } else {
                staged = freeSlot()
                slots.store(Int(staged), .placeholder)
            }
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
        let top = removeEarliest().slot
        // The next event to go out has waited two days of event time in a
        // slot no longer in cache: fetch it while this one is handed out.
        if ordered.count > 1 { qly_prefetch(slots.pointer(Int(ordered[1].slot)), Self.slotBytes) }
        // Moved out of its slot, not copied (no retain and release of its id and bytes).
        let e = slots.take(Int(top))
        free.append(top)
        return e
    }

    /// Takes the earliest key out of the order (full id comparison on a prefix tie).
    private mutating func removeEarliest() -> Key {
        var top = removeMinKey()
        // Keys equal in time and prefix: pick the smallest full id among them;
        // the others go back to the deque's head (they precede every other key).
        if let next = minKey, next.time == top.time, next.prefix == top.prefix {
            var tied = [top]
            while let n = minKey, n.time == top.time, n.prefix == top.prefix { tied.append(removeMinKey()) }
            tied.sort { Event.compareIDs(slots.pointer(Int($0.slot)), slots.pointer(Int($1.slot))) < 0 }
            top = tied.removeFirst()
            ordered.prepend(contentsOf: tied)
        }
        return top
    }

    /// Hands out, in the total order, every buffered event strictly older than `watermark`.
    public mutating func release(before watermark: Instant, _ body: (consuming Event) throws -> Void) rethrows {
        while let t = minTime, t < watermark {
            try body(popMin())
        }
    }

    /// Hands out everything, in order (end of input).
    public mutating func drain(_ body: (consuming Event) throws -> Void) rethrows {
        while !isEmpty { try body(popMin()) }
    }

    // MARK: lending

    // A reading thread that hands ordered events to another thread can lend
    // them instead of moving them out: each event stays in its slot, the
    // other thread reads it there (`LentEvents`), and the slot comes back
    // when the batch is let go. Moving each event out (392 bytes), into a
    // batch (392 more) and freeing it afterwards on the reading thread (its
    // raw bytes' buffer, long gone from the cache) was a fifth of a
    // replay's reading thread. Lend only from a buffer that is never copied.

    /// What a lending call hands `body` for each event: its slot, where it
    /// lies, and its time (from the order's key: reading it from the event
    /// touched memory the reading thread has no other use for, two days of
    /// events after it was written — 2 % of a replay's samples).
    public typealias Lend = (Int32, UnsafeMutablePointer<Event>, Instant) throws -> Void

    /// Lends out, in the total order, every buffered event strictly older than `watermark`.
    public mutating func lend(before watermark: Instant, _ body: Lend) rethrows {
        while let t = minTime, t < watermark { try lendMin(body) }
    }

    /// Lends out the earliest event regardless of the watermark (to bound memory); false when empty.
    @discardableResult
    public mutating func lendOne(_ body: Lend) rethrows -> Bool {
        if isEmpty { return false }
        try lendMin(body)
        return true
    }

    /// Lends out everything, in order (end of input).
    public mutating func lendAll(_ body: Lend) rethrows {
        while !isEmpty { try lendMin(body) }
    }

    private mutating func lendMin(_ body: Lend) rethrows {
        precondition(isKnownUniquelyReferenced(&slots), "lending from a ReorderBuffer that shares its slots")
        let k = removeEarliest()
        try body(k.slot, slots.pointer(Int(k.slot)), k.time)
    }

    /// What makes batches of this buffer's lent events; taken before
    /// lending (the lending calls' closures must not touch the buffer).
    public var lender: Lender { Lender(memory: slots.memory, returns: returns) }

    public struct Lender: @unchecked Sendable {
        fileprivate let memory: SlotMemory
        fileprivate let returns: LentSlotReturns

        /// A batch of lent events (`slots` with their `events`, in order) for
        /// another thread: the slots come back to the buffer when the batch is
        /// let go (its last reference, on whatever thread), to be reused after `reclaim()`.
        public func batch(slots: [Int32], events: [UnsafeMutablePointer<Event>]) -> LentEvents {
            LentEvents(slots: slots, events: events, memory: memory, returns: returns)
        }
    }

    /// Makes the slots of the batches let go so far free for decoding into.
    /// At most `recycledLimit` wait with their event: the others' events are
    /// freed (when the buffer shrinks, tens of thousands of idle slots held
    /// their old events' bytes: 40 MB more in a 10 M-event replay).
    public mutating func reclaim() {
        for batch in returns.take() {
            for s in batch {
                if recycled.count < Self.recycledLimit {
                    recycled.append(s)
                } else {
                    _ = slots.take(Int(s))
                    free.append(s)
                }
            }
        }
    }
    static let recycledLimit = 4_096
}

/// Events lent by a `ReorderBuffer`, in order, read in place in its slots.
/// The events must not be changed; they stay valid while the batch is
/// referenced (the slots' memory with them), and go back to the buffer
/// when the batch's last reference goes.
public final class LentEvents: @unchecked Sendable {
    /// The events, in the total order.
    public let events: [UnsafeMutablePointer<Event>]
    private let slots: [Int32]
    // Keeps the slots' memory (and the events in it) alive while lent.
    private let memory: SlotMemory
    private let returns: LentSlotReturns

    fileprivate init(slots: [Int32], events: [UnsafeMutablePointer<Event>], memory: SlotMemory, returns: LentSlotReturns) {
        self.slots = slots
        self.events = events
        self.memory = memory
        self.returns = returns
    }

    deinit { returns.put(slots) }
}

/// Slots of lent batches let go, waiting for their buffer's `reclaim()`.
final class LentSlotReturns: @unchecked Sendable {
    // `batches` is touched only under `lock`.
    private let lock = NSLock()
    private var batches: [[Int32]] = []

    func put(_ slots: [Int32]) {
        lock.lock()
        batches.append(slots)
        lock.unlock()
    }

    func take() -> [[Int32]] {
        lock.lock()
        defer { lock.unlock() }
        let all = batches
        batches = []
        return all
    }
}

/// Room for buffered events in chunks of 4,096 (one array that doubled held
/// up to twice the events, and both buffers while it grew). A free slot is
/// uninitialised memory, so that storing and taking an event are plain
/// moves (replacing a placeholder went through `Event`'s value witness and
/// released its empty id and bytes: 3 % of a streaming worker's time).
/// The memory itself is a `SlotMemory`, which lent batches keep alive.
final class EventSlots: @unchecked Sendable {
    // Owned by one ReorderBuffer, which copies it before changing a shared one.
    static let chunkBits = 12
    let memory = SlotMemory()

    var capacity: Int { memory.chunks.count << Self.chunkBits }

    init() {}

    /// One more chunk of free slots.
    func grow() {
        memory.chunks.append(UnsafeMutablePointer<Event>.allocate(capacity: 1 << Self.chunkBits))
        memory.live += [UInt64](repeating: 0, count: (1 << Self.chunkBits) / 64)
    }

    @inline(__always) func pointer(_ i: Int) -> UnsafeMutablePointer<Event> { memory.pointer(i) }

    /// Initialises free slot `i` with `e`.
    @inline(__always) func store(_ i: Int, _ e: consuming Event) {
        pointer(i).initialize(to: e)
        memory.live[i >> 6] |= 1 << UInt64(i & 63)
    }

    /// Asks for the buffer of the raw bytes of the event in slot `i` (to be
    /// decoded into): the slot's line holding `raw` must be at hand.
    @inline(__always) func prefetchRaw(_ i: Int) {
        Prefetch.arrayStorage(of: &pointer(i).pointee.raw, bytes: 448)
    }

    /// Moves the event out of slot `i`, which becomes free.
    @inline(__always) func take(_ i: Int) -> Event {
        memory.live[i >> 6] &= ~(1 << UInt64(i & 63))
        return pointer(i).move()
    }

    func copy() -> EventSlots {
        let c = EventSlots()
        for _ in memory.chunks { c.grow() }
        memory.forEachLive { i in
            c.pointer(i).initialize(to: pointer(i).pointee)
            c.memory.live[i >> 6] |= 1 << UInt64(i & 63)
        }
        return c
    }
}

/// The chunks of an `EventSlots` and which slots hold an event (`live`, a
/// bit per slot); the last of its owner and the batches lent from it frees it.
final class SlotMemory: @unchecked Sendable {
    // Changed only by the owning buffer's thread; lent batches only keep it alive.
    var chunks: [UnsafeMutablePointer<Event>] = []
    var live: [UInt64] = []

    deinit {
        forEachLive { pointer($0).deinitialize(count: 1) }
        for c in chunks { c.deallocate() }
    }

    /// Where slot `i` lies.
    @inline(__always) func pointer(_ i: Int) -> UnsafeMutablePointer<Event> {
        chunks[i >> EventSlots.chunkBits] + (i & ((1 << EventSlots.chunkBits) - 1))
    }

    func forEachLive(_ body: (Int) -> Void) {
        for (w, word) in live.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                body(w << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }
}

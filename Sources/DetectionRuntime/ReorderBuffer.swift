import Collections
import EventModel

/// Holds events that arrived out of order and releases them in the total
/// order of RULES.md once nothing earlier can arrive any more (the caller's
/// watermark has passed them).
///
/// The heap orders small keys (time, the id's first 8 bytes, a slot) and the
/// events stay put in their slots: ordering does not move 300-byte events around.
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

    private var heap = Heap<Key>()
    private var slots: [Event?] = []
    private var free: [Int32] = []
    /// The newest event time offered so far.
    public private(set) var maxTime: Instant = .min

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }
    /// The earliest buffered event time.
    public var minTime: Instant? { heap.min?.time }

    static func prefix(_ id: String) -> UInt64 {
        var p: UInt64 = 0
        var n = 0
        for b in id.utf8 {
            if n == 8 { break }
            p = p << 8 | UInt64(b)
            n += 1
        }
        return p << (8 * UInt64(8 - n))
    }

    public mutating func insert(_ e: consuming Event) {
        let key = Key(time: e.time, prefix: ReorderBuffer.prefix(e.id), slot: 0)
        if key.time > maxTime { maxTime = key.time }
        let slot: Int32
        if let f = free.popLast() { slot = f; slots[Int(f)] = consume e } else { slot = Int32(slots.count); slots.append(consume e) }
        heap.insert(Key(time: key.time, prefix: key.prefix, slot: slot))
    }

    /// Removes the earliest event in the total order (full id comparison on a prefix tie).
    private mutating func popMin() -> Event {
        var top = heap.removeMin()
        // Keys equal in time and prefix: pick the smallest full id among them.
        if let next = heap.min, next.time == top.time, next.prefix == top.prefix {
            var tied = [top]
            while let n = heap.min, n.time == top.time, n.prefix == top.prefix { tied.append(heap.removeMin()) }
            tied.sort { EventOrder.idPrecedes(slots[Int($0.slot)]!.id, slots[Int($1.slot)]!.id) }
            top = tied.removeFirst()
            for t in tied { heap.insert(t) }
        }
        // Moved out of its slot, not copied (no retain and release of its id and bytes).
        let e = slots[Int(top.slot)].take()!
        free.append(top.slot)
        return e
    }

    /// Hands out, in the total order, every buffered event strictly older than `watermark`.
    public mutating func release(before watermark: Instant, _ body: (consuming Event) throws -> Void) rethrows {
        while let top = heap.min, top.time < watermark {
            try body(popMin())
        }
    }

    /// Hands out the earliest event regardless of the watermark (to bound memory).
    public mutating func releaseOne() -> Event? {
        heap.isEmpty ? nil : popMin()
    }

    /// Hands out everything, in order (end of input).
    public mutating func drain(_ body: (consuming Event) throws -> Void) rethrows {
        while !heap.isEmpty { try body(popMin()) }
    }
}

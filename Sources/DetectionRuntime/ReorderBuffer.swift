import Collections
import EventModel

/// Holds events that arrived out of order and releases them in the total
/// order of RULES.md once nothing earlier can arrive any more (the caller's
/// watermark has passed them).
public struct ReorderBuffer: Sendable {
    struct Item: Comparable, Sendable {
        var event: Event
        static func < (a: Item, b: Item) -> Bool { a.event.precedes(b.event) }
        static func == (a: Item, b: Item) -> Bool { a.event.time == b.event.time && a.event.id == b.event.id }
    }

    private var heap = Heap<Item>()
    /// The newest event time offered so far.
    public private(set) var maxTime: Instant = .min

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }
    /// The earliest buffered event time.
    public var minTime: Instant? { heap.min?.event.time }

    public mutating func insert(_ e: Event) {
        if e.time > maxTime { maxTime = e.time }
        heap.insert(Item(event: e))
    }

    /// Hands out, in the total order, every buffered event strictly older than `watermark`.
    public mutating func release(before watermark: Instant, _ body: (Event) throws -> Void) rethrows {
        while let top = heap.min, top.event.time < watermark {
            try body(heap.removeMin().event)
        }
    }

    /// Hands out the earliest event regardless of the watermark (to bound memory).
    public mutating func releaseOne() -> Event? {
        heap.isEmpty ? nil : heap.removeMin().event
    }

    /// Hands out everything, in order (end of input).
    public mutating func drain(_ body: (Event) throws -> Void) rethrows {
        while !heap.isEmpty { try body(heap.removeMin().event) }
    }
}

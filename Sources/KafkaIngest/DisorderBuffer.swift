/// Reorders a stream of events locally, the way network and upstream batching
/// do: each event gets a random delay in `0...maxDelay` (milliseconds of event
/// time) and is released once the stream's event time passes its time plus
/// that delay. For input in event-time order, two events swap only when their
/// event times are less than `maxDelay` apart — disorder bounded by `maxDelay`.
/// Deterministic for a given seed. With `maxDelay == 0` it passes input through unchanged.
struct DisorderBuffer<Element> {
    private struct Entry {
        var release: Int64
        var sequence: Int
        var element: Element

        func precedes(_ other: Entry) -> Bool {
            (release, sequence) < (other.release, other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var random: SplitMix64
    private var sequence = 0
    private var maxEventTime = Int64.min
    let maxDelay: Int64

    init(maxDelayMilliseconds: Int64, seed: UInt64) {
        maxDelay = max(0, maxDelayMilliseconds)
        random = SplitMix64(seed: seed)
    }

    var count: Int { heap.count }

    /// Adds an event (nil time: it keeps its place relative to the stream) and
    /// appends the events now due to `released`, in release order.
    mutating func insert(_ element: Element, eventTime: Int64?, releasing released: inout [Element]) {
        let time = eventTime ?? (maxEventTime == .min ? 0 : maxEventTime)
        maxEventTime = max(maxEventTime, time)
        let delay = maxDelay == 0 ? 0 : Int64(random.next() % UInt64(maxDelay + 1))
        push(Entry(release: time + delay, sequence: sequence, element: element))
        sequence += 1
        while let top = heap.first, top.release <= maxEventTime {
            released.append(pop().element)
        }
    }

    /// Appends every remaining event to `released`, in release order.
    mutating func drain(into released: inout [Element]) {
        while !heap.isEmpty { released.append(pop().element) }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}

/// A small seeded generator (SplitMix64) so `--seed` gives the same order everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

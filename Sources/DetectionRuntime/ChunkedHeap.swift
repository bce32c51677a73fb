/// A min-priority queue of plain values in chunked storage: growing never
/// copies it or holds two buffers at once (the expiry looks of millions of
/// keys; swift-collections' `Heap` sits on an `Array` that doubles).
///
/// Values that arrive in non-decreasing order are queued first in, first
/// out at O(1): an expiry look for a new key is due a fixed time after the
/// newest event, and nearly every look is such. Two such runs, since a rule
/// makes looks at two offsets (its window, and its retention for a key
/// whose condition held when it went quiet); a value goes to the run whose
/// newest value is the largest not above it. The rest go to a binary heap.
/// The minimum is the smallest of the three heads. A heap alone sifted every
/// look through ~15 levels of a heap the size of the live keys (11 % of
/// split-payments' time, 2026-11-28).
final class ChunkedHeap<Element: BitwiseCopyable & Comparable> {
    private let store = ChunkedStore<Element>()
    private let runA = ChunkedQueue<Element>()
    private let runB = ChunkedQueue<Element>()
    /// The heap's top and each run's first and last value, kept here: the
    /// minimum and the choice of run read only this object, not three
    /// others and their chunk lists (with 1,400 rules, a cache miss each;
    /// `Benchmarks/instructions`).
    private var heapTop: Element?
    private var firstA: Element?, lastA: Element?
    private var firstB: Element?, lastB: Element?

    init() {}

    var count: Int { store.count + runA.count + runB.count }
    var isEmpty: Bool { heapTop == nil && firstA == nil && firstB == nil }
    var min: Element? {
        switch smallestHead {
        case .heap: heapTop
        case .runA: firstA
        case .runB: firstB
        case nil: nil
        }
    }

    private enum Head { case heap, runA, runB }

    /// Which part holds the minimum (nil: all are empty).
    @inline(__always)
    private var smallestHead: Head? {
        var head: Head? = heapTop == nil ? nil : .heap
        var m = heapTop
        if let a = firstA, m.map({ a < $0 }) ?? true { head = .runA; m = a }
        if let b = firstB, m.map({ b < $0 }) ?? true { head = .runB }
        return head
    }

    func insert(_ e: Element) {
        // The run whose newest value is the largest not above `e`; an empty run only when none is.
        let a = lastA, b = lastB
        if let a, a <= e {
            if let b, b <= e, a < b { appendB(e) } else { appendA(e) }
        } else if let b, b <= e {
            appendB(e)
        } else if a == nil {
            appendA(e)
        } else if b == nil {
            appendB(e)
        } else {
            heapInsert(e)
        }
    }

    @inline(__always) private func appendA(_ e: Element) {
        runA.append(e)
        if firstA == nil { firstA = e }
        lastA = e
    }

    @inline(__always) private func appendB(_ e: Element) {
        runB.append(e)
        if firstB == nil { firstB = e }
        lastB = e
    }

    @discardableResult
    func removeMin() -> Element {
        switch smallestHead {
        case .runA:
            let e = runA.removeFirst()
            firstA = runA.first
            if firstA == nil { lastA = nil }
            return e
        case .runB:
            let e = runB.removeFirst()
            firstB = runB.first
            if firstB == nil { lastB = nil }
            return e
        case .heap, nil:
            let e = heapRemoveMin()
            heapTop = store.count == 0 ? nil : store[0]
            return e
        }
    }

    private func heapInsert(_ e: Element) {
        var i = store.append(e)
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = store[parent]
            guard e < p else { break }
            store[i] = p
            i = parent
        }
        store[i] = e
        if i == 0 { heapTop = e }
    }

    private func heapRemoveMin() -> Element {
        let top = store[0]
        let last = store.removeLast()
        let n = store.count
        guard n > 0 else { return top }
        var i = 0
        while true {
            let l = 2 * i + 1
            guard l < n else { break }
            var c = l
            var child = store[l]
            if l + 1 < n {
                let r = store[l + 1]
                if r < child { c = l + 1; child = r }
            }
            guard child < last else { break }
            store[i] = child
            i = c
        }
        store[i] = last
        return top
    }
}

/// A first-in, first-out queue of plain values in fixed-size chunks: a chunk
/// is freed once all its values are taken, and the one emptied last is kept
/// for the next values, so memory follows what is queued. (swift-collections'
/// `Deque` doubles one buffer: with millions of looks it would hold the old
/// and the new at once, which `ChunkedStore` was written to avoid.)
final class ChunkedQueue<Element: BitwiseCopyable> {
    static var chunkSize: Int { 1 << 12 }
    /// The chunks in order: values from `head` in the first to `tail` in the last.
    private var chunks: [UnsafeMutablePointer<Element>] = []
    private var head = 0
    private var tail = 0
    private var spare: UnsafeMutablePointer<Element>? = nil
    private(set) var count = 0

    init() {}

    deinit {
        for c in chunks { c.deallocate() }
        spare?.deallocate()
    }

    var first: Element? { count == 0 ? nil : chunks[0][head] }
    var last: Element? { count == 0 ? nil : chunks[chunks.count - 1][tail - 1] }

    func append(_ e: Element) {
        if chunks.isEmpty || tail == Self.chunkSize {
            if let s = spare {
                chunks.append(s)
                spare = nil
            } else {
                chunks.append(.allocate(capacity: Self.chunkSize))
            }
            tail = 0
        }
        (chunks[chunks.count - 1] + tail).initialize(to: e)
        tail += 1
        count += 1
    }

    @discardableResult
    func removeFirst() -> Element {
        precondition(count > 0, "removeFirst of an empty queue")
        let e = chunks[0][head]
        head += 1
        count -= 1
        if count == 0 {
            // One chunk left: start it over.
            head = 0
            tail = 0
        } else if head == Self.chunkSize {
            let done = chunks.removeFirst()
            if spare == nil { spare = done } else { done.deallocate() }
            head = 0
        }
        return e
    }
}

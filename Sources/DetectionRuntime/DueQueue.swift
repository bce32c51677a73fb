import EventModel

/// When each of the engine's expiry heaps (by id: a rule's index, or the
/// rule count plus a history's index) next has a key to look at: an indexed
/// binary min-heap with one entry per id, in memory the queue owns.
///
/// It replaced a `Heap<Due>` with stale entries beside an array of each
/// id's time: every sweep popped stale entries too, and each pop went
/// through the collection's uniqueness checks and reference counting
/// (≈ 420 instructions a pop; with 1,400 rules, 68 k pops per 100 k events).
final class DueQueue {
    /// Ids `0 ..< capacity`.
    let capacity: Int
    /// Per id: when it is due (`.max`: not queued).
    private let time: UnsafeMutablePointer<Instant>
    /// Per id: its place in `heap`, or -1.
    private let place: UnsafeMutablePointer<Int32>
    /// Ids, ordered as a binary min-heap by `time`.
    private let heap: UnsafeMutablePointer<Int32>
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        let n = max(1, capacity)
        time = .allocate(capacity: n)
        time.initialize(repeating: .max, count: n)
        place = .allocate(capacity: n)
        place.initialize(repeating: -1, count: n)
        heap = .allocate(capacity: n)
        heap.initialize(repeating: 0, count: n)
    }

    deinit {
        time.deallocate()
        place.deallocate()
        heap.deallocate()
    }

    /// When `id` is due (`.max`: not queued).
    @inline(__always) func due(_ id: Int) -> Instant { time[id] }

    /// The earliest due time, nil when nothing is queued.
    @inline(__always) var minTime: Instant? { count > 0 ? time[Int(heap[0])] : nil }

    /// Makes `id` due at `t` if that is earlier than it is (queues it if it is not).
    @inline(__always)
    func schedule(_ id: Int, _ t: Instant) {
        guard t < time[id] else { return }
        time[id] = t
        if place[id] < 0 {
            heap[count] = Int32(id)
            place[id] = Int32(count)
            count += 1
        }
        siftUp(Int(place[id]))
    }

    /// Takes the earliest id off the queue (it is then not due).
    func popMin() -> Int {
        precondition(count > 0, "popMin of an empty DueQueue")
        let id = Int(heap[0])
        count -= 1
        if count > 0 {
            heap[0] = heap[count]
            place[Int(heap[0])] = 0
            siftDown(0)
        }
        place[id] = -1
        time[id] = .max
        return id
    }

    /// Nothing due.
    func removeAll() {
        for i in 0..<count {
            let id = Int(heap[i])
            place[id] = -1
            time[id] = .max
        }
        count = 0
    }

    @inline(__always)
    private func siftUp(_ start: Int) {
        var i = start
        let id = heap[i]
        let t = time[Int(id)]
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = heap[parent]
            guard t < time[Int(p)] else { break }
            heap[i] = p
            place[Int(p)] = Int32(i)
            i = parent
        }
        heap[i] = id
        place[Int(id)] = Int32(i)
    }

    private func siftDown(_ start: Int) {
        var i = start
        let id = heap[i]
        let t = time[Int(id)]
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            var c = l
            if l + 1 < count && time[Int(heap[l + 1])] < time[Int(heap[l])] { c = l + 1 }
            let child = heap[c]
            guard time[Int(child)] < t else { break }
            heap[i] = child
            place[Int(child)] = Int32(i)
            i = c
        }
        heap[i] = id
        place[Int(id)] = Int32(i)
    }
}

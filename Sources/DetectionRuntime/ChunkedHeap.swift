/// A binary min-heap of plain values kept in a `ChunkedStore`: growing never
/// copies it or holds two buffers at once (the expiry looks of millions of
/// keys; swift-collections' `Heap` sits on an `Array` that doubles).
final class ChunkedHeap<Element: BitwiseCopyable & Comparable> {
    private let store = ChunkedStore<Element>()

    init() {}

    var count: Int { store.count }
    var isEmpty: Bool { store.count == 0 }
    var min: Element? { store.count == 0 ? nil : store[0] }

    func insert(_ e: Element) {
        var i = store.append(e)
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = store[parent]
            guard e < p else { break }
            store[i] = p
            i = parent
        }
        store[i] = e
    }

    @discardableResult
    func removeMin() -> Element {
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

import Foundation

/// A bounded queue between two threads: `put` waits while it is full,
/// `take` waits while it is empty; `close` ends it.
final class BlockingQueue<T>: @unchecked Sendable {
    // Every access to `items` and `closed` holds `cond`'s lock. A taken
    // item's slot is emptied at once: the queue never keeps what it handed out.
    private var items: [T?] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let cond = NSCondition()

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// False when the queue was closed (the item is dropped).
    @discardableResult
    func put(_ x: T) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while items.count - head >= capacity && !closed { cond.wait() }
        if closed { return false }
        items.append(x)
        cond.broadcast()
        return true
    }

    /// nil once the queue is closed and empty.
    func take() -> T? {
        cond.lock()
        defer { cond.unlock() }
        while items.count == head && !closed { cond.wait() }
        if items.count == head { return nil }
        let x = items[head].take()!
        head += 1
        if head >= 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        cond.broadcast()
        return x
    }

    func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
    }
}

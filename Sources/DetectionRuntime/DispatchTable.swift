import EventModel
import RuleCompiler

/// Per event type, the rules an event triggers and the histories it feeds,
/// in flat memory the engine owns and frees (`deallocate`).
///
/// Iterating `ruleSet.triggers[t]` and `feedRefs[t]` (arrays inside arrays)
/// retained and released each inner array for every event, and testing
/// `pinnedTriggers[t].isEmpty` a dictionary: about a third of the reference
/// counting left in the engine's dispatch loop. Ranges of plain memory need none.
struct DispatchTable {
    /// Rules of type `t`: `rules[ruleStart[t] ..< ruleStart[t + 1]]`.
    private let ruleStart: UnsafeMutableBufferPointer<Int32>
    private let rules: UnsafeMutableBufferPointer<Int32>
    /// Histories type `t` feeds: `feeds[feedStart[t] ..< feedStart[t + 1]]`.
    private let feedStart: UnsafeMutableBufferPointer<Int32>
    private let feeds: UnsafeMutableBufferPointer<FeedRef>
    /// Whether some rule of type `t` is pinned to villages (`pinnedTriggers`).
    private let pinned: UnsafeMutableBufferPointer<Bool>

    init(triggers: [[Int]], pinnedTriggers: [[VillageCode: [Int]]], feeds byType: [[FeedRef]]) {
        let types = max(triggers.count, pinnedTriggers.count, byType.count)
        (ruleStart, rules) = DispatchTable.flatten(triggers.map { $0.map { Int32($0) } }, types: types)
        (feedStart, feeds) = DispatchTable.flatten(byType, types: types)
        pinned = .allocate(capacity: types)
        for t in 0..<types { pinned[t] = t < pinnedTriggers.count && !pinnedTriggers[t].isEmpty }
    }

    private static func flatten<T>(_ lists: [[T]], types: Int) -> (UnsafeMutableBufferPointer<Int32>, UnsafeMutableBufferPointer<T>) {
        let start = UnsafeMutableBufferPointer<Int32>.allocate(capacity: types + 1)
        let items = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, lists.reduce(0) { $0 + $1.count }))
        var n = 0
        for t in 0..<types {
            start[t] = Int32(n)
            if t < lists.count {
                for x in lists[t] { (items.baseAddress! + n).initialize(to: x); n += 1 }
            }
        }
        start[types] = Int32(n)
        return (start, items)
    }

    /// Frees the memory (the engine's `deinit`); the elements are trivial.
    func deallocate() {
        ruleStart.deallocate()
        rules.deallocate()
        feedStart.deallocate()
        feeds.deallocate()
        pinned.deallocate()
    }

    /// Calls `body` with each rule index type `t` triggers (not pinned ones).
    @inline(__always)
    func forEachRule(_ t: Int, _ body: (Int) -> Void) {
        var i = Int(ruleStart[t])
        let end = Int(ruleStart[t + 1])
        while i < end { body(Int(rules[i])); i += 1 }
    }

    /// Calls `body` with each history type `t` feeds.
    @inline(__always)
    func forEachFeed(_ t: Int, _ body: (FeedRef) -> Void) {
        var i = Int(feedStart[t])
        let end = Int(feedStart[t + 1])
        while i < end { body(feeds[i]); i += 1 }
    }

    @inline(__always)
    func hasPinned(_ t: Int) -> Bool { pinned[t] }
}

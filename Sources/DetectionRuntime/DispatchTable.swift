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
    /// Rules pinned to villages, by (type, village) in open addressing with
    /// linear probing: a power of two of `PinnedEntry`s, at most half full,
    /// each naming `pinnedRules[start ..< start + count]`. A dictionary of dictionaries
    /// of arrays (`CompiledRuleSet.pinnedTriggers`) hashed the village and
    /// retained the rules' array at every event of a pinned type.
    private let pinnedTable: UnsafeMutableBufferPointer<PinnedEntry>
    private let pinnedRules: UnsafeMutableBufferPointer<Int32>

    struct PinnedEntry {
        /// Type + 1 (0: an empty entry).
        var type: Int32 = 0
        var count: Int32 = 0
        var start: Int32 = 0
        var village: UInt64 = 0
    }

    init(triggers: [[Int]], pinnedTriggers: [[VillageCode: [Int]]], feeds byType: [[FeedRef]]) {
        let types = max(triggers.count, pinnedTriggers.count, byType.count)
        (ruleStart, rules) = DispatchTable.flatten(triggers.map { $0.map { Int32($0) } }, types: types)
        (feedStart, feeds) = DispatchTable.flatten(byType, types: types)
        pinned = .allocate(capacity: types)
        for t in 0..<types { pinned[t] = t < pinnedTriggers.count && !pinnedTriggers[t].isEmpty }
        var entries: [(Int, VillageCode, [Int])] = []
        for (t, byVillage) in pinnedTriggers.enumerated() {
            for (v, rules) in byVillage.sorted(by: { $0.key < $1.key }) { entries.append((t, v, rules)) }
        }
        var size = 1
        while size < 2 * entries.count { size <<= 1 }
        pinnedTable = .allocate(capacity: size)
        pinnedTable.initialize(repeating: PinnedEntry())
        pinnedRules = .allocate(capacity: max(1, entries.reduce(0) { $0 + $1.2.count }))
        var n = 0
        for (t, v, rules) in entries {
            var i = DispatchTable.home(t, v.value, size)
            while pinnedTable[i].type != 0 { i = (i + 1) & (size - 1) }
            pinnedTable[i] = PinnedEntry(type: Int32(t + 1), count: Int32(rules.count), start: Int32(n), village: v.value)
            for r in rules { pinnedRules[n] = Int32(r); n += 1 }
        }
    }

    @inline(__always)
    private static func home(_ t: Int, _ village: UInt64, _ size: Int) -> Int {
        Fingerprint.tableHash(village &* 0x9E37_79B9_7F4A_7C15, seed: t) & (size - 1)
    }

    /// Calls `body` with each rule of type `t` pinned to `village`.
    @inline(__always)
    func forEachPinned(_ t: Int, _ village: VillageCode, _ body: (Int) -> Void) {
        let size = pinnedTable.count
        var i = DispatchTable.home(t, village.value, size)
        while true {
            let entry = pinnedTable[i]
            if entry.type == 0 { return }
            if entry.type == Int32(t + 1) && entry.village == village.value {
                var r = Int(entry.start)
                let end = r + Int(entry.count)
                while r < end { body(Int(pinnedRules[r])); r += 1 }
                return
            }
            i = (i + 1) & (size - 1)
        }
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
        pinnedTable.deallocate()
        pinnedRules.deallocate()
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

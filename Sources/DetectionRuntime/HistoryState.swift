import EventModel

/// The history of a precedence or absence feed, flat like `WindowState`: a
/// table of keys and one pool of entries shared by all keys, each key's
/// entries linked oldest to newest through `Entry.next` — no object, deque or
/// dictionary per key.
///
/// A precedence history without a lookback also keeps running aggregates per
/// key (`keepsRuns`): its rules aggregate every predecessor within the
/// retention, while it keeps only the latest few entries (for evidence)
/// unless min/max need them all. When count is all its rules aggregate, the
/// key's `total` is those aggregates.
final class HistoryState {
    struct Key {
        var head: Int32 = -1
        var tail: Int32 = -1
        var count: Int32 = 0
        /// Entries ever appended (the running count, when `runs` is `.count`).
        var total: Int32 = 0
        var lastTime: Instant = .min
    }

    /// Which running aggregates each key keeps.
    enum Runs {
        case none
        /// Only the count (in `Key.total`).
        case count
        case full
    }

    let keys: KeyTable<Key>
    /// Running aggregates by key slot, when `runMode` is `.full`.
    private var runs: [RunningAggregates] = []
    let runMode: Runs
    var keepsRuns: Bool { runMode != .none }
    /// count(distinct …) tables each key's running aggregates keep.
    let distinctSlots: Int
    let pool: EntryPool

    /// `slots`: how many aggregate inputs the entries carry.
    init(slots: Int, runs: Runs, distinctSlots: Int) {
        keys = KeyTable()
        pool = EntryPool(slots: slots)
        runMode = runs
        self.distinctSlots = distinctSlots
    }

    private init(copying s: HistoryState) {
        keys = s.keys.copy()
        runs = s.runs
        runMode = s.runMode
        distinctSlots = s.distinctSlots
        pool = s.pool.copy()
    }

    /// An independent copy, for a snapshot written on another thread.
    func copy() -> HistoryState { HistoryState(copying: self) }

    /// Every key with its slot, in no particular order.
    func forEach(_ body: (Fingerprint, Int32) -> Void) { keys.forEach(body) }

    /// The key that owns slot `s`.
    @inline(__always) func key(_ s: Int32) -> Fingerprint { keys.key(s) }
    var count: Int { keys.count }

    /// The key's slot, if it has state.
    @inline(__always) func slot(_ k: Fingerprint) -> Int32? { keys.slot(k) }

    /// Fresh running aggregates for a new key's slot, when this history keeps them (`KeyedState`).
    func startKey(_ s: Int32) {
        if runMode == .full {
            let fresh = RunningAggregates(distinctSlots: distinctSlots)
            if Int(s) < runs.count { runs[Int(s)] = fresh } else { runs.append(fresh) }
        }
    }

    /// Forgets a key and its entries.
    func remove(_ k: Fingerprint) {
        guard let (s, row) = keys.remove(k) else { return }
        var i = row.head
        while i >= 0 { i = pool.release(i) }
        if runMode == .full { runs[Int(s)] = .scanning }
    }

    /// Forgets every key.
    func removeAll() {
        for k in keys.keys { remove(k) }
    }

    @inline(__always) subscript(_ s: Int32) -> Key {
        get { keys[Int(s)] }
        _modify { yield &keys[Int(s)] }
    }

    /// The key's running aggregates (`keepsRuns`).
    @inline(__always) func run(_ s: Int32) -> RunningAggregates {
        if runMode == .full { return runs[Int(s)] }
        var run = RunningAggregates.scanning
        run.totals.count = Int(keys[Int(s)].total)
        return run
    }

    /// The key's running totals, for `AggregateLayout.fill` (`keepsRuns`).
    @inline(__always) func totals(_ s: Int32) -> AggregateTotals {
        if runMode == .full { return runs[Int(s)].summary }
        return AggregateTotals(count: Int(keys[Int(s)].total))
    }

    /// Replaces the key's running aggregates (a restore).
    func setRun(_ s: Int32, _ run: RunningAggregates) {
        if runMode == .full { runs[Int(s)] = run } else { keys[Int(s)].total = Int32(clamping: run.totals.count) }
    }

    /// Appends an entry (the newest) to the key, and to its running aggregates when kept.
    func append(_ s: Int32, _ entry: Entry, layout: AggregateLayout) {
        if runMode == .full { runs[Int(s)].add(entry, layout) }
        link(s, entry)
    }

    /// Appends an entry to the key's list only.
    func link(_ s: Int32, _ entry: Entry) {
        let i = pool.add(entry)
        let t = keys[Int(s)].tail
        if t >= 0 { pool.setNext(t, i) } else { keys[Int(s)].head = i }
        keys[Int(s)].tail = i
        keys[Int(s)].count += 1
        keys[Int(s)].total &+= 1
    }

    /// Drops the key's oldest entries until it holds at most `n` (its running aggregates keep them).
    func keepNewest(_ s: Int32, _ n: Int) {
        while keys[Int(s)].count > Int32(n) { dropOldest(s) }
    }

    /// Drops the key's entries older than `limit`.
    func prune(_ s: Int32, olderThan limit: Instant) {
        while keys[Int(s)].head >= 0, pool.time(keys[Int(s)].head) < limit { dropOldest(s) }
    }

    private func dropOldest(_ s: Int32) {
        let h = pool.release(keys[Int(s)].head)
        keys[Int(s)].head = h
        keys[Int(s)].count -= 1
        if h < 0 { keys[Int(s)].tail = -1 }
    }

    /// The key's oldest entry's time.
    @inline(__always) func firstTime(_ s: Int32) -> Instant? {
        let h = keys[Int(s)].head
        return h < 0 ? nil : pool[h].time
    }

    /// The key's entries, oldest first.
    @inline(__always) func entries(_ s: Int32) -> EntryPool.Walk {
        EntryPool.Walk(pool: pool, start: keys[Int(s)].head)
    }

    /// The key's newest `n` entries, oldest first.
    func newest(_ s: Int32, _ n: Int) -> [Entry] {
        Array(entries(s).dropFirst(max(0, Int(keys[Int(s)].count) - n)))
    }
}

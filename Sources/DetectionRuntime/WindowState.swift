import EventModel
import RuleCompiler

/// The state of one window rule, flat: a table of keys and one pool of
/// entries shared by all keys, with no allocation per key.
///
/// Each key's entries are linked oldest to newest through `Entry.next`.
/// While a key holds at most `AggregateLayout.scanLimit` entries its
/// aggregates are computed by walking them when an event arrives; above that
/// it keeps running aggregates (with count(distinct …) tables) in `runs`,
/// dropped again once it is back to half the limit.
final class WindowState {
    /// One key: where its entries are, and what the engine remembers of it.
    /// 40 bytes: the condition's last value shares a word with the count.
    struct Key {
        var head: Int32 = -1
        var tail: Int32 = -1
        /// The entry count (low 31 bits) and `lastCondition` (the top bit).
        private var countAndCondition: UInt32 = 0
        /// Index into `runs`, or -1 while the key's aggregates are found by a walk.
        var run: Int32 = -1
        var lastTime: Instant = .min
        /// The time of the entry at `head` (meaningless while there is none):
        /// `prune` sees that nothing left the window without reading the
        /// pool — a cache miss at nearly every window event (8 % of the rule
        /// thread's samples in a 1 M dry run).
        var headTime: Instant = .min
        /// The running sum of `sumInput` (`unknownSum` once a value or the
        /// sum left 64 bits), in the row: beside the table it was one more
        /// cache miss at each window event.
        var sum: Int64 = 0

        /// Entries the key holds.
        var count: Int32 {
            @inline(__always) get { Int32(bitPattern: countAndCondition & 0x7FFF_FFFF) }
            @inline(__always) set { countAndCondition = countAndCondition & 0x8000_0000 | UInt32(bitPattern: newValue) & 0x7FFF_FFFF }
        }

        /// Whether the rule's condition held at the key's last event.
        var lastCondition: Bool {
            @inline(__always) get { countAndCondition & 0x8000_0000 != 0 }
            @inline(__always) set { countAndCondition = countAndCondition & 0x7FFF_FFFF | (newValue ? 0x8000_0000 : 0) }
        }
    }

    let keys: KeyTable<Key>
    private var runs: [RunningAggregates] = []
    private var freeRuns: [Int32] = []
    let pool: EntryPool
    /// The input whose sum each key keeps running (-1: none; `Key.sum`):
    /// `unknownSum` where a value or a sum left 64 bits (the key's
    /// aggregates are then found by a walk).
    let sumInput: Int
    static let unknownSum = Int64.min

    /// `slots`: how many aggregate inputs the rule's entries carry;
    /// `runningSum`: the input to keep a running sum of per key, or -1.
    init(slots: Int, runningSum: Int = -1) {
        keys = KeyTable()
        pool = EntryPool(slots: slots)
        sumInput = runningSum
    }

    private init(copying s: WindowState) {
        keys = s.keys.copy()
        runs = s.runs
        freeRuns = s.freeRuns
        pool = s.pool.copy()
        sumInput = s.sumInput
    }

    /// An independent copy, for a snapshot written on another thread.
    func copy() -> WindowState { WindowState(copying: self) }

    /// Every key with its slot, in no particular order.
    func forEach(_ body: (Fingerprint, Int32) -> Void) { keys.forEach(body) }

    /// The key that owns slot `s`.
    @inline(__always) func key(_ s: Int32) -> Fingerprint { keys.key(s) }
    var count: Int { keys.count }
    var entryCount: Int { pool.live }

    /// The key's slot, if it has state.
    @inline(__always) func slot(_ k: Fingerprint) -> Int32? { keys.slot(k) }

    /// A new key: its row (`freshRow`) holds everything (`KeyedState`).
    @inline(__always) func startKey(_ s: Int32) {}

    /// The key's running sum of `sumInput`, nil when it keeps none or it is unknown.
    @inline(__always) func runningSum(_ s: Int32) -> Int64? {
        guard sumInput >= 0 else { return nil }
        let v = keys[Int(s)].sum
        return v == WindowState.unknownSum ? nil : v
    }

    /// Adds (or with `negated`, takes away) a value of `sumInput` to the key's running sum.
    @inline(__always) private func addToSum(_ s: Int32, _ v: Num, negated: Bool) {
        let cur = keys[Int(s)].sum
        guard cur != WindowState.unknownSum else { return }
        guard let x = Int64(exactly: v) else { keys[Int(s)].sum = WindowState.unknownSum; return }
        let (r, o) = negated ? cur.subtractingReportingOverflow(x) : cur.addingReportingOverflow(x)
        keys[Int(s)].sum = o ? WindowState.unknownSum : r
    }

    /// Forgets a key and its entries.
    func remove(_ k: Fingerprint) {
        guard let (_, row) = keys.remove(k) else { return }
        var i = row.head
        while i >= 0 { i = pool.release(i) }
        if row.run >= 0 { dropRun(row.run) }
    }

    @inline(__always) subscript(_ s: Int32) -> Key {
        get { keys[Int(s)] }
        _modify { yield &keys[Int(s)] }
    }

    /// The key's oldest entry's time.
    @inline(__always) func firstTime(_ s: Int32) -> Instant? {
        keys[Int(s)].head < 0 ? nil : keys[Int(s)].headTime
    }

    /// Appends an event (the newest) to the key.
    func append(_ s: Int32, _ entry: Entry, layout: AggregateLayout) {
        let i = pool.add(entry)
        let t = keys[Int(s)].tail
        if t >= 0 {
            pool.setNext(t, i)
        } else {
            keys[Int(s)].head = i
            keys[Int(s)].headTime = entry.time
        }
        keys[Int(s)].tail = i
        keys[Int(s)].count += 1
        if sumInput >= 0 && entry.has(sumInput) { addToSum(s, entry.val(sumInput), negated: false) }
        let r = keys[Int(s)].run
        if r >= 0 {
            runs[Int(r)].add(entry, layout)
        } else if keys[Int(s)].count > AggregateLayout.scanLimit {
            var run = RunningAggregates(distinctSlots: layout.distinctInputs.count)
            for e in entries(s) { run.add(e, layout) }
            keys[Int(s)].run = newRun(run)
        }
    }

    /// Drops the key's entries older than `limit` (they left the window).
    func prune(_ s: Int32, olderThan limit: Instant, layout: AggregateLayout) {
        var h = keys[Int(s)].head
        let r = keys[Int(s)].run
        var n = keys[Int(s)].count
        // Nothing to drop (and no running aggregates to give up): the pool is not read.
        if h < 0 || keys[Int(s)].headTime >= limit, r < 0 || n > Int32(AggregateLayout.scanLimit / 2) { return }
        while h >= 0 {
            let time = pool.time(h)
            guard time < limit else {
                keys[Int(s)].headTime = time
                break
            }
            if r >= 0 { runs[Int(r)].remove(pool[h], layout) }
            if sumInput >= 0, let v = pool.number(h, sumInput) { addToSum(s, v, negated: true) }
            h = pool.release(h)
            n -= 1
        }
        keys[Int(s)].head = h
        keys[Int(s)].count = n
        if h < 0 { keys[Int(s)].tail = -1 }
        if r >= 0 && n <= Int32(AggregateLayout.scanLimit / 2) {
            dropRun(r)
            keys[Int(s)].run = -1
        }
    }

    /// The key's aggregates: kept, or computed by walking its entries.
    /// A walk reads the entries where they lie in the pool and, for a rule
    /// with one count(distinct …) input, counts its different values on the
    /// way (`EntryPool.totals`): `fill` then reads them like a table's.
    func aggregates(_ s: Int32, layout: AggregateLayout) -> AggregateTotals {
        let r = keys[Int(s)].run
        if r >= 0 { return runs[Int(r)].summary }
        return pool.totals(from: keys[Int(s)].head, layout: layout,
                           distinct: layout.distinctInputs.count == 1 ? layout.distinctInputs[0] : -1)
    }

    /// The key's entries, oldest first.
    @inline(__always) func entries(_ s: Int32) -> EntryPool.Walk {
        EntryPool.Walk(pool: pool, start: keys[Int(s)].head)
    }

    /// Forgets every key.
    func removeAll() {
        for k in keys.keys { remove(k) }
    }

    private func newRun(_ run: RunningAggregates) -> Int32 {
        if let f = freeRuns.popLast() {
            runs[Int(f)] = run
            return f
        }
        runs.append(run)
        return Int32(runs.count - 1)
    }

    private func dropRun(_ r: Int32) {
        runs[Int(r)] = .scanning
        freeRuns.append(r)
    }
}

import EventModel

/// Remembers event ids so that a re-sent event is ignored (EVENTS.md: the
/// first valid copy of an id is the event). Used at the ingestion edge, in
/// arrival order, before events are put into the total order.
///
/// With a horizon, ids of events older than `horizon` before the newest
/// event time seen are forgotten (memory stays bounded on an endless stream;
/// a copy that old would be late anyway). Without one (a replay), every id
/// is kept, in a `GrowingFingerprintSet`.
public struct Deduplicator: Sendable {
    public let horizon: Int64?
    private var seen: Set<Fingerprint> = []
    private var all = GrowingFingerprintSet()
    private var byTime: [(Instant, Fingerprint)] = []
    private var head = 0
    private var newest: Instant = .min

    public init(horizon: Int64? = nil) {
        self.horizon = horizon
    }

    public var count: Int { horizon == nil ? all.count : seen.count }

    /// True the first time an id is offered; false for every later copy.
    public mutating func firstSighting(of e: borrowing Event) -> Bool {
        firstSighting(id: e.idKey, time: e.time)
    }

    /// Makes room for about `ids` ids (without a horizon; a hint, see
    /// `GrowingFingerprintSet.reserve`).
    public mutating func reserve(ids: Int) {
        if horizon == nil { all.reserve(ids) }
    }

    /// Starts fetching what `firstSighting(id:time:)` will read for `id`
    /// (without a horizon: the id set's bucket, a cache miss per event on a
    /// large ledger), so that work done in between hides the wait.
    @inline(__always)
    public func prefetch(id: Fingerprint) {
        if horizon == nil { all.prefetch(id) }
    }

    /// `firstSighting(of:)` given the event's id fingerprint and time: a
    /// caller holding the event in a variable it mutates (a decoder's
    /// target) passes these two, since borrowing such a variable copies
    /// the whole event (392 bytes, read back just after the decoder wrote
    /// them: 3 % of a replay's reading thread).
    @inline(__always)
    public mutating func firstSighting(id: Fingerprint, time: Instant) -> Bool {
        guard let h = horizon else { return all.insert(id) }
        guard seen.insert(id).inserted else { return false }
        byTime.append((time, id))
        if time > newest { newest = time }
        if byTime.count - head > 4096 { expire(before: newest - h) }
        return true
    }

    /// The ids remembered under a horizon, with their event times (for checkpoints).
    public func remembered() -> ArraySlice<(Instant, Fingerprint)> { byTime[head...] }

    /// Replaces the memory with ids saved by `remembered()`.
    public mutating func reload(_ items: [(Instant, Fingerprint)]) {
        seen = Set(items.map(\.1))
        byTime = items
        head = 0
        newest = items.map(\.0).max() ?? .min
    }

    private mutating func expire(before limit: Instant) {
        // Entries are in arrival order, which is nearly time order; drop the
        // prefix that is older than the limit.
        while head < byTime.count && byTime[head].0 < limit {
            seen.remove(byTime[head].1)
            head += 1
        }
        if head > 65536 && head * 2 > byTime.count {
            byTime.removeFirst(head)
            head = 0
        }
    }
}

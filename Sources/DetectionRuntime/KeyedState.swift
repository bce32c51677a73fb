import EventModel

/// Rule state kept by key (window and history state): a table of keys with
/// a slot each, and state of its own beside the table, by slot, that a new
/// key's slot starts afresh (`startKey`).
protocol KeyedState: AnyObject {
    associatedtype Row: BitwiseCopyable
    var keys: KeyTable<Row> { get }
    /// A new key's row.
    static var freshRow: Row { get }
    /// Starts what the state keeps beside the table for a new key's slot.
    func startKey(_ s: Int32)
}

extension KeyedState {
    /// A new, empty key.
    func add(_ k: Fingerprint) -> Int32 {
        let s = keys.add(k, Self.freshRow)
        startKey(s)
        return s
    }

    /// The key's slot, a new empty key's when it has none.
    @inline(__always) func slotOrAdd(_ k: Fingerprint) -> (slot: Int32, added: Bool) {
        let r = keys.slotOrAdd(k, Self.freshRow)
        if r.added { startKey(r.slot) }
        return r
    }
}

extension WindowState: KeyedState {
    static var freshRow: Key { Key() }
}

extension HistoryState: KeyedState {
    static var freshRow: Key { Key() }
}

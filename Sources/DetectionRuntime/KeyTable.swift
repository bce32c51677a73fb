import EventModel

/// The keys of a rule's (or a history's) state: each key's fingerprint maps
/// to a row of `Row` in a chunked table; a forgotten key's row is reused.
final class KeyTable<Row: BitwiseCopyable> {
    /// Every key with its row.
    private(set) var index: [Fingerprint: Int32] = [:]
    private let rows = ChunkedStore<Row>()
    private var free: [Int32] = []

    init() {}

    var count: Int { index.count }

    @inline(__always) func slot(_ k: Fingerprint) -> Int32? { index[k] }

    /// A new key with row `fresh`; its slot.
    func add(_ k: Fingerprint, _ fresh: Row) -> Int32 {
        let s: Int32
        if let f = free.popLast() {
            s = f
            rows[Int(s)] = fresh
        } else {
            s = Int32(rows.append(fresh))
        }
        index[k] = s
        return s
    }

    /// Forgets a key; its slot and its row as it was (the caller frees what the row points to).
    func remove(_ k: Fingerprint) -> (slot: Int32, row: Row)? {
        guard let s = index.removeValue(forKey: k) else { return nil }
        free.append(s)
        return (s, rows[Int(s)])
    }

    @inline(__always) subscript(_ s: Int) -> Row {
        unsafeAddress { UnsafePointer(rows.pointer(s)) }
        unsafeMutableAddress { rows.pointer(s) }
    }
}

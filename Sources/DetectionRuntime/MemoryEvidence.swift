/// The ids and raw JSON of remembered events that no `EvidenceStore` keeps
/// (a streaming worker's engine, tests, records a store declined), in slots
/// that are reused once no rule state names them.
///
/// References have the top bit set, so they never equal an `EvidenceStore`'s.
/// The engine calls `collect` when the slots in use have doubled since the
/// last collection: it marks every reference its state holds, and the
/// others are freed — amortised, a constant cost per remembered event.
final class MemoryEvidence {
    static let tag: UInt64 = 1 << 63
    private var ids: [String] = []
    private var raws: [[UInt8]] = []
    private var marks: [Bool] = []
    private var free: [Int] = []
    /// Slots in use.
    private(set) var live = 0
    /// Collect when `live` reaches this.
    private(set) var collectAt = 65_536

    init() {}

    private init(copying m: MemoryEvidence) {
        ids = m.ids
        raws = m.raws
        marks = m.marks
        free = m.free
        live = m.live
        collectAt = m.collectAt
    }

    /// A copy that reads what this one holds now (its arrays are shared until either changes).
    func copy() -> MemoryEvidence { MemoryEvidence(copying: self) }

    /// Slots, used or free (a reference's slot is below this).
    var slots: Int { ids.count }

    @inline(__always) static func holds(_ ref: UInt64) -> Bool { ref & tag != 0 }

    func append(id: String, raw: [UInt8]) -> UInt64 {
        live += 1
        if let i = free.popLast() {
            ids[i] = id
            raws[i] = raw
            return MemoryEvidence.tag | UInt64(i)
        }
        ids.append(id)
        raws.append(raw)
        marks.append(false)
        return MemoryEvidence.tag | UInt64(ids.count - 1)
    }

    func read(_ ref: UInt64) -> (id: String, raw: [UInt8]) {
        let i = Int(ref & ~MemoryEvidence.tag)
        return (ids[i], raws[i])
    }

    var needsCollection: Bool { live >= collectAt }

    /// Frees every slot that `markLive` does not mark (it is handed a
    /// function to call with each reference the state holds).
    func collect(_ markLive: ((UInt64) -> Void) -> Void) {
        for i in marks.indices { marks[i] = false }
        for i in free { marks[i] = true }
        markLive { ref in
            if MemoryEvidence.holds(ref) { self.marks[Int(ref & ~MemoryEvidence.tag)] = true }
        }
        for i in marks.indices where !marks[i] {
            ids[i] = ""
            raws[i] = []
            free.append(i)
            live -= 1
        }
        collectAt = max(65_536, 2 * live)
    }
}

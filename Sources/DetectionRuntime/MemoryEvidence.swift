import EventModel

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
    /// An event's raw JSON and its id (given, or where `raw` holds it: a
    /// decoded event's id is not made into a `String` until it is read).
    struct Item {
        var givenID: String?
        var raw: [UInt8]
        var idStart: UInt32
        var idCount: UInt32

        static let empty = Item(givenID: "", raw: [], idStart: 0, idCount: 0)

        var id: String { Event.id(given: givenID, raw: raw, start: idStart, count: idCount) }
    }
    private var items: [Item] = []
    private var marks: [Bool] = []
    private var free: [Int] = []
    /// Slots in use.
    private(set) var live = 0
    /// Collect when `live` reaches this.
    private(set) var collectAt = 65_536

    init() {}

    private init(copying m: MemoryEvidence) {
        items = m.items
        marks = m.marks
        free = m.free
        live = m.live
        collectAt = m.collectAt
    }

    /// A copy that reads what this one holds now (its arrays are shared until either changes).
    func copy() -> MemoryEvidence { MemoryEvidence(copying: self) }

    /// Slots, used or free (a reference's slot is below this).
    var slots: Int { items.count }

    @inline(__always) static func holds(_ ref: UInt64) -> Bool { ref & tag != 0 }

    func append(id: String, raw: [UInt8]) -> UInt64 {
        append(Item(givenID: id, raw: raw, idStart: 0, idCount: 0))
    }

    /// Keeps an event's id and raw JSON (its raw bytes shared, its id not made into a `String`).
    func append(_ e: borrowing Event) -> UInt64 {
        append(Item(givenID: e.givenID, raw: e.raw, idStart: e.idStart, idCount: e.idCount))
    }

    private func append(_ item: Item) -> UInt64 {
        live += 1
        if let i = free.popLast() {
            items[i] = item
            return MemoryEvidence.tag | UInt64(i)
        }
        items.append(item)
        marks.append(false)
        return MemoryEvidence.tag | UInt64(items.count - 1)
    }

    func read(_ ref: UInt64) -> (id: String, raw: [UInt8]) {
        let item = items[Int(ref & ~MemoryEvidence.tag)]
        return (item.id, item.raw)
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
        // Freeing a slot releases its raw bytes, whose buffer's header (the
        // reference count) has mostly left the caches: asked for eight slots ahead.
        let n = items.count
        items.withUnsafeMutableBufferPointer { items in
            for i in 0..<n {
                if i &+ 8 < n && !marks[i &+ 8] { Prefetch.arrayStorage(of: &items[i &+ 8].raw) }
                guard !marks[i] else { continue }
                items[i] = .empty
                free.append(i)
                live -= 1
            }
        }
        collectAt = max(65_536, 2 * live)
    }
}

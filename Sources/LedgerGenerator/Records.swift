import EventModel

/// The event being written.
struct Current: Sendable {
    var type: EventType = .financePayment
    var sys = 0
    var village = 0
    var time: Instant = 0
    var flags: UInt8 = 0
    var style: UInt64 = 0
    var seq: Int64 = 0
    var moneyHabit: MoneyHabit = .numberMinimal
    /// Ring slot of the arena written to, or -1 (scratch).
    var slot = -1
    /// Offset of the line in the buffer.
    var start = 0
}

/// Record flags.
enum RecordFlag {
    static let isCase: UInt8 = 1
    /// Re-send the line shortly after (a case that tests deduplication).
    static let forceDuplicate: UInt8 = 2
    /// Precede the line with a malformed copy that keeps its event id.
    static let malformedCopyFirst: UInt8 = 4
}

/// One serialized event waiting to be emitted.
struct Record: Sendable {
    var emitKey: Int64
    var seq: Int64
    var start: Int32
    var length: Int32
    var flags: UInt8
    var type: UInt8
}

/// The events of one local day, in one byte buffer.
struct Arena {
    var bytes = ByteBuffer()
    var records: [Record] = []

    mutating func add(_ line: UnsafeBufferPointer<UInt8>, emitKey: Int64, seq: Int64, flags: UInt8, type: UInt8) {
        records.append(Record(emitKey: emitKey, seq: seq, start: Int32(bytes.count), length: Int32(line.count), flags: flags, type: type))
        bytes.append(line)
    }
}

/// An injected event, made before the first chunk.
struct PlannedEvent: Sendable {
    var day: Int64
    var time: Instant
    var seq: Int64
    var village: Int
    var sys: Int
    var flags: UInt8
    var type: UInt8
    var bytes: [UInt8]
}

/// Re-sends waiting for their line number.
struct DuplicateHeap: Sendable {
    struct Entry: Sendable {
        var target: Int
        var order: Int
        var bytes: [UInt8]
        var type: UInt8
    }
    var items: [Entry] = []

    var isEmpty: Bool { items.isEmpty }
    var top: Entry? { items.first }

    @inline(__always)
    static func less(_ a: Entry, _ b: Entry) -> Bool { (a.target, a.order) < (b.target, b.order) }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if DuplicateHeap.less(items[i], items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Entry? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let e = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && DuplicateHeap.less(items[l], items[m]) { m = l }
            if r < items.count && DuplicateHeap.less(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return e
    }
}

import EventModel
import FuzzSupport
import Testing

@testable import DetectionRuntime

/// A reorder buffer that lends its events (a replay's reading thread) hands
/// out the same events in the same order as one that moves them out, and
/// decodes into the slots it gets back.
@Suite struct ReorderBufferLendingTests {
    static let decoder = EventDecoder()

    /// A receipt line; `pad` makes it longer (so that a reused buffer must grow).
    static func line(_ id: String, second: Int, pad: Int = 0) -> [UInt8] {
        let mm = second / 60, ss = second % 60
        let time = "2024-03-01T10:\(mm < 10 ? "0" : "")\(mm):\(ss < 10 ? "0" : "")\(ss)+08:00"
        let voucher = "V" + String(repeating: "x", count: pad)
        return Array(#"{"event_id":"\#(id)","type":"finance.receipt","occurred_at":"\#(time)","village":"330521101204","voucher_no":"\#(voucher)","amount":1,"payer_id":"P","category":"rent"}"#.utf8)
    }

    /// Decodes `line` into the buffer's staging slot and puts it in the order.
    static func offer(_ line: [UInt8], to buffer: inout ReorderBuffer) {
        let slot = buffer.stagingSlot()
        #expect(decoder.decode(line, into: &slot.pointee) == .event)
        buffer.commitStaged()
    }

    @Test func lentEventsComeInTheOrderReleasedOnesDo() {
        var rng = SeededRandom(seed: 11)
        var moving = ReorderBuffer(), lending = ReorderBuffer()
        var released: [(String, [UInt8])] = []
        var lent: [(String, [UInt8])] = []
        var batches: [LentEvents] = []
        let lender = lending.lender
        var slots: [Int32] = [], events: [UnsafeMutablePointer<Event>] = []
        func take(_ s: Int32, _ e: UnsafeMutablePointer<Event>, _ time: Instant) {
            #expect(time == e.pointee.time)
            slots.append(s)
            events.append(e)
            if events.count == 100 {
                batches.append(lender.batch(slots: slots, events: events))
                slots = []
                events = []
            }
        }
        for n in 0..<3_000 {
            // Up to 20 seconds out of order, ids sharing their first 8 bytes (ties go to the full id).
            let l = Self.line("RCPT-000-\(rng.below(4))-\(n)", second: n / 10 + rng.below(20), pad: rng.below(40))
            Self.offer(l, to: &moving)
            Self.offer(l, to: &lending)
            if n % 250 == 249 {
                moving.release(before: moving.maxTime - 30_000_000) { released.append(($0.id, $0.raw)) }
                lending.lend(before: lending.maxTime - 30_000_000, take)
            }
        }
        moving.drain { released.append(($0.id, $0.raw)) }
        lending.lendAll(take)
        batches.append(lender.batch(slots: slots, events: events))
        for b in batches { for e in b.events { lent.append((e.pointee.id, e.pointee.raw)) } }
        #expect(lent.count == 3_000 && released.count == 3_000)
        #expect(lent.map(\.0) == released.map(\.0))
        #expect(zip(lent, released).allSatisfy { $0.1 == $1.1 }, "the same bytes")
        #expect(lending.isEmpty)
    }

    /// Slots come back when their batch is let go, and only after
    /// `reclaim()`; the next decode into one gives the new event whole (a
    /// longer or shorter line), while a copy of the old event's bytes that
    /// someone kept (the engine keeps some) stays as it was.
    @Test func slotsComeBackAndAreDecodedIntoAgain() {
        var buffer = ReorderBuffer()
        for n in 0..<4 { Self.offer(Self.line("R-\(n)", second: n, pad: 10), to: &buffer) }
        var slots: [Int32] = [], events: [UnsafeMutablePointer<Event>] = []
        buffer.lendAll { s, e, _ in slots.append(s); events.append(e) }
        var batch: LentEvents? = buffer.lender.batch(slots: slots, events: events)
        let kept = batch!.events[0].pointee.raw
        let lentAt = Set(events)
        // Still lent: a new event goes into a fresh slot.
        let fresh = buffer.stagingSlot()
        #expect(!lentAt.contains(fresh))
        #expect(Self.decoder.decode(Self.line("R-9", second: 9), into: &fresh.pointee) == .event)
        buffer.commitStaged()
        // Let go, but not reclaimed: still fresh slots.
        batch = nil
        #expect(!lentAt.contains(buffer.stagingSlot()))
        Self.offer(Self.line("R-10", second: 10), to: &buffer)
        // Reclaimed: the next events are decoded where the lent ones were.
        buffer.reclaim()
        var reused: [UnsafeMutablePointer<Event>] = []
        for (n, pad) in [(11, 0), (12, 60), (13, 10), (14, 3)] {
            let slot = buffer.stagingSlot()
            reused.append(slot)
            let l = Self.line("R-\(n)", second: n, pad: pad)
            #expect(Self.decoder.decode(l, into: &slot.pointee) == .event)
            #expect(slot.pointee.raw == l && slot.pointee.id == "R-\(n)")
            buffer.commitStaged()
        }
        #expect(Set(reused) == lentAt)
        #expect(kept == Self.line("R-0", second: 0, pad: 10), "a kept copy of a lent event's bytes is not written over")
        var out: [String] = []
        buffer.drain { out.append($0.id) }
        #expect(out == ["R-9", "R-10", "R-11", "R-12", "R-13", "R-14"])
    }

    /// More slots given back at once than wait with their events
    /// (`recycledLimit`): the rest are emptied and used again all the same.
    @Test func manySlotsGivenBackAtOnceAreAllUsedAgain() {
        var buffer = ReorderBuffer()
        let n = ReorderBuffer.recycledLimit + 1_500
        for i in 0..<n { Self.offer(Self.line("A-\(100_000 + i)", second: i / 100), to: &buffer) }
        var slots: [Int32] = [], events: [UnsafeMutablePointer<Event>] = []
        buffer.lendAll { s, e, _ in slots.append(s); events.append(e) }
        var batch: LentEvents? = buffer.lender.batch(slots: slots, events: events)
        #expect(batch!.events.map { $0.pointee.id } == (0..<n).map { "A-\(100_000 + $0)" })
        batch = nil
        buffer.reclaim()
        var used: Set<UnsafeMutablePointer<Event>> = []
        for i in 0..<n {
            let slot = buffer.stagingSlot()
            used.insert(slot)
            let l = Self.line("B-\(100_000 + i)", second: 100 + i / 100, pad: i % 7)
            #expect(Self.decoder.decode(l, into: &slot.pointee) == .event)
            buffer.commitStaged()
        }
        #expect(used == Set(events), "every slot given back is used again, and no other")
        var out: [String] = []
        buffer.drain { out.append($0.id) }
        #expect(out == (0..<n).map { "B-\(100_000 + $0)" })
    }

    /// A lent batch keeps its events (and their slots' memory) after the
    /// buffer that lent them is gone: a lane on another thread may still be
    /// reading it.
    @Test func aLentBatchOutlivesItsBuffer() {
        var buffer: ReorderBuffer? = ReorderBuffer()
        var lines: [[UInt8]] = []
        for n in 0..<50 {
            let l = Self.line("R-\(100 + n)", second: n, pad: n)
            lines.append(l)
            Self.offer(l, to: &buffer!)
        }
        var slots: [Int32] = [], events: [UnsafeMutablePointer<Event>] = []
        buffer!.lendAll { s, e, _ in slots.append(s); events.append(e) }
        let batch = buffer!.lender.batch(slots: slots, events: events)
        buffer = nil
        // What the buffer freed would be reused now, with other bytes.
        let litter = (0..<2_000).map { _ in [UInt8](repeating: 0xFF, count: 400) }
        #expect(batch.events.map { $0.pointee.raw } == lines)
        #expect(batch.events.map { $0.pointee.id } == (0..<50).map { "R-\(100 + $0)" })
        withExtendedLifetime(litter) {}
    }
}

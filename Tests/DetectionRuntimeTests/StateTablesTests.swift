@testable import DetectionRuntime
import EventModel
import FuzzSupport
@testable import RuleCompiler
import Testing

/// The flat tables the engine keeps its state in, each against the plain
/// Swift collection it replaces, under long random sequences of operations.
@Suite struct StateTablesTests {
    @Test func keyTableAgreesWithADictionaryThroughGrowthAndDeletions() {
        var rng = SeededRandom(seed: 7)
        let table = KeyTable<Int64>()
        var model: [Fingerprint: Int64] = [:]
        // Keys from a small universe so that adds and removes hit each other,
        // plus keys that differ in one word only (same low or high half).
        var universe: [Fingerprint] = []
        for i in 0..<6_000 {
            switch i % 3 {
            case 0: universe.append(Fingerprint(hi: 42, lo: UInt64(i)))
            case 1: universe.append(Fingerprint(hi: UInt64(i), lo: 42))
            default: universe.append(Fingerprint(hi: rng.next(), lo: rng.next()))
            }
        }
        for step in 0..<60_000 {
            let k = universe[rng.below(step < 30_000 ? universe.count : universe.count / 4)]
            switch rng.below(3) {
            case 0, 1:
                if model[k] == nil {
                    let s = table.add(k, Int64(step))
                    #expect(table.key(s) == k)
                    model[k] = Int64(step)
                } else {
                    let removed = table.remove(k)
                    #expect(removed?.row == model[k])
                    model[k] = nil
                }
            default:
                let s = table.slot(k)
                #expect((s != nil) == (model[k] != nil))
                if let s { #expect(table[Int(s)] == model[k]) }
            }
            #expect(table.count == model.count)
        }
        var seen: [Fingerprint: Int64] = [:]
        table.forEach { k, s in seen[k] = table[Int(s)] }
        #expect(seen == model)
        #expect(Set(table.keys) == Set(model.keys))
        for k in model.keys { _ = table.remove(k) }
        #expect(table.count == 0)
        for k in universe { #expect(table.slot(k) == nil) }
    }

    @Test func keyTableReusesTheSlotsOfForgottenKeys() {
        let table = KeyTable<Int32>()
        let a = table.add(Fingerprint(hi: 1, lo: 1), 10)
        let b = table.add(Fingerprint(hi: 2, lo: 2), 20)
        #expect(table.remove(Fingerprint(hi: 1, lo: 1))?.slot == a)
        let c = table.add(Fingerprint(hi: 3, lo: 3), 30)
        #expect(c == a && table[Int(c)] == 30 && table.key(c) == Fingerprint(hi: 3, lo: 3))
        #expect(table.slot(Fingerprint(hi: 2, lo: 2)) == b && table.slot(Fingerprint(hi: 1, lo: 1)) == nil)
    }

    /// count(distinct …) over scanned entries (windows below the scan limit,
    /// precedence lookbacks, absence ranges): values kept on the stack up to
    /// 32 different ones, a set beyond; entries without the value skipped.
    @Test func distinctCountOfScannedEntriesAgreesWithASet() {
        var rng = SeededRandom(seed: 11)
        for round in 0..<400 {
            let count = rng.below(round < 200 ? 30 : 300)
            let spread = [1, 2, 5, 31, 32, 33, 40, 500][round % 8]
            var entries: [Entry] = []
            for i in 0..<count {
                var e = Entry(time: Instant(i), ref: 1, present: rng.below(6) == 0 ? 0 : 0b10)
                e.slots[1] = Fingerprint(hi: UInt64(rng.below(spread)), lo: round % 3 == 0 ? 7 : UInt64(rng.below(2)))
                entries.append(e)
            }
            let expected = Set(entries.filter { $0.has(1) }.map { $0.key(1) }).count
            #expect(AggregateLayout.distinctCount(entries, slot: 1) == expected, "round \(round)")
        }
    }

    /// A window key's totals read where its entries lie in the pool, with
    /// its one count(distinct …) input counted on the way (`EntryPool.totals`),
    /// against entries walked one by one (`AggregateTotals.add`,
    /// `AggregateLayout.distinctCount`): numbers (some absent, negative, past
    /// 64 bits) in input 0, texts in input 1, keys sharing one pool.
    @Test func poolTotalsAgreeWithWalkingTheEntries() {
        var rng = SeededRandom(seed: 23)
        let number: Compiled = .num({ _, _ in nil }, .number)
        let text: Compiled = .text({ _, _ in nil }, .string)
        let specs = [AggregateSpec(kind: .sum, argument: number, text: "sum(a)", resultType: .number, inputSlot: 0),
                     AggregateSpec(kind: .countDistinct, argument: text, text: "count(distinct b)", resultType: .number, inputSlot: 1)]
        let layout = AggregateLayout(specs, inputs: [number, text])
        defer { layout.deallocate() }
        let pool = EntryPool(slots: 2)
        for round in 0..<300 {
            var heads: [Int32] = [-1, -1, -1], tails: [Int32] = [-1, -1, -1]
            var lists: [[Entry]] = [[], [], []]
            let spread = [1, 3, 31, 32, 33, 100][round % 6]
            for i in 0..<rng.below(round < 150 ? 40 : 200) {
                let key = rng.below(3)
                var e = Entry(time: Instant(i), ref: 1, present: UInt8(rng.below(4)))
                let big = Num(rng.next()) << UInt32(rng.below(40))
                e.slots[0] = Entry.bits(rng.below(2) == 0 ? big : -big)
                e.slots[1] = Fingerprint(hi: UInt64(rng.below(spread)), lo: 9)
                let at = pool.add(e)
                if tails[key] >= 0 { pool.setNext(tails[key], at) } else { heads[key] = at }
                tails[key] = at
                lists[key].append(e)
            }
            for key in 0..<3 {
                var walked = AggregateTotals()
                for e in lists[key] { walked.add(e, layout) }
                let read = pool.totals(from: heads[key], layout: layout, distinct: 1)
                #expect(read.count == walked.count && read.sums[0] == walked.sums[0], "round \(round)")
                #expect(read.presentCounts[0] == walked.presentCounts[0] && read.presentCounts[1] == walked.presentCounts[1])
                #expect(read.tabled && Int(read.distinctCounts[0]) == AggregateLayout.distinctCount(lists[key], slot: 1))
                let plain = pool.totals(from: heads[key], layout: layout, distinct: -1)
                #expect(!plain.tabled && plain.count == walked.count && plain.sums[0] == walked.sums[0])
                var i = heads[key]
                while i >= 0 { i = pool.release(i) }
            }
        }
        #expect(pool.live == 0)
    }

    /// Expiry looks as the engine makes them: most due one of two fixed times
    /// after the newest event (queued in order, in two runs), some earlier
    /// (into the heap part); every look leaves in due order, through many
    /// chunks of the queues.
    @Test func chunkedHeapMergesItsQueueAndHeapInOrder() {
        var rng = SeededRandom(seed: 5)
        let heap = ChunkedHeap<Int64>()
        var model: [Int64] = []
        var now: Int64 = 0
        for step in 0..<120_000 {
            now += Int64(rng.below(3))
            // Two fixed offsets (a window, a retention) and some earlier looks.
            let due = rng.below(5) == 0 ? now + Int64(rng.below(400)) : (rng.below(7) == 0 ? now + 5_000 : now + 300)
            heap.insert(due)
            model.insert(due, at: model.firstIndex { $0 > due } ?? model.count)
            // Quiet spells let the queue run dry and start again.
            let until = (step / 20_000) % 2 == 0 ? now : now + 1_000
            while let m = model.first, m < until {
                #expect(heap.min == m)
                #expect(heap.removeMin() == model.removeFirst())
            }
            #expect(heap.count == model.count)
        }
        while let m = model.first {
            #expect(heap.removeMin() == m)
            model.removeFirst()
        }
        #expect(heap.isEmpty && heap.min == nil)
    }

    @Test func chunkedHeapHandsOutInOrder() {
        var rng = SeededRandom(seed: 3)
        let heap = ChunkedHeap<Int64>()
        var model: [Int64] = []
        // Past one chunk (16,384) and back, with many equal values.
        for round in 0..<4 {
            for _ in 0..<(round.isMultiple(of: 2) ? 40_000 : 5_000) {
                let v = Int64(rng.below(1_000))
                heap.insert(v)
                model.append(v)
            }
            model.sort()
            for _ in 0..<(round.isMultiple(of: 2) ? 20_000 : 25_000) where !model.isEmpty {
                #expect(heap.min == model.first)
                #expect(heap.removeMin() == model.removeFirst())
            }
            #expect(heap.count == model.count)
        }
        while let m = heap.min {
            #expect(heap.removeMin() == m)
            #expect(m == model.removeFirst())
        }
        #expect(heap.isEmpty && model.isEmpty)
    }

    @Test func chunkedStoreGrowsItsFirstChunkThenAddsChunks() {
        let store = ChunkedStore<Int>()
        let n = (1 << ChunkedStore<Int>.chunkBits) * 2 + 5
        for i in 0..<n { #expect(store.append(i * 3) == i) }
        #expect(store.count == n && (0..<n).allSatisfy { store[$0] == $0 * 3 })
        let copy = store.copy()
        store[0] = -1
        #expect(copy[0] == 0 && copy.count == n && copy[n - 1] == (n - 1) * 3)
        #expect(store.removeLast() == (n - 1) * 3 && store.count == n - 1)
        store.append(7)
        #expect(store[n - 1] == 7)
    }

    @Test func growingFingerprintSetAgreesWithASetAcrossGrowth() {
        var rng = SeededRandom(seed: 11)
        var set = GrowingFingerprintSet()
        var model = Set<Fingerprint>()
        var members: [Fingerprint] = []
        // 300 k offers, a fifth of them repeats of earlier members: every
        // table grows several times.
        for _ in 0..<300_000 {
            let k: Fingerprint
            if !members.isEmpty && rng.below(5) == 0 {
                k = members[rng.below(members.count)]
            } else {
                k = Fingerprint(hi: rng.next(), lo: rng.next())
            }
            let fresh = model.insert(k).inserted
            let inserted = set.insert(k)
            #expect(inserted == fresh)
            if fresh { members.append(k) }
        }
        #expect(set.count == model.count)
        #expect(members.allSatisfy { set.contains($0) })
        #expect(!set.contains(Fingerprint(hi: 1, lo: 2)))
        // Fingerprints that share a member's home slot, and extremes.
        for k in [Fingerprint.zero, Fingerprint(hi: .max, lo: .max), Fingerprint(hi: members[0].hi, lo: members[0].lo &+ 1)] {
            let first = set.insert(k), second = set.insert(k)
            #expect(first == !model.contains(k))
            #expect(!second)
        }
    }

    /// Room made for the whole ledger after some ids are in (as a replay
    /// does from its first lines), once too little and once ample: every
    /// member stays a member, and the set agrees with a `Set` after it.
    @Test func growingFingerprintSetReservedMidwayKeepsItsMembers() {
        var rng = SeededRandom(seed: 13)
        for reserved in [20_000, 400_000] {
            var set = GrowingFingerprintSet()
            var model = Set<Fingerprint>()
            for i in 0..<100_000 {
                if i == 30_000 { set.reserve(reserved) }
                let k = rng.below(4) == 0 && !model.isEmpty ? model.randomElement()! : Fingerprint(hi: rng.next(), lo: rng.next())
                #expect(set.insert(k) == model.insert(k).inserted)
            }
            #expect(set.count == model.count)
            #expect(model.allSatisfy { set.contains($0) })
        }
    }

    /// Members that share a home slot (equal `lo`), that differ only in the
    /// bits choosing the table or only in the low bits of `hi`, and `lo` 0
    /// (the tables' empty mark): each is its own member.
    @Test func fingerprintsThatShareKeptBitsStayApart() {
        var set = GrowingFingerprintSet()
        var model = Set<Fingerprint>()
        var rng = SeededRandom(seed: 5)
        var offers: [Fingerprint] = []
        for _ in 0..<3_000 {
            let lo = rng.below(4) == 0 ? 0 : UInt64(rng.below(40)) &* 0x9E37_79B9_7F4A_7C15
            let hi = UInt64(rng.below(3)) << 62 | UInt64(rng.below(3)) << 20 | UInt64(rng.below(50))
            offers.append(Fingerprint(hi: hi, lo: lo))
        }
        for k in offers + offers.reversed() {
            #expect(set.insert(k) == model.insert(k).inserted)
        }
        #expect(set.count == model.count && model.count > 1_000)
        #expect(model.allSatisfy { set.contains($0) })
        #expect(!set.contains(Fingerprint(hi: 7 << 20, lo: 0)) && !set.contains(Fingerprint(hi: 1 << 62 | 99, lo: 0x9E37_79B9_7F4A_7C15)))
    }

    @Test func aCopiedSetChangesAlone() {
        var a = GrowingFingerprintSet()
        for i in 0..<70_000 { _ = a.insert(Fingerprint(hi: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, lo: UInt64(i))) }
        var b = a
        for i in 70_000..<140_000 { _ = b.insert(Fingerprint(hi: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, lo: UInt64(i))) }
        #expect(a.count == 70_000 && b.count == 140_000)
        #expect(!a.contains(Fingerprint(hi: UInt64(100_000) &* 0x9E37_79B9_7F4A_7C15, lo: 100_000)))
        #expect(b.contains(Fingerprint(hi: UInt64(5) &* 0x9E37_79B9_7F4A_7C15, lo: 5)))
    }

    /// `insert(taking:)` moves the event in and leaves a placeholder to decode the next one into.
    @Test func insertTakingMovesTheEventAndLeavesAPlaceholder() {
        var buffer = ReorderBuffer()
        var e = EngineTests.payment("PAY-1", "2024-03-01T10:00:00+08:00")
        let raw = e.raw
        buffer.insert(taking: &e)
        #expect(e.id.isEmpty && e.raw.isEmpty && buffer.count == 1)
        var out: [Event] = []
        buffer.drain { out.append($0) }
        #expect(out.map(\.id) == ["PAY-1"] && out[0].raw == raw)
    }

    /// An event decoded into `stagingSlot()` joins the order at `commitStaged()`;
    /// a slot staged before a copy of the buffer is not written through the
    /// copy's storage (a checkpoint reads its copy on another thread).
    @Test func stagedSlotsJoinTheOrderAndAreNeverShared() {
        let decoder = EventDecoder()
        func line(_ id: String, _ minute: Int) -> [UInt8] {
            Array(#"{"event_id":"\#(id)","type":"finance.receipt","occurred_at":"2024-03-01T10:0\#(minute):00+08:00","village":"330521101204","voucher_no":"V","amount":1,"payer_id":"P","category":"rent"}"#.utf8)
        }
        var buffer = ReorderBuffer()
        for (id, minute) in [("R-3", 3), ("R-1", 1)] {
            let slot = buffer.stagingSlot()
            #expect(decoder.decode(line(id, minute), into: &slot.pointee) == .event)
            buffer.commitStaged()
        }
        // A slot staged and left (the record was not kept), then a copy.
        let left = buffer.stagingSlot()
        #expect(decoder.decode(Array("{".utf8), into: &left.pointee) != .event)
        var copy = buffer
        let slot = buffer.stagingSlot()
        #expect(decoder.decode(line("R-2", 2), into: &slot.pointee) == .event)
        #expect(copy.stagingSlot() != slot, "the copy's staged slot is its own")
        buffer.commitStaged()
        var fromBuffer: [String] = [], fromCopy: [String] = []
        buffer.drain { fromBuffer.append($0.id) }
        copy.drain { fromCopy.append($0.id) }
        #expect(fromBuffer == ["R-1", "R-2", "R-3"])
        #expect(fromCopy == ["R-1", "R-3"])
    }

    /// A buffer whose slots a copy shares (a checkpoint's, read on another
    /// thread) copies them before the first event leaves: the events moved
    /// out are the buffer's own, and the copy still holds every one, intact
    /// (a slot read before the copy is made would be moved out from under
    /// the copy and freed with the buffer's event).
    @Test func eventsLeavingABufferWhoseSlotsACopySharesAreItsOwn() {
        var buffer = ReorderBuffer()
        var raws: [String: [UInt8]] = [:]
        for n in 0..<50 {
            let e = EngineTests.payment("PAY-\(100 + n)", "2024-03-01T10:00:\(10 + n % 40)+08:00")
            raws[e.id] = e.raw
            buffer.insert(e)
        }
        let copy = buffer
        var left: [String] = []
        buffer.drain { left.append($0.id) }
        // What the buffer's events freed is reused now, with other bytes.
        let litter = (0..<2_000).map { _ in [UInt8](repeating: 0xFF, count: raws.values.first!.count) }
        var copied = copy
        var fromCopy: [(String, [UInt8])] = []
        copied.drain { fromCopy.append(($0.id, $0.raw)) }
        #expect(fromCopy.map(\.0) == left && left.count == 50)
        #expect(fromCopy.allSatisfy { raws[$0.0] == $0.1 })
        withExtendedLifetime(litter) {}
    }

    /// `everyNth`: one event in so many is out of order (the others come in
    /// order, so that the buffer's sorted deque and its heap both hold keys).
    @Test(arguments: [1, 40])
    func reorderBufferReleasesInTheTotalOrderAcrossChunks(everyNth: Int) {
        var rng = SeededRandom(seed: 5)
        var buffer = ReorderBuffer()
        var offered: [(Instant, String)] = []
        var released: [String] = []
        // 10,000 events (three chunks of slots), each up to 9 seconds out of
        // order: about 170 share each second, and every id starts with the
        // same 8 bytes, so ties go to the full id.
        for n in 0..<10_000 {
            let second = n / 200 + (n % everyNth == 0 ? rng.below(10) : 9)
            let id = "PAY-0000-\(rng.below(3))-\(n)"
            let mm = second / 60, ss = second % 60
            let e = EngineTests.payment(id, "2024-03-01T10:\(mm < 10 ? "0" : "")\(mm):\(ss < 10 ? "0" : "")\(ss)+08:00")
            offered.append((e.time, e.id))
            buffer.insert(e)
            if n % 1_000 == 999 {
                // Release what is 15 seconds older than the newest: nothing later can precede it.
                buffer.release(before: buffer.maxTime - 15_000_000) { e in released.append(e.id) }
            }
        }
        #expect(!released.isEmpty)
        var copy = buffer
        buffer.drain { e in released.append(e.id) }
        let expected = offered.sorted { a, b in a.0 != b.0 ? a.0 < b.0 : EventOrder.idPrecedes(a.1, b.1) }
        #expect(released.count == expected.count)
        let wrong = zip(released, expected).enumerated().first { $0.element.0 != $0.element.1.1 }
        #expect(wrong == nil, "first out of order: \(String(describing: wrong))")
        // The copy taken before the drain still holds its events, in the same order.
        #expect(buffer.isEmpty)
        var fromCopy: [String] = []
        copy.drain { e in fromCopy.append(e.id) }
        #expect(!fromCopy.isEmpty)
        #expect(fromCopy.elementsEqual(expected.map(\.1).suffix(fromCopy.count)), "the copy releases the same tail in order")
    }
}

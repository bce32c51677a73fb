import EventModel
import FuzzSupport
import Testing

@testable import DetectionRuntime

/// The engine's queue of expiry heaps by due time: each id at most once, at
/// the earliest time it was scheduled for since it was last taken.
@Suite struct DueQueueTests {
    @Test func popsInDueOrderAndKeepsTheEarliestTimePerID() {
        var rng = SeededRandom(seed: 21)
        let n = 300
        let queue = DueQueue(capacity: n)
        var model: [Int: Instant] = [:]
        var popped = 0
        for step in 0..<20_000 {
            if rng.below(3) > 0 {
                let id = rng.below(n), t = Instant(rng.below(1_000_000))
                queue.schedule(id, t)
                model[id] = min(model[id] ?? .max, t)
            } else if let t = queue.minTime {
                let earliest = model.values.min()!
                #expect(t == earliest, "step \(step)")
                let id = queue.popMin()
                #expect(model[id] == earliest, "the id popped is one of the earliest")
                #expect(queue.due(id) == .max)
                model[id] = nil
                popped += 1
            } else {
                #expect(model.isEmpty)
            }
            #expect(queue.count == model.count)
        }
        #expect(popped > 1_000)
        queue.removeAll()
        #expect(queue.count == 0 && queue.minTime == nil)
        #expect((0..<n).allSatisfy { queue.due($0) == .max })
        queue.schedule(7, 5)
        #expect(queue.popMin() == 7 && queue.minTime == nil)
    }
}

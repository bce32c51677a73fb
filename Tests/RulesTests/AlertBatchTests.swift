@testable import Pipeline
import Testing

/// A replay's alerts go to the sink in batches that its connections write
/// side by side: at most the batch size each, as equal as they can be,
/// in whole rounds of the connections.
@Suite struct AlertBatchTests {
    @Test func batchesAreEqualAndFillWholeRounds() {
        #expect(Replay.balancedBatch(17_860, max: 5_000, lanes: 2) == 4_465)
        #expect(Replay.balancedBatch(0, max: 5_000, lanes: 2) == 5_000)
        for total in [1, 2, 3, 99, 4_999, 5_000, 5_001, 10_000, 10_001, 17_860, 123_457] {
            for lanes in 1...4 {
                let size = Replay.balancedBatch(total, max: 5_000, lanes: lanes)
                let batches = (total + size - 1) / size
                #expect(size >= 1 && size <= 5_000, "\(total) over \(lanes)")
                // No more rounds than the largest batches would take, and the last batch short by less than one per batch.
                let rounds = (total + lanes * 5_000 - 1) / (lanes * 5_000)
                #expect((batches + lanes - 1) / lanes <= rounds, "\(total) over \(lanes)")
                #expect(size * batches - total < batches, "\(total) over \(lanes)")
            }
        }
    }
}

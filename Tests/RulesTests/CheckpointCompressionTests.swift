@testable import Pipeline
import Testing

/// Checkpoints are compressed with zstd; those written with zlib before still load.
@Suite struct CheckpointCompressionTests {
    static func sample(_ n: Int) -> [UInt8] {
        // Repetitive like engine state (fixed-size records), with some noise.
        (0..<n).map { i in UInt8(truncatingIfNeeded: i % 97 == 0 ? i &* 2_654_435_761 >> 11 : i % 13) }
    }

    @Test(arguments: [0, 1, 100, 1 << 20])
    func zstdCheckpointsComeBackWhole(size: Int) throws {
        let data = Self.sample(size)
        let packed = CheckpointCompression.compress(data)
        #expect(packed.starts(with: CheckpointCompression.marker))
        if size >= 100 { #expect(packed.count < data.count / 2) }
        #expect(try CheckpointCompression.decompress(packed) == data)
    }

    @Test func zlibCheckpointsOfEarlierVersionsStillLoad() throws {
        for size in [0, 5, 300_000] {
            let data = Self.sample(size)
            let old = CheckpointCompression.zlibCompress(data)
            #expect(!old.starts(with: CheckpointCompression.marker))
            #expect(try CheckpointCompression.decompress(old) == data)
        }
    }

    @Test func corruptCheckpointsAreRefused() {
        let packed = CheckpointCompression.compress(Self.sample(10_000))
        var cut = packed
        cut.removeLast(packed.count / 2)
        // Any damaged byte is refused: the frame carries a checksum of its content.
        var flipped = packed
        flipped[packed.count / 2] ^= 0x01
        let oldCut = Array(CheckpointCompression.zlibCompress(Self.sample(10_000)).prefix(40))
        for bad in [cut, flipped, Array(packed.prefix(7)), oldCut, CheckpointCompression.marker] {
            #expect(throws: CheckpointCompression.Failed.self) { try CheckpointCompression.decompress(bad) }
        }
    }
}

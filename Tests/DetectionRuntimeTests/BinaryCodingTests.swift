import DetectionRuntime
import Testing

/// Snapshots keep their byte layout whichever way a part is written.
@Suite struct BinaryCodingTests {
    @Test func aBlobWrittenInPlaceIsTheBlobOfItsBytes() throws {
        let inner: [UInt8] = Array(0...255) + Array("事件 id".utf8)
        var direct = BinaryWriter()
        direct.u8(7)
        direct.blob(inner)
        direct.string("村 330521")
        direct.blob([])

        var inPlace = BinaryWriter()
        inPlace.u8(7)
        inPlace.blob { w in
            for b in inner { w.u8(b) }
        }
        inPlace.blob(Array("村 330521".utf8))
        inPlace.blob { _ in }
        #expect(inPlace.bytes == direct.bytes)

        var r = BinaryReader(inPlace.bytes)
        #expect(try r.u8() == 7)
        #expect(try r.blob() == inner)
        #expect(try r.string() == "村 330521")
        #expect(try r.blob() == [])
        #expect(r.atEnd)
    }

    @Test func itemsCountedAsTheyAreWrittenLookCountedFirst() throws {
        var first = BinaryWriter()
        first.int(3)
        for v in [5, 6, 7] as [Int64] { first.i64(v) }
        first.int(0)
        var counted = BinaryWriter()
        counted.counted { w in
            for v in [5, 6, 7] as [Int64] { w.i64(v) }
            return 3
        }
        counted.counted { _ in 0 }
        #expect(counted.bytes == first.bytes)
    }
}

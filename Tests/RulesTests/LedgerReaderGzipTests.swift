import CZlib
import Foundation
import LedgerFiles
import Pipeline
import Testing

/// gzip ledgers as tools write them: several members back to back (`cat
/// a.gz b.gz`, `gzip >>`, pigz), zero padding after the last, and files
/// cut short or followed by garbage (which must fail loudly, not read short).
@Suite struct LedgerReaderGzipTests {
    /// One gzip member holding `text` (zlib's deflate with a gzip wrapper).
    static func gzip(_ text: String, level: Int32 = 6) throws -> Data {
        var input = Array(text.utf8)
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CocoaError(.featureUnsupported)
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        let status: Int32 = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw CocoaError(.featureUnsupported) }
        return Data(out.prefix(Int(stream.total_out)))
    }

    static func file(_ data: Data) throws -> String {
        let path = NSTemporaryDirectory() + "qly-gz-\(UUID().uuidString).jsonl.gz"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func lines(_ path: String) throws -> [String] {
        var out: [String] = []
        try LedgerReader(path: path).forEachLine { bytes, _ in
            out.append(String(decoding: bytes, as: UTF8.self))
            return true
        }
        return out
    }

    @Test func everyMemberOfAMultiMemberFileIsRead() throws {
        let path = try Self.file(try Self.gzip("a1\na2\n") + Self.gzip("b1\n") + Self.gzip("") + Self.gzip("c1\nc2\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.lines(path) == ["a1", "a2", "b1", "c1", "c2"])
    }

    @Test func membersAcrossReadChunksAndManySmallOnes() throws {
        // A member larger than the 1 MiB read chunk (hex of a random sequence: poorly
        // compressible), then 3,000 one-line members.
        var rng = SystemRandomNumberGenerator()
        let big = (0..<40_000).map { i in "\(i) " + String(rng.next(), radix: 16) + String(rng.next(), radix: 16) + String(rng.next(), radix: 16) }
        var data = try Self.gzip(big.joined(separator: "\n") + "\n")
        #expect(data.count > 1 << 20)
        let small = (0..<3_000).map { "s\($0)" }
        for s in small { data += try Self.gzip(s + "\n") }
        let path = try Self.file(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.lines(path) == big + small)
    }

    @Test func zeroPaddingAfterTheLastMemberIsIgnored() throws {
        let path = try Self.file(try Self.gzip("x\n") + Self.gzip("y\n") + Data(repeating: 0, count: 512))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.lines(path) == ["x", "y"])
    }

    @Test func aFileCutShortOrFollowedByGarbageFails() throws {
        let whole = try Self.gzip((0..<2_000).map { "line \($0)" }.joined(separator: "\n") + "\n")
        let cut = try Self.file(whole.prefix(whole.count / 2))
        let garbage = try Self.file(whole + Data("not gzip at all\n".utf8))
        let afterPadding = try Self.file(whole + Data(repeating: 0, count: 8) + Self.gzip("z\n"))
        defer { for p in [cut, garbage, afterPadding] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(throws: LedgerReader.ReadError.self) { _ = try Self.lines(cut) }
        #expect(throws: LedgerReader.ReadError.self) { _ = try Self.lines(garbage) }
        #expect(throws: LedgerReader.ReadError.self) { _ = try Self.lines(afterPadding) }
    }

    @Test func membersWhoseInflatedSizeEndsAtTheBufferEdge() throws {
        // The reader inflates into ≈ 1 MiB + 64 KiB of room: members whose text ends just
        // before, at and after that edge, then one more member.
        let edge = (1 << 20) + (64 << 10)
        let line = String(repeating: "q", count: 63)
        for total in stride(from: edge - 256, through: edge + 256, by: 64) {
            let lines = Array(repeating: line, count: total / 64)
            let path = try Self.file(try Self.gzip(lines.joined(separator: "\n") + "\n") + Self.gzip("end\n"))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let read = try Self.lines(path)
            #expect(read.count == lines.count + 1 && read.last == "end", "\(total) bytes")
        }
    }

    @Test func aCorruptMemberNamesWhatIsWrong() throws {
        var data = try Self.gzip((0..<500).map { "line \($0)" }.joined(separator: "\n") + "\n")
        data[data.count - 6] ^= 0xFF // in the trailer's CRC-32
        let path = try Self.file(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { _ = try Self.lines(path) } throws: { error in
            "\(error)".contains("corrupt gzip data (CRC or length check failed)")
        }
    }

    @Test func zeroPaddingSplitAcrossTwoReadsIsPaddingToo() throws {
        // The reader reads 64 KiB first: members stored without compression (level 0) whose
        // last byte lies 1 to 10 bytes before that boundary, so that the padding after
        // them begins in one read and goes on in the next.
        for size in 65_526...65_535 {
            var text = ""
            var member = Data()
            for n in 65_400...65_540 {
                text = String(repeating: "x", count: n - 1) + "\n"
                member = try Self.gzip(text, level: 0)
                if member.count == size { break }
            }
            try #require(member.count == size)
            let path = try Self.file(member + Data(repeating: 0, count: 512))
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try Self.lines(path).map(\.count) == [text.count - 1], "member of \(size) bytes")
        }
    }

    @Test func aMemberWithEveryOptionalHeaderFieldReads() throws {
        // gzip's optional header fields (RFC 1952): extra field, file name, a long comment
        // and the header's own CRC-16, then the deflate data and trailer of a plain member.
        let plain = try Self.gzip("a1\na2\n")
        var header = Array(plain.prefix(10))
        header[3] = 0x04 | 0x08 | 0x10 | 0x02 // FEXTRA, FNAME, FCOMMENT, FHCRC
        header += [6, 0, UInt8(ascii: "Q"), UInt8(ascii: "L"), 2, 0, 1, 2]
        header += Array("ledger.jsonl".utf8) + [0]
        header += Array(repeating: UInt8(ascii: "c"), count: 1_000) + [0]
        let crc = header.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        header += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF)]
        let path = try Self.file(Data(header) + plain.dropFirst(10) + Self.gzip("b1\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.lines(path) == ["a1", "a2", "b1"])
    }
}

import Foundation
import FuzzSupport
import LedgerFiles
import Testing

/// Plain-text ledgers read in chunks: lines across chunk boundaries, lines
/// longer than a chunk, CRLF endings, a last line without a newline, and a
/// pipe that hands the bytes over a few at a time. Each line's number and
/// its offset in the file (which evidence is read back from) must be exact.
@Suite struct LedgerReaderTests {
    /// Lines of random lengths (a few over 1 MiB), some ending in CRLF, the last without a newline.
    static func ledger(seed: UInt64) -> (bytes: [UInt8], lines: [(offset: Int, text: [UInt8])]) {
        var rng = SeededRandom(seed: seed)
        var bytes: [UInt8] = []
        var lines: [(offset: Int, text: [UInt8])] = []
        for i in 0..<400 {
            let length = i % 97 == 5 ? (1 << 20) + rng.below(70_000) : rng.below(i % 7 == 0 ? 20_000 : 300)
            let text = (0..<length).map { _ in UInt8(0x21 + rng.below(90)) }
            lines.append((bytes.count, text))
            bytes += text
            if i < 399 { bytes += rng.below(4) == 0 ? [0x0D, 0x0A] : [0x0A] }
        }
        return (bytes, lines)
    }

    static func read(_ path: String) throws -> [(number: Int, offset: Int64, text: [UInt8])] {
        let reader = try LedgerReader(path: path)
        var out: [(number: Int, offset: Int64, text: [UInt8])] = []
        try reader.forEachLine { line, n in
            out.append((n, reader.lineOffset, Array(line)))
            return true
        }
        return out
    }

    @Test func linesAndTheirOffsetsAcrossChunksAndLongLines() throws {
        let (bytes, lines) = Self.ledger(seed: 9)
        let path = NSTemporaryDirectory() + "qly-plain-\(UUID().uuidString).jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let got = try Self.read(path)
        #expect(got.count == lines.count)
        for (i, g) in got.enumerated() where i < lines.count {
            #expect(g.number == i + 1)
            #expect(g.offset == Int64(lines[i].offset), "line \(i + 1)")
            #expect(g.text == lines[i].text, "line \(i + 1): \(g.text.count) bytes, expected \(lines[i].text.count)")
        }
    }

    @Test func aPipeThatHandsOverAFewBytesAtATimeReadsTheSameLines() throws {
        let (bytes, lines) = Self.ledger(seed: 10)
        let fifo = NSTemporaryDirectory() + "qly-fifo-\(UUID().uuidString)"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            var at = 0
            var rng = SeededRandom(seed: 11)
            while at < bytes.count {
                let n = min(bytes.count - at, 1 + rng.below(rng.below(10) == 0 ? 300_000 : 5_000))
                let w = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress! + at, n) }
                if w <= 0 { break }
                at += w
            }
            close(fd)
        }
        writer.start()
        let got = try Self.read(fifo)
        #expect(got.map(\.text) == lines.map(\.text))
        #expect(got.map(\.number) == Array(1...lines.count))
    }
}

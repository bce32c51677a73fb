import CIsal
import Foundation

/// Reads a JSON Lines ledger, plain or gzip-compressed (detected by its
/// magic bytes), in large chunks, and hands out complete lines with their
/// 1-based line numbers. Memory stays bounded by the chunk size and the
/// longest line.
///
/// Bytes are read with `read(2)` (and inflated) straight into one buffer
/// the lines are handed out from: reading through `FileHandle` made a
/// `Data` per chunk and copied it into the buffer (≈ 4 % of a replay's
/// reading thread, 2026-11-28).
///
/// gzip is inflated by Intel ISA-L (`isal_inflate`, Debian `libisal-dev`):
/// 0.46 s for the 355 MB of the 1 M-event ledger where zlib took 1.9 s,
/// which made a gzip replay a second slower than a plain one
/// (docs/performance.md).
public final class LedgerReader {
    public let path: String
    private let handle: FileHandle
    /// The inflate state (large, and it must not move between calls): heap-allocated.
    private var gz: UnsafeMutablePointer<inflate_state>?
    /// The last inflate call filled the output room: it may hold more
    /// output (or a member's end) without needing more input.
    private var outputFull = false
    private var inBuf: [UInt8] = []
    /// `inBuf` holds input not yet handed to the inflater (a new chunk, or
    /// what followed the end of a gzip member).
    private var inputPending = false
    /// Where in `inBuf` the input not yet handed to the inflater starts.
    private var inStart = 0
    /// Inside a gzip member (its end not yet seen).
    private var memberOpen = false
    /// Zero bytes followed the last member.
    private var zeroPadding = false
    /// Bytes read and not yet handed out: `buf[pos..<end]`, room after `end`.
    private var buf: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var pos = 0
    private var end = 0
    private var eof = false
    public private(set) var lineNumber = 0
    /// Compressed bytes read from disk so far.
    public private(set) var bytesRead: Int64 = 0
    public let fileSize: Int64
    /// For a plain (uncompressed) file, the byte offset in the file of the
    /// line `forEachLine` is handing out; -1 for a compressed one.
    public private(set) var lineOffset: Int64 = -1
    /// The file offset of `buf[0]` (plain files).
    private var bufOffset: Int64 = 0
    public var isCompressed: Bool { gz != nil }
    /// The bytes `init` read to tell gzip from plain text, until `refill` takes them.
    private var firstChunk: Data?
    let chunk = 1 << 20

    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    public init(path: String) throws {
        self.path = path
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw ReadError(path: path, message: "cannot open the file (does it exist, and may you read it?)")
        }
        handle = h
        capacity = chunk + (64 << 10)
        buf = .allocate(capacity: capacity)
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        fileSize = (attrs?[.size] as? NSNumber)?.int64Value ?? 0
        // The first chunk tells gzip from plain text; it is kept, not read again,
        // so that a pipe (`<(zcat …)`, /dev/stdin) reads like a file.
        let head = try h.read(upToCount: 64 << 10) ?? Data()
        firstChunk = head
        if head.count >= 2 && head[head.startIndex] == 0x1F && head[head.startIndex + 1] == 0x8B {
            let s = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
            Self.startMember(s)
            gz = s
        }
    }

    deinit {
        gz?.deallocate()
        buf.deallocate()
        try? handle.close()
    }

    /// Calls `body` with each line (without its newline) and its number,
    /// until the end of the file or until `body` returns false.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        while true {
            // find a newline in buf[pos..<end]
            if pos < end, let p = memchr(buf + pos, 0x0A, end - pos) {
                let nl = buf.distance(to: p.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                if gz == nil { lineOffset = bufOffset + Int64(pos) }
                var last = nl
                if last > pos && buf[last - 1] == 0x0D { last -= 1 }
                let keep = try body(UnsafeBufferPointer(start: buf + pos, count: last - pos), lineNumber)
                pos = nl + 1
                if !keep { return }
                continue
            }
            if eof {
                if pos < end {
                    lineNumber += 1
                    if gz == nil { lineOffset = bufOffset + Int64(pos) }
                    _ = try body(UnsafeBufferPointer(start: buf + pos, count: end - pos), lineNumber)
                    pos = end
                }
                return
            }
            // compact and refill
            if pos > 0 {
                if pos < end { memmove(buf, buf + pos, end - pos) }
                end -= pos
                bufOffset += Int64(pos)
                pos = 0
            }
            try refill()
        }
    }

    /// Room for at least `n` more bytes after `end` (the buffer grows for a line longer than it).
    private func makeRoom(_ n: Int) {
        guard capacity - end < n else { return }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, end + n))
        grown.update(from: buf, count: end)
        buf.deallocate()
        buf = grown
        capacity = max(capacity * 2, end + n)
    }

    /// Reads up to `count` bytes of the file into `into` (the first chunk
    /// first); 0 at its end.
    private func readInput(into p: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        if let f = firstChunk {
            let n = Swift.min(count, f.count)
            f.copyBytes(to: p, count: n)
            firstChunk = n < f.count ? f.subdata(in: f.startIndex + n..<f.endIndex) : nil
            bytesRead += Int64(n)
            return n
        }
        while true {
            let n = read(handle.fileDescriptor, p, count)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            throw ReadError(path: path, message: "cannot read after line \(lineNumber): \(String(cString: strerror(errno)))")
        }
    }

    /// The next chunk of the file's bytes (the first chunk first); empty at its end.
    private func nextInput() throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: chunk) { b, count in
            count = try readInput(into: b.baseAddress!, count: chunk)
        }
    }

    private func refill() throws {
        if gz == nil {
            makeRoom(chunk)
            let n = try readInput(into: buf + end, count: capacity - end)
            if n == 0 { eof = true; return }
            end += n
            return
        }
        // gzip: inflate until some output is produced or input ends
        let g = gz!
        var produced = 0
        while produced == 0 {
            // Input is read only when the inflater has none left and did not stop
            // for want of room (it may hold output, or the member's end, still).
            if g.pointee.avail_in == 0 && !inputPending && !outputFull {
                let d = try nextInput()
                if d.isEmpty {
                    if memberOpen { throw ReadError(path: path, message: "gzip data cut short after line \(lineNumber)") }
                    eof = true
                    return
                }
                inBuf = d
                inStart = 0
                inputPending = true
            }
            if inputPending && (zeroPadding || !memberOpen && inBuf[inStart] == 0) {
                // Zero padding after the last member (some tools add it), to the end of
                // the file: a member starts with 0x1F. Judged by that first byte, so that
                // padding split across two reads is padding too (the inflater waits for
                // a whole header).
                guard inBuf[inStart...].allSatisfy({ $0 == 0 }) else { throw afterPadding() }
                zeroPadding = true
                inputPending = false
                continue
            }
            // Inflated straight into the buffer's room (no zero fill: growing an
            // array by a zeroed 4 MiB at each call cost a fill per gzip member).
            makeRoom(chunk)
            let room = capacity - end
            var inputBefore: UInt32 = 0
            let status: Int32 = inBuf.withUnsafeMutableBufferPointer { inP in
                if inputPending {
                    g.pointee.next_in = inP.baseAddress! + inStart
                    g.pointee.avail_in = UInt32(inP.count - inStart)
                    inputPending = false
                }
                inputBefore = g.pointee.avail_in
                g.pointee.next_out = buf + end
                g.pointee.avail_out = UInt32(room)
                return isal_inflate(g)
            }
            let got = room - Int(g.pointee.avail_out)
            end += got
            produced += got
            outputFull = g.pointee.avail_out == 0
            if status == ISAL_DECOMP_OK && g.pointee.block_state == ISAL_BLOCK_FINISH {
                // A gzip file may hold several members (`cat a.gz b.gz`,
                // `gzip >>`): go on with the next one, from the input left
                // after this one (it was dropped once, and the file read
                // as cut short without a word).
                memberOpen = false
                outputFull = false
                inStart = inBuf.count - Int(g.pointee.avail_in)
                Self.startMember(g)
                inputPending = inStart < inBuf.count
                continue
            }
            if status != ISAL_DECOMP_OK {
                throw ReadError(path: path, message: "corrupt gzip data (\(Self.describe(status))) after line \(lineNumber)")
            }
            memberOpen = true
            if got == 0 && inputBefore > 0 && g.pointee.avail_in == inputBefore {
                // Neither input taken nor output made: calling again would loop for ever.
                throw ReadError(path: path, message: "corrupt gzip data (no progress) after line \(lineNumber)")
            }
        }
    }

    /// Makes `g` ready for a gzip member: header, deflate data and trailer (its CRC checked).
    private static func startMember(_ g: UnsafeMutablePointer<inflate_state>) {
        isal_inflate_init(g)
        g.pointee.crc_flag = UInt32(ISAL_GZIP)
        g.pointee.avail_in = 0
    }

    /// What an `isal_inflate` error means.
    private static func describe(_ status: Int32) -> String {
        switch status {
        case ISAL_INVALID_BLOCK: return "invalid deflate block"
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance"
        case ISAL_INVALID_WRAPPER: return "not a gzip member header"
        case ISAL_UNSUPPORTED_METHOD: return "compression method is not deflate"
        case ISAL_INCORRECT_CHECKSUM: return "CRC or length check failed"
        case ISAL_NEED_DICT: return "needs a preset dictionary"
        default: return "isal_inflate \(status)"
        }
    }

    private func afterPadding() -> ReadError {
        ReadError(path: path, message: "data after the zero padding that ends the gzip data, after line \(lineNumber)")
    }
}

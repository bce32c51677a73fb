import CZlib
import Foundation

/// Reads a JSON Lines ledger, plain or gzip-compressed (detected by its
/// magic bytes), in large chunks, and hands out complete lines with their
/// 1-based line numbers. Memory stays bounded by the chunk size and the
/// longest line.
public final class LedgerReader {
    public let path: String
    private let handle: FileHandle
    /// zlib keeps a pointer back to its stream, so the stream must not move: heap-allocated.
    private var gz: UnsafeMutablePointer<z_stream>?
    private var gzDone = false
    private var inBuf: [UInt8] = []
    /// `inBuf` holds input not yet handed to zlib (a new chunk, or what
    /// followed the end of a gzip member).
    private var inputPending = false
    /// Where in `inBuf` the input not yet handed to zlib starts.
    private var inStart = 0
    private var outBuf: [UInt8] = []
    /// Inside a gzip member (its end not yet seen).
    private var memberOpen = false
    /// Zero bytes followed the last member.
    private var zeroPadding = false
    private var buf: [UInt8] = []
    private var pos = 0
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
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        fileSize = (attrs?[.size] as? NSNumber)?.int64Value ?? 0
        // The first chunk tells gzip from plain text; it is kept, not read again,
        // so that a pipe (`<(zcat …)`, /dev/stdin) reads like a file.
        let head = try h.read(upToCount: chunk) ?? Data()
        firstChunk = head
        if head.count >= 2 && head[head.startIndex] == 0x1F && head[head.startIndex + 1] == 0x8B {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            let rc = inflateInit2_(s, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { s.deallocate(); throw ReadError(path: path, message: "zlib init failed (\(rc))") }
            gz = s
        }
    }

    deinit {
        if let g = gz { inflateEnd(g); g.deallocate() }
        try? handle.close()
    }

    /// Calls `body` with each line (without its newline) and its number,
    /// until the end of the file or until `body` returns false.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        while true {
            // find a newline in buf[pos...]
            let found: Int? = buf.withUnsafeBufferPointer { b in
                guard pos < b.count else { return nil }
                if let p = memchr(b.baseAddress! + pos, 0x0A, b.count - pos) {
                    return b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
                }
                return nil
            }
            if let nl = found {
                lineNumber += 1
                if gz == nil { lineOffset = bufOffset + Int64(pos) }
                let keep = try buf.withUnsafeBufferPointer { b in
                    var end = nl
                    if end > pos && b[end - 1] == 0x0D { end -= 1 }
                    return try body(UnsafeBufferPointer(rebasing: b[pos..<end]), lineNumber)
                }
                pos = nl + 1
                if !keep { return }
                continue
            }
            if eof {
                if pos < buf.count {
                    lineNumber += 1
                    if gz == nil { lineOffset = bufOffset + Int64(pos) }
                    _ = try buf.withUnsafeBufferPointer { b in try body(UnsafeBufferPointer(rebasing: b[pos..<b.count]), lineNumber) }
                    pos = buf.count
                }
                return
            }
            // compact and refill
            if pos > 0 {
                buf.removeSubrange(0..<pos)
                bufOffset += Int64(pos)
                pos = 0
            }
            try refill()
        }
    }

    /// The next chunk of the file's bytes (the first chunk first); empty at its end.
    private func nextInput() throws -> Data {
        let d: Data
        if let f = firstChunk {
            firstChunk = nil
            d = f
        } else {
            d = try handle.read(upToCount: chunk) ?? Data()
        }
        bytesRead += Int64(d.count)
        return d
    }

    private func refill() throws {
        if gz == nil {
            let d = try nextInput()
            if d.isEmpty { eof = true; return }
            buf.append(contentsOf: d)
            return
        }
        // gzip: inflate until some output is produced or input ends
        let g = gz!
        var produced = 0
        while produced == 0 {
            if g.pointee.avail_in == 0 && !inputPending {
                if gzDone { eof = true; return }
                let d = try nextInput()
                if d.isEmpty {
                    if memberOpen { throw ReadError(path: path, message: "gzip data cut short after line \(lineNumber)") }
                    eof = true
                    return
                }
                if zeroPadding {
                    guard d.allSatisfy({ $0 == 0 }) else { throw afterPadding() }
                    continue
                }
                inBuf = [UInt8](d)
                inStart = 0
                inputPending = true
            }
            // Inflated into a buffer of its own, then appended: growing `buf`
            // by a zeroed 4 MiB at each call cost a 4 MiB fill per gzip member.
            if outBuf.isEmpty { outBuf = [UInt8](repeating: 0, count: chunk * 4) }
            let status: Int32 = inBuf.withUnsafeMutableBufferPointer { inP in
                outBuf.withUnsafeMutableBufferPointer { outP in
                    if inputPending {
                        g.pointee.next_in = inP.baseAddress! + inStart
                        g.pointee.avail_in = UInt32(inP.count - inStart)
                        inputPending = false
                    }
                    g.pointee.next_out = outP.baseAddress!
                    g.pointee.avail_out = UInt32(outP.count)
                    return inflate(g, Z_NO_FLUSH)
                }
            }
            let got = outBuf.count - Int(g.pointee.avail_out)
            if got > 0 { outBuf.withUnsafeBufferPointer { buf.append(contentsOf: $0[0..<got]) } }
            produced += got
            if status == Z_STREAM_END {
                // A gzip file may hold several members (`cat a.gz b.gz`,
                // `gzip >>`): go on with the next one, from the input left
                // after this one (it was dropped once, and the file read
                // as cut short without a word).
                inflateReset(g)
                memberOpen = false
                inStart = inBuf.count - Int(g.pointee.avail_in)
                g.pointee.avail_in = 0
                inputPending = inStart < inBuf.count
                continue
            }
            if status == Z_DATA_ERROR && !memberOpen && got == 0 && inBuf[inStart...].allSatisfy({ $0 == 0 }) {
                // Zero padding after the last member (some tools add it): no member starts here.
                zeroPadding = true
                g.pointee.avail_in = 0
                inflateReset(g)
                continue
            }
            if status != Z_OK && status != Z_BUF_ERROR {
                throw ReadError(path: path, message: "corrupt gzip data (zlib \(status)) after line \(lineNumber)")
            }
            memberOpen = true
            if status == Z_BUF_ERROR && g.pointee.avail_in > 0 && got == 0 {
                throw ReadError(path: path, message: "corrupt gzip data after line \(lineNumber)")
            }
        }
    }

    private func afterPadding() -> ReadError {
        ReadError(path: path, message: "data after the zero padding that ends the gzip data, after line \(lineNumber)")
    }
}

import DetectionRuntime
import EventModel
import Foundation

/// The ids and raw JSON of the events a replay's rule state remembers,
/// appended to a temporary file instead of held in memory: rule state then
/// keeps a 64-bit reference per remembered event, and the bytes are read
/// back only when an alert names the event as evidence.
///
/// The file is created in `directory` (default: the system temporary
/// folder) and unlinked at once, so it disappears with the process
/// whatever happens. Records are `[id length: 2 bytes][id][raw]`; a
/// reference is the record's offset (40 bits) and length (24 bits). Writes
/// go through a buffer (4 MiB by default); a record is read from the buffer until it is
/// written. If the file cannot be created or a write fails (disk full),
/// nothing is lost: from then on the records stay in memory, and `problem`
/// says why.
///
/// With the replay's `ledgers`, an event read from a plain-text ledger is
/// not copied at all: its reference is its position there (bit 62 set) and
/// its bytes are read back from the ledger.
final class EvidenceSpillFile: EvidenceStore {
    let ledgers: LedgerPositions?
    static let ledgerTag: UInt64 = 1 << 62
    private(set) var fd: Int32 = -1
    /// Bytes already in the file (records before this offset are read from it).
    private var written: Int64 = 0
    /// The records after `written`, not yet in the file.
    private var buffer: [UInt8] = []
    private let flushAt: Int
    /// Why the records stay in memory, if they do.
    private(set) var problem: String?
    /// The first record that could not be read back (the disk failed under
    /// the process): what was built from this file is then incomplete, and
    /// the pass using it fails with this error (`checkReads()`).
    private(set) var readFailure: SpillReadError?

    /// A record of a spill file that could not be read back.
    struct SpillReadError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Throws when a record could not be read back.
    func checkReads() throws(SpillReadError) {
        if let readFailure { throw readFailure }
    }

    /// Throws the first read failure of `files`, if any.
    static func checkReads(_ files: [EvidenceSpillFile]) throws(SpillReadError) {
        for f in files { try f.checkReads() }
    }

    init(directory: String? = nil, bufferBytes: Int = 4 << 20, ledgers: LedgerPositions? = nil) {
        self.ledgers = ledgers
        flushAt = max(1, bufferBytes)
        let dir = directory ?? NSTemporaryDirectory()
        var template = Array((URL(fileURLWithPath: dir).appendingPathComponent("qianliyan-evidence-XXXXXX").path).utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            problem = "cannot create a spill file in \(dir): \(String(cString: strerror(errno)))"
        } else {
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        buffer.reserveCapacity(min(flushAt, 64 << 20) + (64 << 10))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Bytes the records take (in the file and in memory).
    var size: Int64 { written + Int64(buffer.count) }

    func append(id: String, raw: [UInt8]) -> UInt64 {
        var id = id
        return id.withUTF8 { append(idBytes: $0, raw: raw) }
    }

    private func append(idBytes id: UnsafeBufferPointer<UInt8>, raw: [UInt8]) -> UInt64 {
        let idBytes = id.count
        let length = 2 + idBytes + raw.count
        guard idBytes <= Int(UInt16.max), length < 1 << 24 else { return 0 }
        let offset = size
        guard offset < 1 << 38 else { return 0 }  // references stay below 2^62 (`ledgerTag`)
        buffer.append(UInt8(idBytes >> 8))
        buffer.append(UInt8(idBytes & 0xFF))
        buffer.append(contentsOf: id)
        buffer.append(contentsOf: raw)
        if buffer.count >= flushAt { flush() }
        return UInt64(offset) << 24 | UInt64(length)
    }

    func keep(_ e: borrowing Event) -> UInt64 {
        if e.origin != 0, ledgers != nil { return Self.ledgerTag | e.origin }
        return e.withIDBytes { append(idBytes: $0, raw: e.raw) }
    }

    func read(_ ref: UInt64) -> (id: String, raw: [UInt8]) {
        if ref & Self.ledgerTag != 0, let ledgers { return ledgers.read(ref & ~Self.ledgerTag) }
        let offset = Int64(ref >> 24), length = Int(ref & 0xFF_FFFF)
        var record = [UInt8](repeating: 0, count: length)
        if offset >= written {
            let start = Int(offset - written)
            record.withUnsafeMutableBufferPointer { dst in
                buffer.withUnsafeBufferPointer { src in
                    dst.baseAddress!.update(from: src.baseAddress! + start, count: length)
                }
            }
        } else {
            var done = 0
            while done < length {
                let n = record.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    // Bytes written to this file cannot vanish while it is open: a
                    // failing read means the disk failed under the process. The
                    // record is missing; the pass fails at its end (`checkReads`).
                    let why = n < 0 ? String(cString: strerror(errno)) : "the file ended early"
                    if readFailure == nil {
                        readFailure = SpillReadError(message: "a temporary spill file could not be read back (\(length) bytes at \(offset): \(why)); the disk failed under the replay — run it again")
                    }
                    return ("", [])
                }
                done += n
            }
        }
        let idLength = Int(record[0]) << 8 | Int(record[1])
        let id = String(decoding: record[2..<(2 + idLength)], as: UTF8.self)
        return (id, Array(record[(2 + idLength)...]))
    }

    private func flush() {
        guard fd >= 0, problem == nil else { return }
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, buffer.count - done, off_t(written) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                problem = "writing the spill file failed (\(String(cString: strerror(errno)))); what it had not taken stays in memory"
                // What was written stays readable from the file; keep the rest here.
                written += Int64(done)
                buffer.removeFirst(done)
                return
            }
            done += n
        }
        written += Int64(done)
        buffer.removeAll(keepingCapacity: true)
    }
}

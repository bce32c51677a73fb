import EventModel
import Foundation
import LedgerFiles

/// The plain-text ledgers of one replay, as a place to read remembered
/// events back from: a replay's rule state remembers most events of a year
/// (approvals, attendance, quotes …), and copying each one's raw JSON to a
/// spill file — once per rule part — wrote as many bytes as the ledger
/// itself (353 MiB for the 1 M ledger). An event read from a plain file
/// instead carries its position (`Event.origin`), and `EvidenceSpillFile`
/// keeps only that; the bytes are read from the ledger again when an alert
/// names the event.
///
/// Positions count bytes across the ledgers in the order given (40 bits:
/// 1 TiB), with the line's length (22 bits: 4 MiB); lines past either limit,
/// and every line of a gzip ledger or of a pipe, carry no position and are
/// spilled as before. The ledgers must not change while the replay runs:
/// `checkUnchanged()` compares their sizes and modification times with
/// those seen when the replay began.
public final class LedgerPositions: @unchecked Sendable {
    struct File {
        var path: String
        /// Position of the file's first byte.
        var start: Int64
        var size: Int64
        var modified: Date?
        /// Only regular files can be read again (not pipes such as `<(zcat …)`).
        var readable: Bool
    }
    private let files: [File]
    // `descriptors` only under `lock`.
    private let lock = NSLock()
    private var descriptors: [Int32]
    /// Set when a read found bytes that are not the event remembered there.
    private var changed: LedgerReader.ReadError?

    static let lengthBits: UInt64 = 22
    static let positionLimit: Int64 = 1 << 40

    public init(ledgers: [String]) {
        var start: Int64 = 0
        var files: [File] = []
        for path in ledgers {
            let attrs = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attrs?[.size] as? NSNumber)?.int64Value ?? 0
            files.append(File(path: path, start: start, size: size, modified: attrs?[.modificationDate] as? Date,
                              readable: attrs?[.type] as? FileAttributeType == .typeRegular))
            start += size
        }
        self.files = files
        descriptors = Array(repeating: -1, count: files.count)
    }

    deinit { for fd in descriptors where fd >= 0 { close(fd) } }

    /// The origin of a line at `offset` of ledger `file`, `length` bytes long; 0 when out of range.
    func origin(file: Int, offset: Int64, length: Int) -> UInt64 {
        guard file < files.count, files[file].readable, length > 0, length < 1 << Int(Self.lengthBits) else { return 0 }
        let position = files[file].start + offset
        guard position >= 0, position < Self.positionLimit else { return 0 }
        return UInt64(position) << Self.lengthBits | UInt64(length)
    }

    /// The raw line at `origin` and its event id.
    func read(_ origin: UInt64) -> (id: String, raw: [UInt8]) {
        let position = Int64(origin >> Self.lengthBits)
        let length = Int(origin & (1 << Self.lengthBits - 1))
        // The last file starting at or before `position`.
        var lo = 0, hi = files.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if files[mid].start <= position { lo = mid } else { hi = mid }
        }
        var raw = [UInt8](repeating: 0, count: length)
        lock.lock()
        defer { lock.unlock() }
        if descriptors[lo] < 0 { descriptors[lo] = open(files[lo].path, O_RDONLY | O_CLOEXEC) }
        let fd = descriptors[lo]
        var done = 0
        while fd >= 0 && done < length {
            let n = raw.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(position - files[lo].start) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        // The id is all an alert needs besides the bytes: read that member
        // alone (decoding the whole event again was a third of reading
        // evidence back), without a scan where it leads the line. A line
        // that no longer has one means the ledger changed; `checkUnchanged`
        // catches the other changes by size and time.
        if done == length, let id = RawFields.eventID(of: raw), !id.isEmpty { return (id, raw) }
        if changed == nil {
            changed = LedgerReader.ReadError(path: files[lo].path, message: "a remembered event could not be read back at byte \(position - files[lo].start): the ledger changed during the replay (its alerts' evidence is read back from it); run the replay again")
        }
        return ("", raw)
    }

    /// Throws when a ledger changed (size or modification time) since the
    /// replay began, or an event could not be read back: its alerts' evidence
    /// may then be wrong, and the replay should be run again.
    public func checkUnchanged() throws {
        lock.lock()
        let problem = changed
        lock.unlock()
        if let problem { throw problem }
        for f in files where f.readable {
            let attrs = try? FileManager.default.attributesOfItem(atPath: f.path)
            let size = (attrs?[.size] as? NSNumber)?.int64Value ?? -1
            if size != f.size || (attrs?[.modificationDate] as? Date) != f.modified {
                throw LedgerReader.ReadError(path: f.path, message: "the ledger changed during the replay (its alerts' evidence is read back from it): run the replay again")
            }
        }
    }
}

import CRdKafka
import CZlib

/// Reads a JSON Lines ledger, plain or gzip-compressed (zlib's `gzread`
/// reads both), one line at a time without a length limit.
final class LedgerLineReader {
    private let file: gzFile
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// The path, for messages.
    let path: String
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(path: String, chunkSize: Int = 1 << 20) throws(KafkaError) {
        guard let file = gzopen(path, "rb") else {
            throw KafkaError(.fileSystem, message: "cannot open ledger file \(path)", operation: "gzopen", isRetriable: false)
        }
        gzbuffer(file, 1 << 17)
        self.file = file
        self.path = path
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { gzclose(file) }

    /// Calls `body` with the next line (without its `\n`); false at the end of the file.
    func nextLine(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) -> Bool {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                let lineStart = start
                start = newline + 1
                lineNumber += 1
                try withLine(lineStart..<newline, body)
                return true
            }
            if atEOF {
                guard start < end else { return false }
                let lineStart = start
                start = end
                lineNumber += 1
                try withLine(lineStart..<end, body)
                return true
            }
            try refill()
        }
    }

    private func withLine(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        var failure: KafkaError?
        buffer.withUnsafeBytes { bytes in
            do throws(KafkaError) {
                try body(UnsafeRawBufferPointer(rebasing: bytes[range]))
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func refill() throws(KafkaError) {
        // Keep the partial line, grow when a single line fills the buffer.
        if start > 0 {
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let room = buffer.count - end
        let read = buffer.withUnsafeMutableBytes { bytes in
            gzread(file, bytes.baseAddress! + end, UInt32(room))
        }
        if read < 0 {
            var errnum: Int32 = 0
            let message = gzerror(file, &errnum).map { String(cString: $0) } ?? "read error"
            throw KafkaError(.fileSystem, message: "\(path): \(message)", operation: "gzread", isRetriable: false)
        }
        if read == 0 { atEOF = true }
        end += Int(read)
    }
}

extension KafkaError.Code {
    /// A file or file-system error (`__FS`), e.g. an unreadable ledger file.
    public static let fileSystem = KafkaError.Code(RD_KAFKA_RESP_ERR__FS)
}

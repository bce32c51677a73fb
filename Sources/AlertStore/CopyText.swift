/// Encoding of values for PostgreSQL's text formats (COPY text rows, array
/// literals, bytea hex, LIKE patterns, timestamps). Pure functions.
enum CopyText {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    /// U+FFFD in UTF-8: replaces U+0000, which PostgreSQL text cannot hold.
    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends UTF-8 bytes escaped for a COPY text field.
    static func appendEscaped<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { appendEscaped(buffer: $0, to: &out) }
        if done == nil { Array(bytes).withUnsafeBufferPointer { appendEscaped(buffer: $0, to: &out) } }
    }

    /// Appends a contiguous run: copied at once when nothing needs escaping.
    static func appendEscaped(buffer: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var clean = true
        for b in buffer where b <= 0x5C && (b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x00) {
            clean = false
            break
        }
        if clean { out.append(contentsOf: buffer); return }
        for b in buffer {
            switch b {
            case 0x5C: out.append(0x5C); out.append(0x5C)  // backslash
            case 0x09: out.append(0x5C); out.append(0x74)  // \t
            case 0x0A: out.append(0x5C); out.append(0x6E)  // \n
            case 0x0D: out.append(0x5C); out.append(0x72)  // \r
            case 0x00: out.append(contentsOf: replacement)
            default: out.append(b)
            }
        }
    }

    static func appendEscaped(_ bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendEscaped(buffer: $0, to: &out) }
    }

    static func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count * 2)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
    }
}

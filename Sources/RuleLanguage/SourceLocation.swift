/// A rule file's text, with the line table needed to turn offsets into
/// 1-based line:column positions (columns count Characters, so Chinese text
/// lines up).
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    /// The UTF-8 bytes of `text`.
    public let bytes: [UInt8]
    /// Byte offset where each line starts.
    let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// 1-based (line, column) of a byte offset.
    public func position(of offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        let end = min(max(offset, start), bytes.count)
        let column = String(decoding: bytes[start..<end], as: UTF8.self).count + 1
        return (lo + 1, column)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1 && line <= lineStarts.count else { return "" }
        let s = lineStarts[line - 1]
        var e = line < lineStarts.count ? lineStarts[line] : bytes.count
        while e > s && (bytes[e - 1] == UInt8(ascii: "\n") || bytes[e - 1] == UInt8(ascii: "\r")) { e -= 1 }
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    public func slice(_ r: SourceRange) -> String {
        String(decoding: bytes[max(0, r.start)..<min(bytes.count, r.end)], as: UTF8.self)
    }
}

/// A byte range in a source file.
public struct SourceRange: Sendable, Hashable {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = end }
    public static let none = SourceRange(0, 0)
    public func to(_ other: SourceRange) -> SourceRange { SourceRange(min(start, other.start), max(end, other.end)) }
}

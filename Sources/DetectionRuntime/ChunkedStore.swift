/// A growable array of plain values in fixed-size chunks: growing allocates
/// one more chunk and copies nothing, so a table of millions of rows never
/// holds its old and new storage at once and wastes at most one chunk (an
/// `Array` doubles: up to twice the rows, three times while it grows).
final class ChunkedStore<Element: BitwiseCopyable> {
    static var chunkBits: Int { 14 }
    private var chunks: [UnsafeMutablePointer<Element>] = []
    private(set) var count = 0

    init() {}

    deinit {
        for c in chunks { c.deallocate() }
    }

    @inline(__always) func pointer(_ i: Int) -> UnsafeMutablePointer<Element> {
        chunks[i >> Self.chunkBits] + (i & ((1 << Self.chunkBits) - 1))
    }

    @inline(__always) subscript(_ i: Int) -> Element {
        unsafeAddress { UnsafePointer(pointer(i)) }
        unsafeMutableAddress { pointer(i) }
    }

    /// Adds a row at the end; its index.
    @discardableResult
    func append(_ e: Element) -> Int {
        if count == chunks.count << Self.chunkBits { chunks.append(.allocate(capacity: 1 << Self.chunkBits)) }
        pointer(count).initialize(to: e)
        count += 1
        return count - 1
    }
}

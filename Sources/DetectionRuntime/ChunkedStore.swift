/// A growable array of plain values in fixed-size chunks: growing allocates
/// one more chunk and copies nothing, so a table of millions of rows never
/// holds its old and new storage at once and wastes at most one chunk (an
/// `Array` doubles: up to twice the rows, three times while it grows).
/// The first chunk starts small and doubles up to the chunk size, so the
/// tables of a rule with few keys (1,400 rules are many tables) stay small.
final class ChunkedStore<Element: BitwiseCopyable> {
    static var chunkBits: Int { 14 }
    private var chunks: [UnsafeMutablePointer<Element>] = []
    /// Rows the first chunk has room for (the chunk size once a second chunk exists).
    private var firstCapacity = 0
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
        if count == firstCapacity && count < 1 << Self.chunkBits {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: max(16, firstCapacity * 2))
            if let old = chunks.first {
                grown.moveInitialize(from: old, count: count)
                old.deallocate()
                chunks[0] = grown
            } else {
                chunks.append(grown)
            }
            firstCapacity = max(16, firstCapacity * 2)
        } else if count == chunks.count << Self.chunkBits {
            chunks.append(.allocate(capacity: 1 << Self.chunkBits))
        }
        pointer(count).initialize(to: e)
        count += 1
        return count - 1
    }

    /// A store with the same rows.
    /// An independent copy (chunk by chunk: a `memcpy` of the elements).
    func copy() -> ChunkedStore {
        let c = ChunkedStore()
        c.firstCapacity = firstCapacity
        c.count = count
        c.chunks.reserveCapacity(chunks.count)
        for (i, chunk) in chunks.enumerated() {
            let capacity = i == 0 ? firstCapacity : 1 << Self.chunkBits
            let copied = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
            copied.initialize(from: chunk, count: min(capacity, count - (i << Self.chunkBits)))
            c.chunks.append(copied)
        }
        return c
    }

    /// Removes the last row (its chunk stays for the next append).
    @discardableResult
    func removeLast() -> Element {
        precondition(count > 0, "removeLast of an empty store")
        count -= 1
        return pointer(count).pointee
    }
}

/// A growable byte buffer written through a raw pointer: the generator's hot
/// path appends a few hundred bytes per event, and `Array.append` pays a
/// uniqueness and capacity check on every byte.
///
/// A reference type (it owns its memory); each buffer has one owner.
final class ByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `n` more bytes.
    @inline(__always)
    func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        p.update(from: base, count: count)
        base.deallocate()
        base = p
        capacity = c
    }

    @inline(__always)
    func append(_ b: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = b
        count += 1
    }

    @inline(__always)
    func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        let d = base + count
        if n <= 24 {
            // Short pieces (keys, codes): a loop beats a call to memmove.
            for i in 0..<n { d[i] = p[i] }
        } else {
            d.update(from: p, count: n)
        }
        count += n
    }

    @inline(__always)
    func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { append(p, b.count) }
    }

    @inline(__always)
    func append(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { append($0) }
    }

    /// Writes at an index below `count`.
    @inline(__always)
    func set(_ i: Int, _ b: UInt8) { base[i] = b }

    func removeAll() { count = 0 }

    /// Drops bytes from `n` on.
    func truncate(_ n: Int) { count = min(count, n) }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    func slice(_ start: Int, _ length: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base + start, count: length) }

    /// A copy of the contents.
    var array: [UInt8] { Array(bytes) }

    /// Gives the memory back when it has grown past `limit` bytes.
    func shrink(ifAbove limit: Int) {
        guard capacity > limit else { return }
        base.deallocate()
        capacity = 256
        count = 0
        base = .allocate(capacity: capacity)
    }
}

import EventModel

/// An exact set of fingerprints that only grows (a replay's every event id),
/// in about 17–20 bytes per member where a `Set<Fingerprint>` takes 21–43
/// (and, while it doubles, its old and new storage at once).
///
/// Members live in one sorted array in chunks, found through a directory
/// of where each run of leading bits starts (8–16 members a run, fingerprints
/// being hashes) with a small filter of the run, so that an absent id — the
/// usual case — mostly costs one memory access; new members wait in a small `Set`
/// and are merged in (backwards, in place) once it holds an eighth as many.
/// A value: a copy that is changed copies the members first.
struct GrowingFingerprintSet: @unchecked Sendable {
    private var sorted = ChunkedStore<Fingerprint>()
    /// `directory[j]`: the first index in `sorted` whose top `directoryBits`
    /// bits are ≥ j (low 32 bits), and a 32-bit filter of the run's members
    /// (two bits each); one more entry at the end holds `sorted.count`.
    private var directory: [UInt64] = [0, 0]
    private var directoryBits = 0
    private var recent: Set<Fingerprint> = []

    init() {}

    var count: Int { sorted.count + recent.count }

    func contains(_ k: Fingerprint) -> Bool {
        recent.contains(k) || inSorted(k)
    }

    /// Adds `k`; false if it was already a member.
    mutating func insert(_ k: Fingerprint) -> Bool {
        if inSorted(k) { return false }
        guard recent.insert(k).inserted else { return false }
        if recent.count >= max(1 << 16, sorted.count / 8) { mergeRecent() }
        return true
    }

    /// The two bits of a run's filter that `k` sets (from bits of `lo`; the run is chosen by `hi`).
    @inline(__always) private static func filterBits(_ k: Fingerprint) -> UInt64 {
        (1 << (k.lo >> 59)) | (1 << ((k.lo >> 54) & 31))
    }

    /// Looks in the directory's run for `k`: most absent ids are turned away
    /// by the run's filter without reading the members.
    private func inSorted(_ k: Fingerprint) -> Bool {
        let j = directoryBits == 0 ? 0 : Int(k.hi >> UInt64(64 - directoryBits))
        let entry = directory[j]
        let f = Self.filterBits(k)
        guard (entry >> 32) & f == f else { return false }
        var i = Int(UInt32(truncatingIfNeeded: entry))
        let end = Int(UInt32(truncatingIfNeeded: directory[j + 1]))
        while i < end {
            let m = sorted[i]
            if m.hi == k.hi && m.lo == k.lo { return true }
            if k < m { return false }
            i += 1
        }
        return false
    }

    private mutating func mergeRecent() {
        if !isKnownUniquelyReferenced(&sorted) { sorted = sorted.copy() }
        let fresh = Self.sorted(recent)
        recent.removeAll(keepingCapacity: true)
        var i = sorted.count - 1
        for k in fresh { sorted.append(k) }
        var j = fresh.count - 1
        var w = sorted.count - 1
        while j >= 0 {
            if i >= 0 && fresh[j] < sorted[i] {
                sorted[w] = sorted[i]
                i -= 1
            } else {
                sorted[w] = fresh[j]
                j -= 1
            }
            w -= 1
        }
        rebuildDirectory()
    }

    /// The members in order, by their leading bits: fingerprints are
    /// hashes, so a distribution into about one bucket per member leaves a
    /// few to order in each (`Sequence.sorted()`, a merge sort through a
    /// comparison closure, was a twentieth of a replay's reading thread).
    /// A bucket that holds more than a few is sorted the usual way.
    static func sorted(_ members: Set<Fingerprint>) -> [Fingerprint] {
        let n = members.count
        guard n > 64 else { return members.sorted() }
        let bits = min(24, Int.bitWidth - n.leadingZeroBitCount - 1)
        let shift = UInt64(64 - bits)
        var starts = [Int](repeating: 0, count: (1 << bits) + 1)
        for k in members { starts[Int(k.hi >> shift) + 1] += 1 }
        for b in 0..<(1 << bits) { starts[b + 1] += starts[b] }
        var out = [Fingerprint](repeating: .zero, count: n)
        var next = starts
        out.withUnsafeMutableBufferPointer { o in
            for k in members {
                let b = Int(k.hi >> shift)
                o[next[b]] = k
                next[b] += 1
            }
            for b in 0..<(1 << bits) {
                let lo = starts[b], hi = starts[b + 1]
                if hi - lo > 32 {
                    o[lo..<hi].sort()
                    continue
                }
                var i = lo + 1
                while i < hi {
                    let k = o[i]
                    var j = i
                    while j > lo && k < o[j - 1] { o[j] = o[j - 1]; j -= 1 }
                    o[j] = k
                    i += 1
                }
            }
        }
        return out
    }

    private mutating func rebuildDirectory() {
        let n = sorted.count
        var bits = 0
        while bits < 30 && (8 << (bits + 1)) <= n { bits += 1 }
        directoryBits = bits
        var dir = [UInt64](repeating: 0, count: (1 << bits) + 1)
        var j = 0
        for i in 0..<n {
            let m = sorted[i]
            let b = bits == 0 ? 0 : Int(m.hi >> UInt64(64 - bits))
            while j <= b { dir[j] = UInt64(i); j += 1 }
            dir[b] |= Self.filterBits(m) << 32
        }
        while j <= 1 << bits { dir[j] = UInt64(n); j += 1 }
        directory = dir
    }
}

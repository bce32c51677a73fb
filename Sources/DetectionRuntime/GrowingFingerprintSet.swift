import EventModel

/// An exact set of fingerprints that only grows (a replay's every event id),
/// in about 17–20 bytes per member where a `Set<Fingerprint>` takes 21–43
/// (and, while it doubles, its old and new storage at once).
///
/// Members live in one sorted array in chunks, found through a directory
/// of where each run of leading bits starts; new members wait in a small
/// `Set` and are merged in (backwards, in place) once it holds an eighth as
/// many. Fingerprints are hashes, so the directory's runs are short.
/// A value: a copy that is changed copies the members first.
struct GrowingFingerprintSet: @unchecked Sendable {
    private var sorted = ChunkedStore<Fingerprint>()
    /// `directory[j]`: the first index in `sorted` whose top `directoryBits` bits are ≥ j;
    /// one more entry at the end holds `sorted.count`.
    private var directory: [Int32] = [0, 0]
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

    private func inSorted(_ k: Fingerprint) -> Bool {
        let j = directoryBits == 0 ? 0 : Int(k.hi >> UInt64(64 - directoryBits))
        var lo = Int(directory[j])
        var hi = Int(directory[j + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let m = sorted[mid]
            if m == k { return true }
            if m < k { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    private mutating func mergeRecent() {
        if !isKnownUniquelyReferenced(&sorted) { sorted = sorted.copy() }
        let fresh = recent.sorted()
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

    private mutating func rebuildDirectory() {
        let n = sorted.count
        var bits = 0
        while bits < 30 && (8 << (bits + 1)) <= n { bits += 1 }
        directoryBits = bits
        var dir = [Int32](repeating: 0, count: (1 << bits) + 1)
        var j = 0
        for i in 0..<n {
            let b = bits == 0 ? 0 : Int(sorted[i].hi >> UInt64(64 - bits))
            while j <= b { dir[j] = Int32(i); j += 1 }
        }
        while j <= 1 << bits { dir[j] = Int32(n); j += 1 }
        directory = dir
    }
}

import EventModel
import RuleCompiler

/// A rule's key parts (`group by`, `matching`) in memory its runtime object
/// owns and frees (`deallocate`, from the owner's `deinit`).
///
/// Read from an array property, they were retained as an array at every
/// event and each part's closure context again at its call. Here each part
/// is an object named without a reference count, whose closure (a `let`) is
/// called in place: neither is retained.
struct KeyParts {
    private final class Part {
        let fn: FpFn
        init(_ fn: @escaping FpFn) { self.fn = fn }
    }

    private let base: UnsafeMutablePointer<Unmanaged<Part>>
    let count: Int

    init(_ parts: [KeyPart]) {
        count = parts.count
        base = .allocate(capacity: max(1, parts.count))
        for (i, p) in parts.enumerated() { (base + i).initialize(to: .passRetained(Part(p.fn))) }
    }

    func deallocate() {
        for i in 0..<count { base[i].release() }
        base.deallocate()
    }

    /// The key of `e`: the parts' fingerprints combined, nil when a part has none.
    @inline(__always)
    func key(_ e: borrowing Event, _ env: EvalEnv) -> Fingerprint? {
        var k = Fingerprint(hi: 0x5EED, lo: UInt64(count))
        var i = 0
        while i < count {
            guard let c = base[i]._withUnsafeGuaranteedRef({ $0.fn(e, env) }) else { return nil }
            k = k.combined(with: c)
            i += 1
        }
        return k
    }
}

import EventModel
import RuleCompiler

/// A rule's key parts (`group by`, `matching`), each an object whose
/// closure (a `let`) is called in place: neither the parts nor a closure
/// context is retained per event (see `UnretainedObjects`). The owner frees
/// them (`deallocate`, from its `deinit`).
struct KeyParts {
    private final class Part {
        let fn: FpFn
        init(_ fn: @escaping FpFn) { self.fn = fn }
    }

    private let parts: UnretainedObjects<Part>
    var count: Int { parts.count }

    init(_ parts: [KeyPart]) {
        self.parts = UnretainedObjects(parts.map { Part($0.fn) })
    }

    func deallocate() { parts.deallocate() }

    /// The key of `e`: the parts' fingerprints combined, nil when a part has none.
    @inline(__always)
    func key(_ e: borrowing Event, _ env: EvalEnv) -> Fingerprint? {
        var k = Fingerprint(hi: 0x5EED, lo: UInt64(count))
        var i = 0
        while i < count {
            guard let c = parts[i]._withUnsafeGuaranteedRef({ $0.fn(e, env) }) else { return nil }
            k = k.combined(with: c)
            i += 1
        }
        return k
    }
}

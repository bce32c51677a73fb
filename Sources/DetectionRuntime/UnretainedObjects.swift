/// Objects a rule's runtime reads at every event (key parts, aggregate
/// inputs), kept in plain memory its owner frees (`deallocate`, from the
/// owner's `deinit`) and named without a reference count.
///
/// Read from an array property, such objects were retained as an array at
/// every event and each one again at its use; an `Unmanaged` array beside
/// an owning one still retained the array. Here neither happens: each
/// object is retained once, here, and released by `deallocate`.
struct UnretainedObjects<T: AnyObject> {
    private let base: UnsafeMutablePointer<Unmanaged<T>>
    let count: Int

    init(_ objects: [T]) {
        count = objects.count
        base = .allocate(capacity: max(1, objects.count))
        for (i, o) in objects.enumerated() { (base + i).initialize(to: .passRetained(o)) }
    }

    /// Releases the objects and frees the memory; call once, from the owner's `deinit`.
    func deallocate() {
        for i in 0..<count { base[i].release() }
        base.deallocate()
    }

    /// Object `i`, unretained (use it with `_withUnsafeGuaranteedRef`).
    @inline(__always) subscript(_ i: Int) -> Unmanaged<T> { base[i] }
}

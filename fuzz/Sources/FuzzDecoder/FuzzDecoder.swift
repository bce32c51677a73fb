// libFuzzer harness: EventDecoder over arbitrary bytes (a Kafka message or a
// ledger line). Any input must give `.event`, `.blank` or `.invalid` with a
// reason — never a trap, never a sanitizer report. Also checked: both entry
// points agree, decoding is deterministic, a decoded event keeps its bytes
// and decodes again to the same event.
import EventModel

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

let decoder = EventDecoder()
/// Reused across inputs, as the streaming shard does.
nonisolated(unsafe) var reused = Event.placeholder

func fail(_ message: String) -> Never {
    fputs("FuzzDecoder invariant broken: \(message)\n", stderr)
    abort()
}

func summary(_ e: Event) -> String {
    "\(e.id)|\(e.type)|\(e.time)|\(e.village.value)|\(e.raw.count)|" + (0..<13).map { "\(e.fields[$0])" }.joined(separator: ",")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let first = decoder.decode(bytes)
    let status = decoder.decode(bytes, into: &reused)
    switch (first, status) {
    case (.blank, .blank):
        if bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) { fail("non-blank input reported blank") }
    case (.invalid(let a), .invalid(let b)):
        if a != b { fail("the two entry points give different errors: \(a) vs \(b)") }
        if a.detail.isEmpty { fail("an error without a reason: \(a.kind)") }
        if a.kind == .late || a.kind == .offsetGap { fail("the decoder reported a streaming-only kind \(a.kind)") }
    case (.event(let e), .event):
        if summary(e) != summary(reused) { fail("the two entry points give different events") }
        if e.raw != bytes { fail("the event does not keep its bytes") }
        guard case .event(let again) = decoder.decode(e.raw), summary(again) == summary(e) else {
            fail("an event's raw bytes do not decode to the same event")
        }
        if e.id.isEmpty { fail("an event without an id") }
    default:
        fail("the two entry points disagree: \(first) vs \(status)")
    }
    return 0
}

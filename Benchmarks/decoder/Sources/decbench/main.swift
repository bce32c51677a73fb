// Decoder-only benchmark: decodes every line of a JSON Lines file, N passes.
// usage: decbench FILE [passes] [mode: outcome|into]
import EventModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
/// CPU time of this thread: on a shared machine, closer to the cost than wall time.
func cpuNow() -> Double { var ts = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }

let args = CommandLine.arguments
let path = args[1]
let passes = args.count > 2 ? Int(args[2])! : 1
let mode = args.count > 3 ? args[3] : "outcome"
guard let f = fopen(path, "rb") else { fatalError("cannot open \(path)") }
fseek(f, 0, SEEK_END); let size = ftell(f); fseek(f, 0, SEEK_SET)
var data = [UInt8](repeating: 0, count: size)
_ = data.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
fclose(f)
// Split lines once (not decoder time).
var lines: [(Int, Int)] = []
data.withUnsafeBufferPointer { buf in
    var start = 0
    while start < buf.count {
        let nl = memchr(buf.baseAddress! + start, 10, buf.count - start)
        let end = nl.map { buf.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? buf.count
        lines.append((start, end))
        start = end + 1
    }
}
/// The timed loop, outside the main actor (top-level code is @MainActor).
func run(_ data: [UInt8], _ lines: [(Int, Int)], passes: Int, mode: String) -> (best: Double, bestCPU: Double, ok: Int, bad: Int, checksum: UInt64) {
    let dec = EventDecoder()
    var best = Double.infinity, bestCPU = Double.infinity
    var ok = 0, bad = 0, checksum: UInt64 = 0
    for _ in 0..<passes {
        ok = 0; bad = 0; checksum = 0
        let t0 = now(), c0 = cpuNow()
        data.withUnsafeBufferPointer { buf in
            if mode == "into" {
                var ev = Event.placeholder
                for (s, e) in lines {
                    let line = UnsafeBufferPointer(rebasing: buf[s..<e])
                    switch dec.decode(line, into: &ev) {
                    case .event: ok += 1; checksum &+= ev.idKey.lo &+ UInt64(bitPattern: ev.time) &+ UInt64(ev.raw.count)
                    default: bad += 1
                    }
                }
            } else {
                for (s, e) in lines {
                    let line = UnsafeBufferPointer(rebasing: buf[s..<e])
                    switch dec.decode(line) {
                    case .event(let ev): ok += 1; checksum &+= ev.idKey.lo &+ UInt64(bitPattern: ev.time) &+ UInt64(ev.raw.count)
                    default: bad += 1
                    }
                }
            }
        }
        best = min(best, now() - t0)
        bestCPU = min(bestCPU, cpuNow() - c0)
    }
    return (best, bestCPU, ok, bad, checksum)
}
let (best, bestCPU, ok, bad, checksum) = run(data, lines, passes: passes, mode: mode)
let mb = Double(data.count) / 1e6
func fmt(_ x: Double, _ d: Int) -> String { String(format: "%.\(d)f", x) }
print("\(ok) events, \(bad) other, \(lines.count) lines, \(fmt(mb, 1)) MB, mode \(mode); best of \(passes):")
print("  wall \(fmt(best, 3)) s = \(fmt(Double(lines.count) / best / 1e6, 2)) M events/s, \(fmt(mb / best, 0)) MB/s")
print("  cpu  \(fmt(bestCPU, 3)) s = \(fmt(Double(lines.count) / bestCPU / 1e6, 2)) M events/s, \(fmt(mb / bestCPU, 0)) MB/s")
print("  checksum \(checksum)")

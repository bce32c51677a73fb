import EventModel
import Foundation
import LedgerFiles

/// Puts events into the total order of RULES.md (occurred_at, then
/// event_id bytes) without holding a large ledger in memory: events are
/// collected into runs; a full run is sorted and spilled to a temporary
/// file as JSON lines; at the end the runs are merged.
final class EventSorter {
    let runCapacity: Int
    let spillDirectory: String
    let decoder: EventDecoder
    private var run: [Event] = []
    private var spills: [String] = []
    var spilledRuns: Int { spills.count }

    init(runCapacity: Int, spillDirectory: String?, decoder: EventDecoder) {
        self.runCapacity = max(1, runCapacity)
        self.spillDirectory = spillDirectory ?? NSTemporaryDirectory()
        self.decoder = decoder
        run.reserveCapacity(min(runCapacity, 1 << 16))
    }

    deinit {
        for s in spills { try? FileManager.default.removeItem(atPath: s) }
    }

    func add(_ e: consuming Event) throws {
        run.append(consume e)
        if run.count >= runCapacity { try spill() }
    }

    static func sortRun(_ run: inout [Event]) {
        // Ledgers are mostly ordered: check first, then sort.
        var ordered = true
        for i in 1..<max(1, run.count) where run[i].precedes(run[i - 1]) { ordered = false; break }
        if !ordered { run.sort { $0.precedes($1) } }
    }

    private func spill() throws {
        EventSorter.sortRun(&run)
        let path = (spillDirectory as NSString).appendingPathComponent("qianliyan-run-\(ProcessInfo.processInfo.processIdentifier)-\(spills.count)-\(UInt64.random(in: 0...UInt64.max)).jsonl")
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw LedgerReader.ReadError(path: path, message: "cannot create a spill file (is the temporary folder writable and not full?)")
        }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var out: [UInt8] = []
        out.reserveCapacity(1 << 22)
        for e in run {
            out += e.raw
            out.append(0x0A)
            if out.count > 1 << 22 {
                try h.write(contentsOf: out)
                out.removeAll(keepingCapacity: true)
            }
        }
        try h.write(contentsOf: out)
        try h.close()
        spills.append(path)
        run.removeAll(keepingCapacity: true)
    }

    /// Hands out every event in the total order.
    func drain(_ body: (Event) throws -> Void) throws {
        EventSorter.sortRun(&run)
        if spills.isEmpty {
            for e in run { try body(e) }
            run = []
            return
        }
        // k-way merge of the spilled runs and the in-memory run.
        var sources: [RunCursor] = try spills.map { try FileRunCursor(path: $0, decoder: decoder) }
        sources.append(MemoryRunCursor(run))
        run = []
        var heads: [Event?] = try sources.map { try $0.next() }
        while true {
            var best = -1
            for i in heads.indices {
                guard let h = heads[i] else { continue }
                if best < 0 || h.precedes(heads[best]!) { best = i }
            }
            if best < 0 { break }
            try body(heads[best]!)
            heads[best] = try sources[best].next()
        }
    }
}

protocol RunCursor {
    func next() throws -> Event?
}

final class MemoryRunCursor: RunCursor {
    var events: [Event]
    var i = 0
    init(_ e: [Event]) { events = e }
    func next() -> Event? {
        guard i < events.count else { return nil }
        defer { i += 1 }
        return events[i]
    }
}

final class FileRunCursor: RunCursor {
    let reader: LedgerReader
    let decoder: EventDecoder
    var buffer: [Event] = []
    var i = 0
    var done = false

    init(path: String, decoder: EventDecoder) throws {
        reader = try LedgerReader(path: path)
        self.decoder = decoder
    }

    func next() throws -> Event? {
        if i < buffer.count { defer { i += 1 }; return buffer[i] }
        if done { return nil }
        buffer.removeAll(keepingCapacity: true)
        i = 0
        var n = 0
        try reader.forEachLine { line, _ in
            if case .event(let e) = decoder.decode(line) { buffer.append(e) }
            n += 1
            return n < 4096
        }
        if n < 4096 { done = true }
        if buffer.isEmpty { return nil }
        i = 1
        return buffer[0]
    }
}

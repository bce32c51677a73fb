import DetectionRuntime
import EventModel
import Foundation

/// The alerts of a replay or backtest pass, taken from the engines as they
/// fire and handed out at the end in the order of RULES.md (anchor time,
/// anchor event id, rule id).
///
/// With a spill file each alert waits there, serialized (its evidence JSON
/// is most of it), and memory holds only its sort key and the reference: a
/// year's alerts took a fifth of a 10 M-event replay's memory. Serializing
/// and writing happen on a thread of the collector's own, so a rule thread
/// hands its alerts over and goes on (they were ≈ 8 % of a rule thread's
/// time; a few batches wait in a bounded queue). The first `memoryBudget`
/// bytes of alerts (their evidence and texts) stay in memory even so: a
/// pass with few alerts skips serializing them, writing them out and
/// reading each back with a system call (≈ 4 % of the CPU time of a 1 M
/// replay with 17,860 alerts, much of it in the pass); once the file holds
/// several times as many, those go to the file as well (`moveAfter`), and
/// a large pass's peak memory is its rule state's alone. Without a file, or
/// for an alert the file declines, the alert stays in memory. Any thread
/// may add; reading happens once the pass is over.
final class AlertCollector: @unchecked Sendable {
    fileprivate struct Item {
        var time: Instant
        var anchor: String
        var rule: String
        /// A reference into `file`, or 0 with the alert at `memoryIndex` of `memory`.
        var ref: UInt64
        var memoryIndex: Int32
    }

    /// What was collected; every access holds `lock`.
    fileprivate final class Store: @unchecked Sendable {
        let lock = NSLock()
        var items: [Item] = []
        var memory: [Alert] = []
        /// Alerts handed to `add` (some may still be on their way to `items`).
        var added = 0
        /// Alerts kept in the file.
        var inFile = 0

        /// Keeps `alerts`, each in `file` under its `encoded` form when there is one.
        /// (Only one thread at a time may pass a `file`: it is written outside the lock.)
        func keep(_ alerts: [Alert], encoded: [[UInt8]], in file: EvidenceSpillFile?) {
            let refs = file.map { f in encoded.map { f.append(id: "", raw: $0) } }
            lock.withLock {
                for (i, a) in alerts.enumerated() {
                    var item = Item(time: a.anchorTime, anchor: a.anchorEventID, rule: a.ruleID, ref: refs?[i] ?? 0, memoryIndex: -1)
                    if item.ref == 0 {
                        item.memoryIndex = Int32(memory.count)
                        memory.append(a)
                    } else {
                        inFile += 1
                    }
                    items.append(item)
                }
            }
        }

        /// Writes the alerts held in memory to `file` and lets them go (those
        /// the file declines stay). Only the thread that writes `file` may call it.
        func moveMemory(to file: EvidenceSpillFile) {
            let held = lock.withLock { memory }
            let refs = held.map { file.append(id: "", raw: AlertCoding.encode($0)) }
            lock.withLock {
                // Alerts added to memory meanwhile lie after `held.count` (memory only grows).
                var kept: [Alert] = []
                for i in items.indices where items[i].memoryIndex >= 0 {
                    let m = Int(items[i].memoryIndex)
                    if m < refs.count && refs[m] != 0 {
                        items[i].ref = refs[m]
                        items[i].memoryIndex = -1
                        inFile += 1
                    } else {
                        items[i].memoryIndex = Int32(kept.count)
                        kept.append(memory[m])
                    }
                }
                memory = kept
            }
        }
    }

    /// Where alerts go as they fire, `size` at a time, instead of waiting
    /// here for the pass to end: a sink that holds them until it is
    /// settled (`ReplaySink.holdsUntilSettled`), which writes them while
    /// the pass runs.
    struct Forward {
        var size: Int
        var send: ([Alert]) throws -> Void
    }
    private let forward: Forward?
    // Under `store.lock`: alerts not yet sent on, sent ones per rule, the first error sending.
    private var outgoing: [Alert] = []
    private var sentByRule: [String: Int] = [:]
    private var forwardError: Error?

    private let store = Store()
    private let file: EvidenceSpillFile?
    /// Bytes of alerts still to be kept in memory before they go to `file` (under `store.lock`).
    private var memoryLeft: Int
    static let defaultMemoryBudget = 16 << 20
    /// Alerts on their way to `file`, and the thread that writes them (with a file only).
    private let pending: BlockingQueue<[Alert]>?
    private let written = DispatchSemaphore(value: 0)
    private var drained = false

    /// `file`: where alerts wait until the pass ends (nil: in memory), once
    /// `memoryBudget` bytes of them are held in memory. When the file holds
    /// `moveAfter` times as many alerts as memory does, the pass is a large
    /// one (a year of a province): the alerts in memory go to the file too,
    /// and their memory is free for the rule state, which is then at its
    /// largest (the 10.55 M replay's peak).
    init(file: EvidenceSpillFile?, memoryBudget: Int = AlertCollector.defaultMemoryBudget, moveAfter: Int = 4) {
        self.file = file
        forward = nil
        memoryLeft = file == nil ? 0 : memoryBudget
        guard let file else {
            pending = nil
            return
        }
        let queue = BlockingQueue<[Alert]>(capacity: 16)
        pending = queue
        let (store, written) = (store, written)
        // Only this thread touches the file until `drain()` has waited for it.
        nonisolated(unsafe) let spillFile = file
        let thread = Thread {
            var moved = false
            while let alerts = queue.take() {
                store.keep(alerts, encoded: alerts.map(AlertCoding.encode), in: spillFile)
                if !moved, store.lock.withLock({ store.inFile > moveAfter * store.memory.count && !store.memory.isEmpty }) {
                    store.moveMemory(to: spillFile)
                    moved = true
                }
            }
            written.signal()
        }
        thread.name = "qianliyan.alert-spill"
        thread.start()
    }

    /// A collector that sends every alert on (`forward`) and keeps none.
    init(forward: Forward) {
        file = nil
        memoryLeft = 0
        pending = nil
        self.forward = forward
    }

    deinit { pending?.close() }

    /// Alerts added so far.
    var count: Int { store.lock.withLock { store.added } }

    /// Alerts held in memory (once every added one is kept: after `drain()`).
    var inMemory: Int { store.lock.withLock { store.memory.count } }

    /// Takes `alerts` (in any order).
    func add(_ alerts: [Alert]) {
        guard !alerts.isEmpty else { return }
        if let forward {
            let full: [Alert]? = store.lock.withLock {
                store.added += alerts.count
                outgoing += alerts
                guard outgoing.count >= forward.size else { return nil }
                defer { outgoing = [] }
                return outgoing
            }
            if let full { send(full, forward) }
            return
        }
        let inMemory = store.lock.withLock {
            store.added += alerts.count
            guard memoryLeft > 0 else { return false }
            memoryLeft -= alerts.reduce(0) { $0 + AlertCollector.bytes(of: $1) }
            return true
        }
        if let pending, !inMemory {
            pending.put(alerts)
        } else {
            store.keep(alerts, encoded: [], in: nil)
        }
    }

    private func send(_ alerts: [Alert], _ forward: Forward) {
        guard store.lock.withLock({ forwardError == nil }) else { return }
        do {
            try forward.send(alerts)
            store.lock.withLock { for a in alerts { sentByRule[a.ruleID, default: 0] += 1 } }
        } catch {
            store.lock.withLock { if forwardError == nil { forwardError = error } }
        }
    }

    /// Sends on the alerts still waiting for a full batch (call once no
    /// thread adds any more); the alerts sent per rule, or the first error sending.
    func flushForwarded() throws -> [String: Int] {
        guard let forward else { return [:] }
        let rest = store.lock.withLock { defer { outgoing = [] }; return outgoing }
        if !rest.isEmpty { send(rest, forward) }
        return try store.lock.withLock {
            if let e = forwardError { throw e }
            return sentByRule
        }
    }

    /// About what an alert takes in memory: its evidence and texts, and a little for the rest.
    static func bytes(of a: Alert) -> Int {
        a.evidence.reduce(256) { $0 + $1.count + 32 } + a.summaryZH.utf8.count + a.summaryEN.utf8.count + a.key.utf8.count
            + 48 * (a.evidenceEventIDs.count + a.figures.count)
    }

    /// Waits until every added alert is kept (its spill file written). Call
    /// once no thread adds any more; `forEachSortedBatch` calls it.
    func drain() {
        guard let pending, !drained else { return }
        pending.close()
        written.wait()
        drained = true
    }

    /// Hands out every alert in the order of RULES.md, `size` at a time.
    func forEachSortedBatch(of size: Int, _ body: ([Alert]) throws -> Void) throws {
        drain()
        let sorted = store.lock.withLock {
            store.items.sort { ($0.time, $0.anchor, $0.rule) < ($1.time, $1.anchor, $1.rule) }
            return store.items
        }
        var batch: [Alert] = []
        batch.reserveCapacity(min(size, sorted.count))
        for item in sorted {
            batch.append(try alert(item))
            if batch.count == size {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    private func alert(_ item: Item) throws -> Alert {
        if item.memoryIndex >= 0 { return store.lock.withLock { store.memory[Int(item.memoryIndex)] } }
        let raw = file!.read(item.ref).raw
        try file!.checkReads()
        return try AlertCoding.decode(raw)
    }
}

/// A compact binary form of an alert, for `AlertCollector`'s spill file.
enum AlertCoding {
    static func encode(_ a: Alert) -> [UInt8] {
        var w = BinaryWriter(capacity: 512 + a.evidence.reduce(0) { $0 + $1.count })
        w.string(a.ruleID)
        w.i64(Int64(a.ruleVersion))
        w.string(a.severity.rawValue)
        w.string(a.anchorEventID)
        w.i64(a.anchorTime)
        w.u64(a.village.value)
        w.string(a.key)
        w.int(a.evidenceEventIDs.count)
        for id in a.evidenceEventIDs { w.string(id) }
        w.i64(a.firstEvidenceAt)
        w.i64(a.lastEvidenceAt)
        w.int(a.figures.count)
        for f in a.figures {
            w.string(f.name)
            switch f.value {
            case .integer(let v): w.u8(0); w.i64(v)
            case .money(let fen): w.u8(1); w.i64(fen)
            case .number(let micros): w.u8(2); w.i64(micros)
            case .text(let s): w.u8(3); w.string(s)
            case .instant(let t): w.u8(4); w.i64(t)
            case .duration(let d): w.u8(5); w.i64(d)
            case .date(let day): w.u8(6); w.i64(day)
            case .month(let m): w.u8(7); w.i64(m)
            case .bool(let b): w.u8(8); w.bool(b)
            }
        }
        w.string(a.summaryZH)
        w.string(a.summaryEN)
        w.int(a.evidence.count)
        for e in a.evidence { w.blob(e) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Alert {
        var r = BinaryReader(bytes)
        let ruleID = try r.string()
        let version = Int(try r.i64())
        guard let severity = Severity(rawValue: try r.string()) else { throw BinaryReader.Truncated() }
        let anchor = try r.string()
        let time = try r.i64()
        let village = VillageCode(value: try r.u64())
        let key = try r.string()
        var ids: [String] = []
        for _ in 0..<(try r.int()) { ids.append(try r.string()) }
        let first = try r.i64(), last = try r.i64()
        var figures: [Figure] = []
        for _ in 0..<(try r.int()) {
            let name = try r.string()
            let value: Figure.Value
            switch try r.u8() {
            case 0: value = .integer(try r.i64())
            case 1: value = .money(fen: try r.i64())
            case 2: value = .number(micros: try r.i64())
            case 3: value = .text(try r.string())
            case 4: value = .instant(try r.i64())
            case 5: value = .duration(try r.i64())
            case 6: value = .date(day: try r.i64())
            case 7: value = .month(try r.i64())
            case 8: value = .bool(try r.bool())
            default: throw BinaryReader.Truncated()
            }
            figures.append(Figure(name, value))
        }
        let zh = try r.string(), en = try r.string()
        var evidence: [[UInt8]] = []
        for _ in 0..<(try r.int()) { evidence.append(try r.blob()) }
        return Alert(ruleID: ruleID, ruleVersion: version, severity: severity, anchorEventID: anchor, anchorTime: time,
                     village: village, key: key, evidenceEventIDs: ids, firstEvidenceAt: first, lastEvidenceAt: last,
                     figures: figures, summaryZH: zh, summaryEN: en, evidence: evidence)
    }
}

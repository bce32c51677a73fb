import DetectionRuntime
import EventModel
import Foundation

/// Engines evaluated side by side on several threads.
///
/// Ordered events are collected into batches; every lane gets every batch
/// and offers its events, in order, to its own engines. Lane 0 runs on the
/// caller's thread, the others on threads of their own. An engine is only
/// ever touched by its lane's thread, and by the caller once `finish()` or
/// `abandon()` has joined the lanes — so each engine sees exactly the event
/// sequence it would see alone, and gives exactly the same alerts.
///
/// With a `collector`, each lane hands its engines' alerts to it after every
/// batch (and the engines' `alerts` stay empty); without one they stay in the
/// engines.
final class EngineLanes {
    /// Every engine, in the order given.
    let engines: [Engine]
    let collector: AlertCollector?
    private let local: [Engine]
    private let workers: [LaneWorker]
    private var batch: [Event] = []
    private let batchSize = 1024
    private(set) var first: Instant?
    private(set) var last: Instant = .min
    private(set) var processed = 0

    /// Engines are dealt round-robin over at most `threads` lanes.
    init(engines: [Engine], threads: Int, collector: AlertCollector? = nil) {
        self.engines = engines
        self.collector = collector
        let n = max(1, min(threads, engines.count))
        var lanes = Array(repeating: [Engine](), count: n)
        for (i, e) in engines.enumerated() { lanes[i % n].append(e) }
        local = lanes[0]
        workers = lanes.dropFirst().map { LaneWorker(engines: $0, collector: collector) }
        for w in workers { w.start() }
        batch.reserveCapacity(batchSize)
    }

    var laneCount: Int { workers.count + 1 }

    /// Offers the next event of the total order to every engine.
    func evaluate(_ e: Event) {
        if first == nil { first = e.time }
        last = e.time
        processed += 1
        if workers.isEmpty {
            for engine in local {
                engine.process(e)
                if !engine.alerts.isEmpty { EngineLanes.collect(engine, into: collector) }
            }
            return
        }
        batch.append(e)
        if batch.count == batchSize { dispatch() }
    }

    /// Offers lent events (read in place) to every engine; lanes on other
    /// threads keep the batch until they are done with it.
    func evaluate(lent b: LentEvents) {
        guard let head = b.events.first else { return }
        if first == nil { first = head.pointee.time }
        last = b.events[b.events.count - 1].pointee.time
        processed += b.events.count
        dispatch()
        for w in workers { w.queue.put(.lent(b)) }
        EngineLanes.offer(lent: b, to: local, collector: collector)
    }

    /// Offers the next events of the total order, in order: the lanes share the batch without copying it.
    func evaluate(batch b: [Event]) {
        guard let head = b.first else { return }
        if first == nil { first = head.time }
        last = b[b.count - 1].time
        processed += b.count
        if workers.isEmpty {
            EngineLanes.offer(b, to: local, collector: collector)
            return
        }
        dispatch()
        for w in workers { w.queue.put(.events(b)) }
        EngineLanes.offer(b, to: local, collector: collector)
    }

    /// Offers a batch's events in place: iterating the array, or passing an
    /// element or a pointer's `pointee`, copies each event (392 bytes) and
    /// retains its id, raw bytes and texts — atomics on objects the other
    /// lanes are touching at the same time.
    static func offer(_ batch: [Event], to engines: [Engine], collector: AlertCollector?) {
        batch.withUnsafeBufferPointer { events in
            guard let base = events.baseAddress else { return }
            // Lanes only read the shared events; see `Engine.process(inPlace:)`.
            let events = UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: base), count: batch.count)
            for engine in engines { engine.process(inPlace: events) }
        }
        for engine in engines { collect(engine, into: collector) }
    }

    static func offer(lent b: LentEvents, to engines: [Engine], collector: AlertCollector?) {
        for engine in engines { engine.process(lent: b.events) }
        for engine in engines { collect(engine, into: collector) }
    }

    /// Moves an engine's alerts to the collector, if there is one.
    static func collect(_ engine: Engine, into collector: AlertCollector?) {
        guard let collector, !engine.alerts.isEmpty else { return }
        collector.add(engine.alerts)
        engine.alerts.removeAll(keepingCapacity: true)
    }

    private func dispatch() {
        guard !batch.isEmpty else { return }
        let b = batch
        batch = []
        batch.reserveCapacity(batchSize)
        for w in workers { w.queue.put(.events(b)) }
        EngineLanes.offer(b, to: local, collector: collector)
    }

    /// Alerts so far (the other lanes' as of their last finished batch).
    var alertCount: Int {
        (collector?.count ?? 0) + local.reduce(0) { $0 + $1.alerts.count } + workers.reduce(0) { $0 + $1.alertCount }
    }

    /// Evaluates what is batched, joins the lanes and brings every engine's
    /// watermark to the last event's time (end of a replay).
    func finish() {
        dispatch()
        join()
        guard processed > 0 else { return }
        for engine in engines {
            engine.finish(lastEventTime: last)
            EngineLanes.collect(engine, into: collector)
        }
    }

    /// Stops the lanes without evaluating what is batched (the pass is given up).
    func abandon() {
        batch.removeAll()
        join()
    }

    private func join() {
        for w in workers { w.queue.close() }
        for w in workers { w.done.wait() }
    }
}

/// A batch for a lane on another thread: events of its own, or lent ones.
private enum LaneBatch {
    case events([Event])
    case lent(LentEvents)
}

/// One lane on a thread of its own.
private final class LaneWorker: @unchecked Sendable {
    // `engines` are touched only by this lane's thread until `done` is
    // signalled; `published` only under `lock`.
    let engines: [Engine]
    let collector: AlertCollector?
    let queue = BlockingQueue<LaneBatch>(capacity: 16)
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var published = 0

    init(engines: [Engine], collector: AlertCollector?) {
        self.engines = engines
        self.collector = collector
    }

    func start() {
        let t = Thread { [self] in
            while let b = queue.take() {
                switch b {
                case .events(let events): EngineLanes.offer(events, to: engines, collector: collector)
                case .lent(let lent): EngineLanes.offer(lent: lent, to: engines, collector: collector)
                }
                let n = engines.reduce(0) { $0 + $1.alerts.count }
                lock.lock(); published = n; lock.unlock()
            }
            done.signal()
        }
        t.stackSize = 8 << 20
        t.start()
    }

    var alertCount: Int {
        lock.lock(); defer { lock.unlock() }
        return published
    }
}

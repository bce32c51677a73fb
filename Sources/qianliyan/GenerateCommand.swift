import ArgumentParser
import CZlib
import EventModel
import Foundation
import LedgerGenerator

/// `qianliyan generate`: a realistic synthetic ledger with injected anomalies.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a realistic synthetic ledger, its reference tables and the ground truth of its injected cases.",
        discussion: prose("""
        Writes into --out:
          events.jsonl (or .jsonl.gz)  all 16 event types, nearly in time order
          people.csv vendors.csv reference_prices.csv village_limits.csv
          ground_truth.csv     rule_id,anchor_event_id,expect,case (expect: fire|nofire)
          malformed.csv        line_no,kind of every malformed line (1-based)
          manifest.json        the configuration and what was written

        The same options always give the same bytes. The valid events do not
        depend on --malformed-rate or --duplicate-rate: those only add lines.

        Example:
          qianliyan generate --villages 12 --days 150 --seed 7 --out ledger \\
              --malformed-rate 0.002 --duplicate-rate 0.005
        """)
    )

    @Option(help: "Number of villages.")
    var villages: Int = 12

    @Option(help: "Number of local days.")
    var days: Int = 150

    @Option(help: "Random seed; the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "First day, YYYY-MM-DD (Asia/Shanghai).")
    var start: String = "2023-01-01"

    @Option(help: "Average background events per village and day.")
    var eventsPerVillageDay: Double = 8

    @Option(help: "Share of malformed lines (0…0.5).")
    var malformedRate: Double = 0

    @Option(help: "Share of lines re-sent later, byte for byte (0…0.5).")
    var duplicateRate: Double = 0

    @Flag(help: "Write events.jsonl.gz instead of events.jsonl.")
    var gzip = false

    @Option(help: "zlib level for --gzip (1 fastest … 9 smallest).")
    var gzipLevel: Int = 1

    @Option(help: "Threads that make events (default: the number of cores, at most 8); the bytes do not depend on it.")
    var threads: Int?

    @Flag(help: "No progress and no summary on standard error.")
    var quiet = false

    func config() throws -> GeneratorConfig {
        guard let startDay = Timestamp.parseDate(start) else {
            throw ValidationError("--start must be a date YYYY-MM-DD, e.g. 2023-01-01.")
        }
        return GeneratorConfig(villages: villages, days: days, seed: seed, startDay: startDay, eventsPerVillageDay: eventsPerVillageDay,
                               malformedRate: malformedRate, duplicateRate: duplicateRate)
    }

    func validate() throws {
        let problems = try config().problems
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        if !(1...9).contains(gzipLevel) { throw ValidationError("--gzip-level must be between 1 and 9.") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be between 1 and 64.") }
    }

    func run() throws {
        let config = try config()
        let clock = ContinuousClock()
        let began = clock.now
        let workers = threads ?? min(8, ProcessInfo.processInfo.activeProcessorCount)
        var generator = LedgerGenerator(config, shards: workers)
        let runner = workers > 1 ? ShardRunner { count, work in DispatchQueue.concurrentPerform(iterations: count, execute: work) } : .serial
        let dir = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw GenerateFailure("cannot create \(out): \(error.localizedDescription). Choose a writable --out directory.")
        }
        for (name, text) in generator.referenceCSVs() {
            try write(text, to: dir.appendingPathComponent(name))
        }
        try write(generator.groundTruthCSV(), to: dir.appendingPathComponent("ground_truth.csv"))

        let eventsName = gzip ? "events.jsonl.gz" : "events.jsonl"
        let file = try LedgerFileSink(path: dir.appendingPathComponent(eventsName).path, gzipLevel: gzip ? gzipLevel : nil)
        let sink = BackgroundLedgerWriter(file)
        let expected = Double(config.villages) * Double(config.days) * config.eventsPerVillageDay
        let showProgress = !quiet && expected >= 500_000
        let tty = isatty(2) != 0
        var lastReport = began
        while try generator.withNextChunk(runner: runner, { try sink.write($0) }) != nil {
            if showProgress, clock.now - lastReport >= .seconds(1) {
                lastReport = clock.now
                let secs = seconds(clock.now - began)
                let s = generator.stats
                let line = "generate: day \(s.daysDone)/\(config.days)  \(s.lines) lines  \(mb(s.bytes)) MB  \(Int(Double(s.lines) / secs)) lines/s"
                FileHandle.standardError.write(Data(((tty ? "\r" : "") + line + (tty ? "   " : "\n")).utf8))
            }
        }
        try sink.close()
        try write(generator.malformedCSV(), to: dir.appendingPathComponent("malformed.csv"))
        let secs = seconds(clock.now - began)
        let s = generator.stats
        try write(manifest(config, s, eventsName, file.compressedBytes, secs, generator.groundTruth), to: dir.appendingPathComponent("manifest.json"))
        if showProgress && tty { FileHandle.standardError.write(Data("\n".utf8)) }
        if !quiet {
            var text = "generated \(out)/\(eventsName) in \(String(format: "%.2f", secs)) s\n"
            text += "  lines \(s.lines)  events \(s.events)  duplicates \(s.duplicates)  malformed \(s.malformed)  blank \(s.blankLines)\n"
            text += "  \(mb(s.bytes)) MB of JSON" + (gzip ? " (\(mb(Int(file.compressedBytes))) MB gzip)" : "")
            text += "  \(Int(Double(s.lines) / max(secs, 1e-9))) lines/s  \(String(format: "%.1f", Double(s.bytes) / 1e6 / max(secs, 1e-9))) MB/s\n"
            let fire = generator.groundTruth.filter { $0.expect == .fire }.count
            text += "  ground truth: \(generator.groundTruth.count) cases (\(fire) fire, \(generator.groundTruth.count - fire) nofire)\n"
            text += "  events by type:"
            for t in EventType.allCases { text += " \(t.name)=\(s.eventsByType[Int(t.rawValue)])" }
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw GenerateFailure("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }

    private func manifest(_ c: GeneratorConfig, _ s: GeneratorStats, _ events: String, _ gz: UInt64, _ secs: Double,
                          _ truth: [GroundTruthCase]) -> String {
        var byType: [String] = []
        for t in EventType.allCases { byType.append("    \"\(t.name)\": \(s.eventsByType[Int(t.rawValue)])") }
        let ledgerEnd = ShanghaiTime.format(c.endDay * TimeUnit.day - 8 * TimeUnit.hour)
        return """
        {
          "generator": "qianliyan generate",
          "villages": \(c.villages),
          "days": \(c.days),
          "seed": \(c.seed),
          "start": "\(CivilDate.format(days: c.startDay))",
          "events_per_village_day": \(c.eventsPerVillageDay),
          "malformed_rate": \(c.malformedRate),
          "duplicate_rate": \(c.duplicateRate),
          "events_file": "\(events)",
          "ledger_last_occurred_at": "\(ledgerEnd)",
          "lines": \(s.lines),
          "events": \(s.events),
          "duplicates": \(s.duplicates),
          "malformed": \(s.malformed),
          "blank_lines": \(s.blankLines),
          "json_bytes": \(s.bytes),
          "gzip_bytes": \(gz),
          "ground_truth_cases": \(truth.count),
          "seconds": \(String(format: "%.3f", secs)),
          "events_by_type": {
        \(byType.joined(separator: ",\n"))
          }
        }

        """
    }
}

struct GenerateFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Writes (and compresses) the ledger on a thread of its own, so that writing
/// and zlib overlap with making the next day.
///
/// `@unchecked Sendable`: it wraps the C handles of `LedgerFileSink` (a FILE*
/// and a z_stream), which only its writer thread touches after `init`; the
/// queue and the failure are guarded by `condition`.
final class BackgroundLedgerWriter: @unchecked Sendable {
    private let sink: LedgerFileSink
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    /// Written buffers, kept for reuse (no fresh pages for every chunk).
    private var spare: [[UInt8]] = []
    private var closing = false
    private var finished = false
    private var failure: Error?
    private static let maxQueued = 3

    init(_ sink: LedgerFileSink) {
        self.sink = sink
        let thread = Thread { [self] in self.drain() }
        thread.name = "ledger-writer"
        thread.start()
    }

    /// Queues a copy of the bytes; waits while the writer is three chunks behind.
    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        condition.lock()
        var copy = spare.popLast() ?? []
        condition.unlock()
        copy.removeAll(keepingCapacity: true)
        copy.append(contentsOf: bytes)
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxQueued && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(copy)
        condition.broadcast()
    }

    /// Writes what is queued, closes the file and reports the first failure.
    func close() throws {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    private func drain() {
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                break
            }
            let chunk = queue.removeFirst()
            let failed = failure != nil
            condition.broadcast()
            condition.unlock()
            if failed { continue }
            var written: Error?
            do {
                try chunk.withUnsafeBufferPointer { try sink.write($0) }
            } catch {
                written = error
            }
            condition.lock()
            if let written { failure = written }
            if spare.count < Self.maxQueued + 1 { spare.append(chunk) }
            condition.broadcast()
            condition.unlock()
        }
        var closeError: Error?
        do { try sink.close() } catch { closeError = error }
        condition.lock()
        if failure == nil { failure = closeError }
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Writes the ledger: plain bytes through stdio, or gzip through zlib.
/// Used from one thread at a time (the writer thread), which serializes access to the FILE* and the z_stream.
final class LedgerFileSink {
    private let file: UnsafeMutablePointer<FILE>
    private var stream = z_stream()
    private let compress: Bool
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private(set) var compressedBytes: UInt64 = 0
    private let path: String

    init(path: String, gzipLevel: Int?) throws {
        self.path = path
        guard let f = fopen(path, "wb") else {
            throw GenerateFailure("cannot open \(path) for writing: \(String(cString: strerror(errno))). Check the --out directory.")
        }
        file = f
        compress = gzipLevel != nil
        if let level = gzipLevel {
            // windowBits 15 + 16: a gzip header and trailer.
            let rc = deflateInit2_(&stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { fclose(f); throw GenerateFailure("zlib could not start (code \(rc)).") }
        }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if !compress {
            let n = fwrite(base, 1, bytes.count, file)
            guard n == bytes.count else { throw GenerateFailure("writing \(path) failed: \(String(cString: strerror(errno))).") }
            return
        }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(bytes.count)
        try pump(Z_NO_FLUSH)
    }

    private func pump(_ flush: Int32) throws {
        repeat {
            let produced: Int = try buffer.withUnsafeMutableBytes { out in
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                let rc = deflate(&stream, flush)
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else { throw GenerateFailure("zlib failed (code \(rc)).") }
                return out.count - Int(stream.avail_out)
            }
            if produced > 0 {
                let n = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, produced, file) }
                guard n == produced else { throw GenerateFailure("writing \(path) failed: \(String(cString: strerror(errno))).") }
                compressedBytes += UInt64(produced)
            }
        } while stream.avail_out == 0 || (flush == Z_FINISH && stream.avail_in > 0)
    }

    func close() throws {
        if compress {
            try pump(Z_FINISH)
            deflateEnd(&stream)
        }
        guard fclose(file) == 0 else { throw GenerateFailure("closing \(path) failed: \(String(cString: strerror(errno))).") }
    }
}

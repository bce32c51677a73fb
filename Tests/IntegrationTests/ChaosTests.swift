import AlertStore
import EventModel
import Foundation
import KafkaIngest
import Pipeline
import RuleCompiler
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 8, the fault-injection suite: each scenario streams a generated
/// ledger (malformed lines and re-sends included) into librdkafka's mock
/// cluster with disorder within the lateness, injects its faults, and at the
/// end compares the alerts table with the replay of the same ledger: the same
/// rows (content included), none twice, none missing, every bad line in
/// dead_letters.
///
/// Short versions run by default (CI); `QIANLIYAN_CHAOS=full` runs the long
/// ones (`make chaos`), and `QIANLIYAN_CHAOS_REPORT=docs/reliability.md`
/// writes the results table. See docs/reliability.md.
@Suite(.serialized) struct ChaosTests {
    static let scenarioOrder = [
        "kill -9 of qianliyan run", "PostgreSQL crash and restart", "PostgreSQL down longer than the idle time",
        "Kafka broker outages, request errors, timeouts",
        "rebalance: workers join and leave", "disk full under PostgreSQL", "read-only PostgreSQL data directory", "rule deploy mid-stream",
    ]

    /// What every scenario starts from.
    struct Setup {
        let ledger: ChaosLedger
        let pg: ChaosPostgres
        let url: String
        let expectedURL: String
        let cluster: KafkaMockCluster
        let lateness: Int
        let shuffle: Duration
        let dir: String

        func finish() async {
            cluster.close()
            await pg.stop()
            ledger.remove()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Runs `body` with a fresh setup, torn down afterwards whatever happens.
    static func withSetup(_ name: String, brokers: Int = 1, pgDirectory: String? = nil, durable: Bool = false,
                          _ body: (Setup) async throws -> Void) async throws {
        let s = try await setup(name, brokers: brokers, pgDirectory: pgDirectory, durable: durable)
        do {
            try await body(s)
        } catch {
            await s.finish()
            throw error
        }
        await s.finish()
    }

    /// `durable`: PostgreSQL with fsync and synchronous_commit on (see ``ChaosPostgres``).
    static func setup(_ name: String, brokers: Int = 1, pgDirectory: String? = nil, durable: Bool = false, seed: UInt64 = Chaos.seed) async throws -> Setup {
        let ledger = Chaos.full ? try ChaosLedger.make(villages: 12, days: 60, seed: seed) : try ChaosLedger.make(villages: 6, days: 30, seed: seed)
        let dir = try Chaos.temporaryDirectory(name)
        let pg = ChaosPostgres(directory: pgDirectory ?? dir + "/pg", durable: durable)
        try await pg.start()
        let url = try pg.createDatabase("chaos")
        let expectedURL = try pg.createDatabase("expected")
        _ = try ledger.replay(into: expectedURL)
        let shuffle: Duration = .seconds(120)
        let cluster = try KafkaTestSupport.cluster(partitions: 4, brokers: brokers)
        return Setup(ledger: ledger, pg: pg, url: url, expectedURL: expectedURL, cluster: cluster,
                     lateness: ledger.lateness(shuffle: shuffle), shuffle: shuffle, dir: dir)
    }

    /// Compares, records the row, and expects a clean result.
    static func conclude(_ outcome: inout ChaosOutcome, _ s: Setup, started: ContinuousClock.Instant,
                         only: ((AlertIdentity) -> Bool)? = nil, ignoreVersionOf: Set<String> = [], checkedApart: (expected: Int, found: Int) = (0, 0)) throws {
        try ChaosCheck.compare(&outcome, url: s.url, expectedURL: s.expectedURL, ledger: s.ledger, only: only, ignoreVersionOf: ignoreVersionOf)
        outcome.expected += checkedApart.expected
        outcome.found += checkedApart.found
        outcome.seconds = Double((ContinuousClock.now - started).components.seconds)
        ChaosReport.record(outcome)
        #expect(outcome.expected > 0)
        #expect(outcome.lost == 0, "lost e.g. \(outcome.lostSample)")
        #expect(outcome.extra == 0, "extra e.g. \(outcome.extraSample)")
        #expect(outcome.duplicates == 0)
        #expect(outcome.changed == 0, "changed e.g. \(outcome.changedSample)")
        #expect(outcome.deadFound == outcome.deadExpected, "\(outcome.notes)")
        #expect(outcome.deadKindsMatch, "\(outcome.notes)")
    }

    static func sleep(_ seconds: Double) async throws { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    static func retries(_ w: ChaosWorker) -> Int {
        let text = w.worker.metrics.prometheusText()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("qianliyan_database_retries_total ") }) else { return 0 }
        return Int(line.split(separator: " ").last ?? "0") ?? 0
    }

    // MARK: kill -9

    /// `qianliyan run` killed with SIGKILL at random moments (while joining,
    /// reading, writing a checkpoint), restarted at once under the same
    /// static membership id; a last one drains.
    @Test func killNineAtRandomPoints() async throws {
        let binary = Chaos.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the CLI first: swift build (looked for \(binary))")
        let started = ContinuousClock.now
        try await Self.withSetup("kill") { s in
            let kills = Chaos.full ? 24 : 3
            var rng = SystemRandomNumberGenerator()
            let lives = (0..<kills).map { _ in Double.random(in: 0.8...4.5, using: &rng) }
            // Publishing spans the kills.
            let feed = ChaosFeed(cluster: s.cluster, files: [s.ledger.path], rate: Double(s.ledger.lines) / (lives.reduce(0, +) * 0.9),
                                 shuffle: s.shuffle, seed: Chaos.seed)
            var committed: [Int64] = []
            for (i, life) in lives.enumerated() {
                let p = try WorkerProcess(cluster: s.cluster, url: s.url, group: "chaos-kill", ledger: s.ledger, lateness: s.lateness, drain: nil,
                                          instanceID: "w1", logPath: s.dir + "/worker-\(i).log")
                try await Self.sleep(life)
                p.kill9()
                let sum = try ChaosCheck.rows(s.url, "SELECT coalesce(sum(next_offset), 0) FROM ingest_offsets").first?[0].flatMap { Int64($0) } ?? 0
                committed.append(sum)
            }
            let published = try await feed.finish()
            #expect(published.failed == 0)
            let last = try WorkerProcess(cluster: s.cluster, url: s.url, group: "chaos-kill", ledger: s.ledger, lateness: s.lateness, drain: 3,
                                         instanceID: "w1", logPath: s.dir + "/worker-last.log")
            let status = try await last.wait(timeout: .seconds(240))
            #expect(status == 0, "log: \(String(describing: try? String(contentsOfFile: last.logPath, encoding: .utf8).suffix(2_000)))")
            var outcome = ChaosOutcome(scenario: "kill -9 of qianliyan run", events: published.published)
            let progressed = zip(committed, [0] + committed).filter { $0 > $1 }.count
            outcome.faults = ["\(kills) × SIGKILL after \(String(format: "%.1f", lives.min()!))–\(String(format: "%.1f", lives.max()!)) s",
                              "offsets advanced in \(progressed) of \(kills) lives"]
            try Self.conclude(&outcome, s, started: started)
            #expect(kills >= (Chaos.full ? 20 : 3))
            #expect(progressed >= kills / 3, "the killed workers made progress between kills: \(committed)")
        }
    }

    // MARK: PostgreSQL

    /// PostgreSQL crashes (`pg_ctl stop -m immediate`) mid-stream and stays
    /// away 30 s (5 s in CI); the worker backs off, commits nothing half-done
    /// and resumes when it is back.
    @Test func postgresCrashAndRestart() async throws {
        let started = ContinuousClock.now
        // Durable: with synchronous_commit off an immediate stop loses commits the server had
        // acknowledged (found by the read-only scenario), which no client can make up for.
        try await Self.withSetup("pg", durable: true) { s in
            let outage = Chaos.full ? 30.0 : 5.0
            let w = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-pg", ledger: s.ledger, lateness: s.lateness, drain: 3)
            w.start()
            let feed = ChaosFeed(cluster: s.cluster, files: [s.ledger.path], rate: Double(s.ledger.lines) / (outage + 15),
                                 shuffle: s.shuffle, seed: Chaos.seed)
            try await feed.waitUntil(0.25, of: s.ledger.lines)
            try s.pg.crash()
            let alertsBefore = w.worker.metrics.snapshot().alerts
            try await Self.sleep(outage)
            let stalled = w.worker.metrics.snapshot()
            try await s.pg.start()
            let published = try await feed.finish()
            try await w.wait(timeout: .seconds(240))
            #expect(published.failed == 0)
            let retried = Self.retries(w)
            #expect(retried > 0, "the worker noticed the outage")
            #expect(w.log.contains(.warning) { $0.contains("PostgreSQL unavailable") })
            var outcome = ChaosOutcome(scenario: "PostgreSQL crash and restart", events: published.published)
            outcome.faults = ["pg_ctl stop -m immediate at 25 %, down \(Int(outage)) s", "\(retried) retries with backoff",
                              "alerts raised while down: \(stalled.alerts - alertsBefore)"]
            try Self.conclude(&outcome, s, started: started)
        }
    }

    /// PostgreSQL down for longer than the worker's drain-when-idle time while
    /// the worker is caught up: the time it spends blocked in a checkpoint is
    /// not quiet time, so when PostgreSQL is back it must go on reading (the
    /// second half of the ledger, published then) instead of draining at once.
    @Test func postgresOutageLongerThanTheIdleTime() async throws {
        let started = ContinuousClock.now
        try await Self.withSetup("pg-idle", durable: true) { s in
            let idle = 6.0, outage = 9.0
            let halves = try s.ledger.split(into: s.dir)
            let w = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-pg-idle", ledger: s.ledger, lateness: s.lateness, drain: idle)
            w.start()
            let first = try await ChaosFeed(cluster: s.cluster, files: [halves.first.path], rate: nil, shuffle: s.shuffle, seed: Chaos.seed).finish()
            let deadline = ContinuousClock.now + .seconds(120)
            while w.worker.metrics.snapshot().events < first.published {
                if ContinuousClock.now > deadline { throw ChaosFailure("the worker did not read the first half") }
                try await Self.sleep(0.1)
            }
            try await Self.sleep(1)  // caught up: every partition read to its end
            try s.pg.crash()
            try await Self.sleep(outage)
            try await s.pg.start()
            let second = try await ChaosFeed(cluster: s.cluster, files: [halves.second.path], rate: nil, shuffle: s.shuffle, seed: Chaos.seed).finish()
            try await w.wait(timeout: .seconds(240))
            #expect(first.failed == 0 && second.failed == 0)
            #expect(Self.retries(w) > 0, "the worker noticed the outage")
            var outcome = ChaosOutcome(scenario: "PostgreSQL down longer than the idle time", events: first.published + second.published)
            outcome.faults = ["pg_ctl stop -m immediate while caught up, down \(Int(outage)) s, drain when idle \(Int(idle)) s"]
            try Self.conclude(&outcome, s, started: started)
        }
    }

    // MARK: Kafka

    /// Three brokers: request errors on fetch, heartbeat, join and produce;
    /// a broker down and up; round trips slower than the socket timeout; in
    /// the full run all brokers down for longer than the session timeout.
    @Test func kafkaBrokerOutagesRequestErrorsAndTimeouts() async throws {
        let started = ContinuousClock.now
        try await Self.withSetup("kafka", brokers: 3) { s in
            var options = Chaos.kafkaOptions
            options["socket.timeout.ms"] = "2500"
            let w = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-kafka", ledger: s.ledger, lateness: s.lateness, drain: 4,
                                    kafkaOptions: options)
            w.start()
            let span = Chaos.full ? 40.0 : 14.0
            let feed = ChaosFeed(cluster: s.cluster, files: [s.ledger.path], rate: Double(s.ledger.lines) / span, shuffle: s.shuffle, seed: Chaos.seed)
            var faults: [String] = []
            let c = s.cluster
            try await feed.waitUntil(0.1, of: s.ledger.lines)
            let timedOut = KafkaError.Code(rawValue: 7), notLeader = KafkaError.Code(rawValue: 6), notCoordinator = KafkaError.Code(rawValue: 16)
            let unavailable = KafkaError.Code(rawValue: 15)
            try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.fetch, errors: Array(repeating: notLeader, count: 4) + Array(repeating: timedOut, count: 4))
            try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.heartbeat, errors: [notCoordinator, notCoordinator, unavailable])
            try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.produce, errors: [timedOut, notLeader, timedOut])
            try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.listOffsets, errors: [notLeader, timedOut])
            faults.append("21 request errors (fetch, heartbeat, produce, list offsets)")
            try await feed.waitUntil(0.3, of: s.ledger.lines)
            try c.setBrokerDown(1)
            try await Self.sleep(3)
            try c.setBrokerUp(1)
            faults.append("broker 1 down 3 s")
            try await feed.waitUntil(0.5, of: s.ledger.lines)
            try c.setRoundTripTime(.milliseconds(3_000), broker: 2)
            try await Self.sleep(5)
            try c.setRoundTripTime(.zero, broker: 2)
            faults.append("broker 2 round trips 3 s > socket timeout 2.5 s, for 5 s")
            if Chaos.full {
                try await feed.waitUntil(0.7, of: s.ledger.lines)
                try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.joinGroup, errors: [notCoordinator, unavailable])
                try c.pushRequestErrors(apiKey: KafkaMockCluster.ApiKey.syncGroup, errors: [notCoordinator])
                for b in 1...3 { try c.setBrokerDown(Int32(b)) }
                try await Self.sleep(10)
                for b in 1...3 { try c.setBrokerUp(Int32(b)) }
                faults.append("all brokers down 10 s (> session timeout 6 s)")
                try await feed.waitUntil(0.85, of: s.ledger.lines)
                try c.setBrokerDown(3)
                try await Self.sleep(2)
                try c.setBrokerUp(3)
                faults.append("broker 3 down 2 s")
            }
            let published = try await feed.finish()
            try await w.wait(timeout: .seconds(240))
            #expect(published.failed == 0)
            #expect(w.worker.metrics.snapshot().gaps == 0)
            var outcome = ChaosOutcome(scenario: "Kafka broker outages, request errors, timeouts", events: published.published)
            outcome.faults = faults
            try Self.conclude(&outcome, s, started: started)
        }
    }

    // MARK: rebalance

    /// A second worker joins mid-stream and leaves (gracefully); in the full
    /// run a third one joins as a process and is killed, so that its
    /// partitions come back only after its session times out.
    @Test func workersJoinAndLeaveMidStream() async throws {
        let started = ContinuousClock.now
        try await Self.withSetup("rebalance") { s in
            let span = Chaos.full ? 50.0 : 22.0
            let w1 = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-rebalance", ledger: s.ledger, lateness: s.lateness, drain: 4)
            w1.start()
            let feed = ChaosFeed(cluster: s.cluster, files: [s.ledger.path], rate: Double(s.ledger.lines) / span, shuffle: s.shuffle, seed: Chaos.seed)
            try await feed.waitUntil(0.1, of: s.ledger.lines)
            let w2 = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-rebalance", ledger: s.ledger, lateness: s.lateness, drain: nil)
            w2.start()
            let deadline = ContinuousClock.now + .seconds(30)
            while w2.events == 0 && ContinuousClock.now < deadline { try await Self.sleep(0.2) }
            try await Self.sleep(2)
            try await w2.stopAndWait()
            var faults = ["worker 2 joins at 10 %, reads \(w2.events) records, leaves"]
            #expect(w2.events > 0, "the second worker took partitions")
            if Chaos.full {
                try await feed.waitUntil(0.5, of: s.ledger.lines)
                let p = try WorkerProcess(cluster: s.cluster, url: s.url, group: "chaos-rebalance", ledger: s.ledger, lateness: s.lateness, drain: nil,
                                          instanceID: nil, logPath: s.dir + "/worker-3.log", extra: ["--no-cross-village"])
                try await Self.sleep(9)
                p.kill9()
                faults.append("worker 3 (a process) joins at 50 %, killed after 9 s")
            }
            let published = try await feed.finish()
            try await w1.wait(timeout: .seconds(240))
            #expect(published.failed == 0)
            var outcome = ChaosOutcome(scenario: "rebalance: workers join and leave", events: published.published)
            outcome.faults = faults
            try Self.conclude(&outcome, s, started: started)
        }
    }

    // MARK: disk

    /// The data directory of the embedded PostgreSQL on a tmpfs of its own,
    /// a quarter into the stream:
    ///
    /// - disk full: the tmpfs filled to the last byte while PostgreSQL runs,
    ///   then freed;
    /// - read-only: the kernel refuses `mount -o remount,ro` (EBUSY) while
    ///   PostgreSQL holds files of the tmpfs open for writing, so PostgreSQL is
    ///   stopped first, as by a crash (`pg_ctl stop -m immediate`: what a server
    ///   whose disk turns read-only under it comes to at its next WAL write),
    ///   the tmpfs remounted read-only, and PostgreSQL started on it — the
    ///   embedded starter and the server itself must refuse with a clear error;
    ///   then the tmpfs is made writable again and PostgreSQL started (what a
    ///   supervisor does). This cluster runs durable: with synchronous_commit
    ///   off, a crash loses commits the server had acknowledged (seen here: an
    ///   alert lost), which no client can make up for.
    ///
    /// The worker reports the fault, keeps its output pending, and after the
    /// fault clears (and PostgreSQL, if it stopped, is started again) it
    /// converges; amcheck finds the indexes sound.
    @Test(arguments: ["disk full", "read-only"])
    func diskFaultsUnderPostgres(_ kind: String) async throws {
        let started = ContinuousClock.now
        let scenario = kind == "disk full" ? "disk full under PostgreSQL" : "read-only PostgreSQL data directory"
        guard geteuid() == 0 else {
            print("chaos: \(scenario) skipped: mounting a small tmpfs needs root")
            return
        }
        let mount = try Chaos.temporaryDirectory("fs")
        guard Self.shell("mount", "-t", "tmpfs", "-o", "size=192m,mode=0755", "tmpfs", mount) == 0 else {
            print("chaos: \(scenario) skipped: mount -t tmpfs failed")
            return
        }
        defer { _ = Self.shell("umount", "-l", mount); try? FileManager.default.removeItem(atPath: mount) }
        // Read-only crashes the server: durable, so that it keeps every commit it acknowledged (on a tmpfs fsync costs nothing).
        try await Self.withSetup(kind == "disk full" ? "diskfull" : "readonly", pgDirectory: mount + "/pg", durable: kind == "read-only") { s in
            let hold = Chaos.full ? 15.0 : 6.0
            let w = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-disk", ledger: s.ledger, lateness: s.lateness, drain: 3)
            w.start()
            let feed = ChaosFeed(cluster: s.cluster, files: [s.ledger.path], rate: Double(s.ledger.lines) / (hold + 12),
                                 shuffle: s.shuffle, seed: Chaos.seed)
            try await feed.waitUntil(0.25, of: s.ledger.lines)
            let retriesBefore = Self.retries(w)
            var faults: [String]
            if kind == "disk full" {
                let filler = mount + "/filler"
                Self.fill(filler)
                try await Self.sleep(hold)
                try? FileManager.default.removeItem(atPath: filler)
                // The fault clears; a stopped server is started again (what a supervisor does).
                let serverDied: Bool
                if case .running = s.pg.embedded.status(), (try? PostgresConnection(try s.pg.url("chaos")))?.isConnected == true {
                    serverDied = false
                } else {
                    serverDied = true
                    try await s.pg.start()
                }
                faults = ["tmpfs filled at 25 % for \(Int(hold)) s", serverDied ? "PostgreSQL stopped and was restarted" : "PostgreSQL stayed up"]
            } else {
                faults = try await Self.readOnlyOutage(s, mount: mount, hold: hold)
            }
            let published = try await feed.finish()
            try await w.wait(timeout: .seconds(240))
            #expect(published.failed == 0)
            let errors = w.log.all.filter { $0.0 >= .warning }.map(\.1)
            let clear = errors.filter { $0.contains("No space left on device") || $0.contains("Read-only file system") || $0.contains("53100") || $0.contains("PostgreSQL unavailable") }
            #expect(!clear.isEmpty, "the worker reported the fault: \(errors.prefix(5))")
            if kind == "read-only" {
                #expect(Self.retries(w) > retriesBefore, "the worker retried while PostgreSQL was down")
                #expect(w.log.contains(.warning) { $0.contains("PostgreSQL unavailable") })
            }
            // No corruption: B-tree indexes check out, the checkpoints decode (a worker resumes from them).
            let amcheck = try Self.amcheck(s.url)
            #expect(amcheck.isEmpty, "\(amcheck)")
            var outcome = ChaosOutcome(scenario: scenario, events: published.published)
            if kind == "read-only" { faults.append("\(Self.retries(w) - retriesBefore) worker retries with backoff") }
            // Read-only: what the worker said last, while the server could not start (the first is the crash's cut-off connection).
            let said = kind == "read-only" ? clear.last { $0.contains("PostgreSQL unavailable") } ?? clear.first : clear.first
            let sample = said.map { Self.oneLine($0.replacingOccurrences(of: mount, with: "<tmpfs>"), kind == "read-only" ? 200 : 140) } ?? "none"
            outcome.faults = faults.map { $0.replacingOccurrences(of: "|", with: "/") }
                + ["worker said: “\(sample.replacingOccurrences(of: "|", with: "/"))”", "amcheck clean"]
            try Self.conclude(&outcome, s, started: started)
        }
    }

    /// The read-only fault (see ``diskFaultsUnderPostgres(_:)``): PostgreSQL
    /// stopped, the tmpfs at `mount` remounted read-only for `hold` seconds, a
    /// start of PostgreSQL tried on it (must fail: the embedded starter's error
    /// and the server's own are recorded), then the tmpfs made writable again
    /// and PostgreSQL started. Returns the report's fault texts.
    static func readOnlyOutage(_ s: Setup, mount: String, hold: Double) async throws -> [String] {
        try s.pg.crash()
        guard case .stopped = s.pg.embedded.status() else {
            throw ChaosFailure("PostgreSQL still running after pg_ctl stop -m immediate: \(s.pg.embedded.status()); log: \(s.pg.logTail())")
        }
        // No writer is left on the tmpfs: the kernel allows remount,ro (a few tries, should a file still be closing).
        var remounted = false
        for _ in 0..<20 {
            if Self.shell("mount", "-o", "remount,ro", mount) == 0 { remounted = true; break }
            try await Self.sleep(0.25)
        }
        guard remounted else {
            try await s.pg.start()
            throw ChaosFailure("mount -o remount,ro \(mount) refused even with PostgreSQL stopped")
        }
        let readOnlySince = ContinuousClock.now
        func short(_ text: String) -> String { oneLine(text.replacingOccurrences(of: mount, with: "<tmpfs>"), 160) }
        var starterSaid = "none", serverSaid = "none"
        do {
            // Truly read-only: not even root may create a file there.
            let fd = open(s.pg.directory + "/probe", O_CREAT | O_WRONLY, 0o600)
            let probeErrno = errno
            if fd >= 0 { close(fd); unlink(s.pg.directory + "/probe") }
            #expect(fd < 0 && probeErrno == EROFS, "creating a file on the read-only tmpfs: fd \(fd), errno \(probeErrno)")

            // The embedded starter (what `qianliyan` and the tests run) refuses, saying why.
            do {
                try await s.pg.start()
                Issue.record("the embedded PostgreSQL started on a read-only directory")
                try s.pg.crash()
            } catch {
                starterSaid = (error as? PostgresError)?.message ?? "\(error)"
            }
            #expect(starterSaid.contains("Read-only file system"), "embedded start on the read-only directory: \(starterSaid)")

            // The server itself, started by hand with its log elsewhere, refuses too.
            let byHand = try s.pg.startByHand(log: s.dir + "/readonly-start.log")
            if byHand.status == 0 {
                Issue.record("pg_ctl start succeeded on a read-only directory")
                try s.pg.crash()
            }
            let fatal = byHand.serverLog.split(whereSeparator: \.isNewline).first { $0.contains("FATAL") || $0.contains("PANIC") }
            serverSaid = fatal.map { String($0[($0.range(of: "FATAL") ?? $0.range(of: "PANIC")!).lowerBound...]) }
                ?? "pg_ctl exit \(byHand.status): \(byHand.output)"
            #expect(byHand.status != 0)
            #expect(serverSaid.contains("Read-only file system"), "pg_ctl start on the read-only directory: \(byHand.output) \(byHand.serverLog)")

            try await Self.sleep(max(0, hold - Self.seconds(ContinuousClock.now - readOnlySince)))
        } catch {
            _ = Self.shell("mount", "-o", "remount,rw", mount)
            throw error
        }
        // The fault clears: writable again, PostgreSQL started (what a supervisor does).
        #expect(Self.shell("mount", "-o", "remount,rw", mount) == 0)
        let readOnlyFor = Self.seconds(ContinuousClock.now - readOnlySince)
        try await s.pg.start()
        print("chaos: read-only: embedded start said: \(starterSaid)\nchaos: read-only: server said: \(serverSaid)")
        return ["PostgreSQL stopped (pg_ctl -m immediate), tmpfs remounted read-only at 25 % for \(Int(readOnlyFor.rounded())) s",
                "start refused: “\(short(starterSaid))”", "server said: “\(short(serverSaid))”",
                "tmpfs remounted read-write, PostgreSQL restarted"]
    }

    /// `text` on one line (a table cell), runs of white space as one space, at most `limit` characters.
    static func oneLine(_ text: String, _ limit: Int) -> String {
        String(text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").prefix(limit))
    }

    static func fill(_ path: String) {
        guard let f = fopen(path, "w") else { return }
        let chunk = [UInt8](repeating: 0xA5, count: 1 << 20)
        while fwrite(chunk, 1, chunk.count, f) == chunk.count {}
        let small = [UInt8](repeating: 0xA5, count: 4096)
        while fwrite(small, 1, small.count, f) == small.count {}
        fclose(f)
    }

    @discardableResult
    static func shell(_ args: String...) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// amcheck over every B-tree index of the Qianliyan tables; returns the failures.
    static func amcheck(_ url: String) throws -> [String] {
        let c = try PostgresConnection(url)
        defer { c.close() }
        _ = try c.executeScript("CREATE EXTENSION IF NOT EXISTS amcheck")
        let indexes = try c.execute("""
            SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
            WHERE a.amname = 'btree' AND t.relnamespace = 'public'::regnamespace
            """).rows.compactMap { $0[0] }
        var failures: [String] = []
        for ix in indexes {
            do { _ = try c.execute("SELECT bt_index_check($1::regclass, true)", params: [ix]) } catch { failures.append("\(ix): \(error)") }
        }
        if indexes.isEmpty { failures.append("no index checked") }
        return failures
    }

    // MARK: rule deploy

    /// A new rule version is deployed to the running worker between the two
    /// halves of the ledger: split-payments 1 → 2 (same state signature: its
    /// windows carry over), seal-use-at-night removed, seal-use-at-night-2
    /// added. Unchanged rules give exactly the replay's alerts; the removed
    /// rule those of the first half; the added one those of the second.
    @Test func ruleDeployMidStream() async throws {
        let started = ContinuousClock.now
        try await Self.withSetup("deploy") { s in
            // The ledger in two halves, the second published after the deploy.
            let all = try Data(contentsOf: URL(fileURLWithPath: s.ledger.path))
            var lines = all.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            let decoder = EventDecoder()
            let ids: [String?] = lines.map { l in if case .event(let e) = decoder.decode(Array(l)) { e.id } else { nil } }
            // The cut: between the middle two alerts of the rule that is replaced, so that
            // the old rule has alerts before the deploy and the new one after it (the
            // generator's cases may cluster early in a short ledger); else the middle line.
            let (replayedBefore, _) = try ChaosCheck.alerts(s.expectedURL)
            let nightAnchors = Set(replayedBefore.keys.filter { $0.ruleID == "seal-use-at-night" }.map(\.anchorEventID))
            var firstLine: [String: Int] = [:]
            for (i, id) in ids.enumerated() { if let id, firstLine[id] == nil { firstLine[id] = i } }
            let anchorLines = nightAnchors.compactMap { firstLine[$0] }.sorted()
            let cut = anchorLines.count >= 2 ? anchorLines[anchorLines.count / 2] : lines.count / 2
            let half1 = s.dir + "/half1.jsonl", half2 = s.dir + "/half2.jsonl"
            try Data(lines[..<cut].flatMap { Array($0) + [0x0A] }).write(to: URL(fileURLWithPath: half1))
            try Data(lines[cut...].flatMap { Array($0) + [0x0A] }).write(to: URL(fileURLWithPath: half2))
            var firstHalfIDs = Set<String>(), secondHalfIDs = Set<String>()
            for (i, id) in ids.enumerated() {
                guard let id else { continue }
                if i < cut { firstHalfIDs.insert(id) } else if !firstHalfIDs.contains(id) { secondHalfIDs.insert(id) }
            }

            let (before, after) = try Self.deployRuleSets(in: s.dir)
            let w = try ChaosWorker(cluster: s.cluster, url: s.url, group: "chaos-deploy", ledger: s.ledger, lateness: s.lateness, drain: 3, rules: before)
            w.start()
            let feed1 = ChaosFeed(cluster: s.cluster, files: [half1], rate: Double(cut) / (Chaos.full ? 12 : 5), shuffle: s.shuffle, seed: Chaos.seed)
            let p1 = try await feed1.finish()
            let deadline = ContinuousClock.now + .seconds(60)
            while w.events < p1.published && ContinuousClock.now < deadline { try await Self.sleep(0.1) }
            #expect(w.events == p1.published, "the first half was read before the deploy")
            w.worker.updateRules(after, version: "v2")
            while w.worker.rulesVersion != "v2" && ContinuousClock.now < deadline { try await Self.sleep(0.05) }
            #expect(w.worker.rulesVersion == "v2")
            let feed2 = ChaosFeed(cluster: s.cluster, files: [half2], rate: Double(lines.count - cut) / (Chaos.full ? 12 : 5), shuffle: s.shuffle, seed: Chaos.seed + 1)
            let p2 = try await feed2.finish()
            try await w.wait(timeout: .seconds(240))

            // Expected: the replay's alerts, the removed rule's in the first half only; the added rule's are the removed rule's of the second half.
            let (found, _) = try ChaosCheck.alerts(s.url)
            let (replayed, _) = try ChaosCheck.alerts(s.expectedURL)
            let added = Set(found.keys.filter { $0.ruleID == "seal-use-at-night-2" }.map(\.anchorEventID))
            let addedExpected = Set(replayed.keys.filter { $0.ruleID == "seal-use-at-night" && secondHalfIDs.contains($0.anchorEventID) }.map(\.anchorEventID))
            // The deploy must matter: the replaced rule fires on both sides of it.
            #expect(!addedExpected.isEmpty && nightAnchors.count > addedExpected.count, "seal-use-at-night alerts: \(nightAnchors.count), after the cut: \(addedExpected.count)")
            #expect(added == addedExpected, "added rule: missing \(addedExpected.subtracting(added).sorted().prefix(5)), extra \(added.subtracting(addedExpected).sorted().prefix(5))")
            let versions = Set(found.filter { $0.key.ruleID == "split-payments" }.map { $0.value[0] ?? "?" })
            #expect(versions.isSubset(of: ["1", "2"]), "\(versions)")

            var outcome = ChaosOutcome(scenario: "rule deploy mid-stream", events: p1.published + p2.published)
            // Compare everything but the added rule (checked above) with the replay.
            let c = try PostgresConnection(s.url)
            _ = try c.execute("DELETE FROM alerts WHERE rule_id = 'seal-use-at-night-2'")
            c.close()
            outcome.faults = ["deploy between the halves: split-payments v1 → v2 (state kept), seal-use-at-night removed, seal-use-at-night-2 added",
                              "split-payments versions stored: \(versions.sorted())", "cut at line \(cut) of \(lines.count)",
                              "old rule: \(nightAnchors.count - addedExpected.count) alerts before, new rule: \(added.count) of \(addedExpected.count) expected after"]
            try Self.conclude(&outcome, s, started: started,
                              only: { $0.ruleID != "seal-use-at-night" || firstHalfIDs.contains($0.anchorEventID) },
                              ignoreVersionOf: ["split-payments"], checkedApart: (addedExpected.count, added.count))
        }
    }

    /// The rule set before and after the deploy (the after-files written to `dir`).
    static func deployRuleSets(in dir: String) throws -> (CompiledRuleSet, CompiledRuleSet) {
        let root = Chaos.root + "/Rules"
        let paths = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".rule") }.sorted()
        let afterDir = dir + "/rules-v2"
        for p in paths {
            var text = try String(contentsOfFile: root + "/" + p, encoding: .utf8)
            if p.hasSuffix("split-payments.rule") {
                text = text.replacingOccurrences(of: "  version 1\n", with: "  version 2\n")
            } else if p.hasSuffix("seal-use-at-night.rule") {
                text = text.replacingOccurrences(of: "rule seal-use-at-night\n", with: "rule seal-use-at-night-2\n")
            }
            let target = afterDir + "/" + p
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: target, atomically: true, encoding: .utf8)
        }
        let a = RuleLoader.compile(paths: [root]), b = RuleLoader.compile(paths: [afterDir])
        guard let rsA = a.ruleSet, let rsB = b.ruleSet else { throw ChaosFailure("rules do not compile: \(a.diagnostics + b.diagnostics)") }
        #expect(rsB.rule(named: "split-payments")?.version == 2)
        #expect(rsB.rule(named: "seal-use-at-night-2") != nil && rsB.rule(named: "seal-use-at-night") == nil)
        return (rsA, rsB)
    }
}

import AlertStore
import Dispatch
import Foundation
import Logging
import RuleCompiler
import RuleLanguage

/// Keeps a running worker on the newest deployed rule version.
///
/// Every `interval` seconds it asks PostgreSQL for the newest version
/// number (one indexed `max()`); when it is newer than the one in force it
/// loads the files, compiles them and hands the rule set to `apply` —
/// `IngestWorker.updateRules`, which switches every shard at its next batch
/// boundary, carrying over the state of rules whose signature is unchanged.
/// A version that does not compile (stored by an older or newer build, or
/// by hand) is refused: the running version stays, the refusal is logged
/// once, and the poller waits for a newer version.
///
/// Blocking libpq calls run on the poller's own serial queue, never on the
/// cooperative pool.
public final class RuleVersionPoller: @unchecked Sendable {
    /// What one poll found.
    public enum Outcome: Sendable, Equatable {
        case unchanged
        case applied(Int)
        case refused(Int)
        case failed(String)
    }

    let databaseURL: String
    let interval: Double
    let logger: Logger
    let apply: @Sendable (CompiledRuleSet, RuleVersion) -> Void
    // Everything below is touched only on `queue` (or under `lock` for the public reads).
    private let queue = DispatchQueue(label: "qianliyan.rule-version-poller")
    private var timer: DispatchSourceTimer?
    private var connection: PostgresConnection?
    private let lock = NSLock()
    private var current: Int?
    private var refused: Int?

    /// `current`: the version the worker started with (nil: rule files, no version).
    public init(databaseURL: String, interval: Double = 2, current: Int?, logger: Logger,
                apply: @escaping @Sendable (CompiledRuleSet, RuleVersion) -> Void) {
        self.databaseURL = databaseURL
        self.interval = interval
        self.current = current
        self.logger = logger
        self.apply = apply
    }

    deinit { timer?.cancel() }

    /// The version handed to the worker last (nil: none yet).
    public var currentVersion: Int? { lock.lock(); defer { lock.unlock() }; return current }
    /// The newest version refused (nil: none).
    public var refusedVersion: Int? { lock.lock(); defer { lock.unlock() }; return refused }

    /// Starts polling every `interval` seconds.
    public func start() {
        queue.sync {
            guard timer == nil else { return }
            let t = DispatchSource.makeTimerSource(queue: queue)
            t.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
            t.setEventHandler { [weak self] in _ = self?.pollOnQueue() }
            t.resume()
            timer = t
        }
    }

    /// Stops polling and closes the connection.
    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            connection?.close()
            connection = nil
        }
    }

    /// Polls once, now (tests, and `run` at start).
    @discardableResult
    public func poll() -> Outcome { queue.sync { pollOnQueue() } }

    private func pollOnQueue() -> Outcome {
        do {
            if connection == nil || connection?.isConnected == false { connection = try PostgresConnection(databaseURL) }
            let store = RuleVersionStore(connection: connection!)
            let (cur, bad) = (currentVersion, refusedVersion)
            guard let newest = try store.latestNumber(), newest > (cur ?? 0), newest != bad else { return .unchanged }
            guard let version = try store.version(newest) else { return .unchanged }
            let compiled = version.bundle.compile()
            guard let rs = compiled.ruleSet else {
                let errors = compiled.diagnostics.filter { $0.severity == .error }
                logger.error("rule version \(version.label) does not compile: refused; the running rules stay",
                             metadata: ["rules.version": "\(version.label)", "rules.errors": "\(errors.count)",
                                        "rules.first_error": "\(errors.first?.headline ?? "?")"])
                lock.lock(); refused = newest; lock.unlock()
                return .refused(newest)
            }
            apply(rs, version)
            lock.lock(); current = newest; lock.unlock()
            logger.notice("rule version \(version.label) handed to the worker", metadata: [
                "rules.version": "\(version.label)", "rules.hash": "\(version.hash.prefix(12))", "rules.author": "\(version.author)"])
            return .applied(newest)
        } catch {
            connection?.close()
            connection = nil
            logger.warning("rule versions not checked: \(error)")
            return .failed("\(error)")
        }
    }
}

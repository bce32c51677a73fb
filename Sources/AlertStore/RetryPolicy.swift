import Logging

/// Exponential backoff for operations that fail with a retriable
/// ``PostgresError`` (lost connection, server restart, serialization
/// failure, deadlock). Anything else is rethrown at once.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; 0 means no limit.
    public var maxAttempts: Int
    /// Delay after the first failure.
    public var initialDelay: Duration
    /// Upper bound of every delay.
    public var maxDelay: Duration
    /// Growth of the delay per failure.
    public var multiplier: Double
    /// Each delay is shortened by a random fraction up to this (0…1), so
    /// many workers do not reconnect in lockstep.
    public var jitter: Double

    /// A policy; the defaults give 8 attempts over about 13 s.
    public init(maxAttempts: Int = 8, initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(10),
                multiplier: Double = 2, jitter: Double = 0.2) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// 8 attempts, 0.1 s doubling up to 10 s (about 13 s in all).
    public static let `default` = RetryPolicy()
    /// Keeps trying forever (a worker waiting for its database).
    public static let forever = RetryPolicy(maxAttempts: 0)

    /// The delay after failed attempt `n` (1-based), before jitter.
    public func delay(afterAttempt n: Int) -> Duration {
        var d = initialDelay
        for _ in 1..<max(n, 1) {
            d = d * multiplier
            if d >= maxDelay { return maxDelay }
        }
        return min(d, maxDelay)
    }

    /// Runs `operation`, retrying retriable ``PostgresError``s with backoff.
    /// Cancellation stops the waiting (it throws `CancellationError`).
    public func run<T>(logger: Logger? = nil,
                       sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                       _ operation: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as PostgresError where error.isRetriable && (maxAttempts == 0 || attempt < maxAttempts) {
                var d = delay(afterAttempt: attempt)
                if jitter > 0 { d = d * (1 - Double.random(in: 0...min(jitter, 1))) }
                logger?.warning("database operation failed, retrying", metadata: [
                    "db.error": "\(error)", "db.attempt": "\(attempt)", "db.retry_in": "\(d)"])
                try await sleep(d)
                attempt += 1
            }
        }
    }
}

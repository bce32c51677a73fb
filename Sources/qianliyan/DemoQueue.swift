import Foundation

/// Starts the analysts' queue for the demo, in process.
enum DemoQueue {
    /// Returns where to look at the alerts.
    static func start(databaseURL: String, listen: String, rulesPaths: [String]) async throws -> String {
        "run `qianliyan alerts list` (the web queue is started by `qianliyan serve`)"
    }
}

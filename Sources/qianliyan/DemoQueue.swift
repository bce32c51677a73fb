import AnalystAPI
import EventModel
import Foundation

/// Starts the analysts' queue for the demo, in process, logged in as a demo analyst.
enum DemoQueue {
    /// Starts the server in the background; returns its address.
    static func start(databaseURL: String, listen: String, rulesPaths: [String], districts: [String]) async throws -> String {
        guard let (host, port) = AnalystServerConfig.parseListen(listen) else { return "(bad --listen \(listen))" }
        let server = AnalystServer(databaseURL: databaseURL,
                                   config: AnalystServerConfig(host: host, port: port, rulesDirectory: rulesPaths.first, demoUser: "demo"))
        try await server.prepare()
        try await server.ensureDemoAnalyst(name: "demo", districts: districts)
        let ready = AsyncStream<Int>.makeStream()
        Task.detached {
            do {
                try await server.run { port in ready.continuation.yield(port); ready.continuation.finish() }
            } catch {
                FileHandle.standardError.write("queue server stopped: \(error)\n")
                ready.continuation.finish()
            }
        }
        var bound = port
        for await p in ready.stream { bound = p }
        return "http://\(host):\(bound)/queue  (logged in as the demo analyst)"
    }

    /// The districts of the villages in a generated reference folder.
    static func districts(referenceDirectory: String) -> [String] {
        guard let d = FileManager.default.contents(atPath: referenceDirectory + "/people.csv"),
              let t = try? CSVTable(parsing: String(decoding: d, as: UTF8.self)), let c = t.column("village") else { return [] }
        return Array(Set(t.rows.compactMap { $0.count > c ? VillageCode($0[c])?.districtCode : nil })).sorted()
    }
}

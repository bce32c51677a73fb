import Foundation
import Testing

/// Runs `Tests/browser/run.sh` (headless Chromium drives the UI: log in,
/// filter, open an alert, assign, close; screenshots in Tests/artifacts/browser)
/// when Debian's chromium is installed (`scripts/test` installs it).
@Suite struct BrowserTests {
    static var chromium: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(dir)/chromium"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static var repository: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    /// The `qianliyan` built next to this test bundle.
    static var binary: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<3 {
            dir.deleteLastPathComponent()
            let candidate = dir.appendingPathComponent("qianliyan").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed"), .timeLimit(.minutes(10)))
    func headlessChromiumWorksTheQueue() throws {
        let bin = try #require(BrowserTests.binary, "build the qianliyan product first (swift build --build-tests builds it)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [BrowserTests.repository.appendingPathComponent("Tests/browser/run.sh").path]
        var env = ProcessInfo.processInfo.environment
        env["QIANLIYAN_BIN"] = bin
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        print(text)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains(", 0 failed"))
    }
}

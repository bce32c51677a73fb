import Foundation

/// Locates the repository's folders from this source file.
enum RepoPaths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Rules").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()
    static var rules: String { root + "/Rules" }
    static var conformance: String { root + "/Tests/Fixtures/conformance/sample-12v" }
}

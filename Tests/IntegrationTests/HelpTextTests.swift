import Foundation
import Testing

/// `--help` of every command and subcommand, as a newcomer reads it.
/// ArgumentParser wraps each line of a discussion to the terminal on its
/// own, so prose hard-wrapped in the source came out ragged and examples
/// wider than the terminal broke mid-command. Rendered without a width limit,
/// each paragraph of prose must be one line, and each example or aligned
/// line must fit in 80 columns.
@Suite struct HelpTextTests {
    static let binary = ReplayIntegrationTests.root + "/.build/debug/qianliyan"

    static func help(_ path: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = path + ["--help"]
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "100000"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Every command path, from the SUBCOMMANDS sections.
    static func commandPaths() throws -> [[String]] {
        var paths: [[String]] = [[]]
        var i = 0
        while i < paths.count {
            let text = try help(paths[i])
            if let r = text.range(of: "SUBCOMMANDS:\n") {
                for line in text[r.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.isEmpty { break }
                    guard !line.hasPrefix("   ") else { continue }
                    let name = line.split(separator: " ").first.map(String.init) ?? ""
                    if !name.isEmpty && name != "help" { paths.append(paths[i] + [name]) }
                }
            }
            i += 1
        }
        return paths
    }

    @Test func discussionsAreReflowedAndExamplesFitIn80Columns() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the CLI first (swift build)")
        let paths = try Self.commandPaths()
        #expect(paths.count > 20)
        for path in paths {
            let text = try Self.help(path)
            let top = text.components(separatedBy: "\nUSAGE:")[0]
            let lines = top.split(separator: "\n", omittingEmptySubsequences: false)
            let command = (["qianliyan"] + path).joined(separator: " ")
            for (n, line) in lines.enumerated() {
                if line.first == " " {
                    #expect(line.count <= 80, "\(command) --help: wider than 80 columns: \(line)")
                }
                guard n > 0, !line.isEmpty, line.first != " " else { continue }
                let before = lines[n - 1]
                let isItem = line.range(of: #"^(\d+\.|-|•) "#, options: .regularExpression) != nil
                let afterProse = !before.isEmpty && before.first != " " && !before.hasSuffix(":")
                #expect(!(afterProse && !isItem), "\(command) --help: prose wrapped in the source: \(before) / \(line)")
            }
        }
    }
}

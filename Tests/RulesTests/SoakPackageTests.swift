import Foundation
import Testing

/// `Benchmarks/soak` builds the engine's modules from symlinks to the main
/// package's sources, with a `Package.swift` of its own: a module those
/// sources start to import must be added there too (CPrefetch was not, and
/// `make soak` stopped building unnoticed).
@Suite struct SoakPackageTests {
    @Test func everyLocalModuleTheSoakSourcesImportIsATargetOfTheSoakPackage() throws {
        let fm = FileManager.default
        let soak = RepoPaths.root + "/Benchmarks/soak"
        let manifest = try String(contentsOfFile: soak + "/Package.swift", encoding: .utf8)
        let localModules = Set(try fm.contentsOfDirectory(atPath: RepoPaths.root + "/Sources"))
        let linked = try fm.contentsOfDirectory(atPath: soak + "/Sources").filter { $0 != "soak" }
        #expect(linked.contains("DetectionRuntime"), "the soak package links the engine's sources: \(linked)")
        var imported = Set<String>()
        var files = 0
        for module in linked + ["soak"] {
            // The links themselves are not walked into: their targets are.
            let dir = URL(fileURLWithPath: soak + "/Sources/" + module).resolvingSymlinksInPath().path
            for file in try fm.subpathsOfDirectory(atPath: dir) where file.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                    imported.insert(String(line.dropFirst("import ".count).prefix { $0 != " " }))
                }
            }
        }
        let needed = imported.intersection(localModules)
        #expect(files > 50 && needed.isSuperset(of: ["EventModel", "RuleCompiler"]), "\(files) files, imports: \(needed.sorted())")
        for module in needed.sorted() {
            #expect(manifest.contains(#".target(name: "\#(module)""#), "Benchmarks/soak/Package.swift lacks the target \(module)")
            #expect(linked.contains(module), "Benchmarks/soak/Sources lacks the link to Sources/\(module)")
        }
    }
}

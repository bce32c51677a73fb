import Foundation
import RuleCompiler
import RuleLanguage

/// Finds and reads rule files (`*.rule`, recursively) and compiles them.
public enum RuleLoader {
    /// The rule files under `path` (or `path` itself when it is a file), sorted.
    public static func ruleFiles(at path: String, ext: String = "rule") -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        if !isDir.boolValue { return [path] }
        var out: [String] = []
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let en = FileManager.default.enumerator(atPath: real) {
            for case let rel as String in en where rel.hasSuffix("." + ext) {
                out.append((path as NSString).appendingPathComponent(rel))
            }
        }
        return out.sorted()
    }

    public static func read(_ paths: [String]) -> ([SourceFile], [Diagnostic]) {
        var files: [SourceFile] = []
        var diags: [Diagnostic] = []
        for p in paths {
            guard let d = FileManager.default.contents(atPath: p), let text = String(data: d, encoding: .utf8) else {
                diags.append(Diagnostic(code: "E0002", severity: .error, message: "cannot read the file as UTF-8 text", path: p))
                continue
            }
            files.append(SourceFile(path: p, text: text))
        }
        return (files, diags)
    }

    /// Reads and compiles every rule file under the given paths.
    public static func compile(paths: [String], overrides: [ParameterResolver.Override] = []) -> RuleSetCompiler.Output {
        let files = paths.flatMap { ruleFiles(at: $0) }
        var (sources, diags) = read(files)
        if files.isEmpty {
            diags.append(Diagnostic(code: "E0003", severity: .error, message: "no .rule files found", path: paths.joined(separator: ", ")))
        }
        var out = RuleSetCompiler.compile(sources, overrides: overrides)
        out.diagnostics = diags + out.diagnostics
        if diags.hasErrors { out.ruleSet = nil }
        return out
    }
}

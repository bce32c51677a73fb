import EventModel
import Foundation
import RuleCompiler
import RuleLanguage

/// A rule set as the rule tools handle it: every rule file (`*.rule`), its
/// example cases (`*.cases`) and the parameters file (`parameters.csv`) of
/// a folder, by path relative to the folder. This is what `rules deploy`
/// stores, what a backtest compares and what workers load.
public struct RuleBundle: Sendable, Hashable {
    /// Relative path → text.
    public var files: [String: String]
    /// Where the files came from (a folder, or `rule_versions/N`), for messages.
    public var origin: String
    /// Prefix of the paths diagnostics and compiled rules show (`Rules/` or `v3:`).
    public var displayPrefix: String

    public init(files: [String: String], origin: String, displayPrefix: String = "") {
        self.files = files
        self.origin = origin
        self.displayPrefix = displayPrefix
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads a folder: its `*.rule` and `*.cases` files (any depth) and `parameters.csv` (top level).
    /// A single `.rule` file is a bundle of one file.
    public static func load(directory: String) throws -> RuleBundle {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw LoadError(message: "\(directory): no such file or folder")
        }
        var files: [String: String] = [:]
        func read(_ path: String, as rel: String) throws {
            guard let d = FileManager.default.contents(atPath: path), let text = String(data: d, encoding: .utf8) else {
                throw LoadError(message: "\(path): cannot read the file as UTF-8 text")
            }
            files[rel] = text
        }
        if !isDir.boolValue {
            try read(directory, as: (directory as NSString).lastPathComponent)
            let dir = (directory as NSString).deletingLastPathComponent
            return RuleBundle(files: files, origin: directory, displayPrefix: dir.isEmpty ? "" : dir + "/")
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for ext in ["rule", "cases"] {
            for path in RuleLoader.ruleFiles(at: directory, ext: ext) {
                let rel = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : (path as NSString).lastPathComponent
                try read(path, as: rel)
            }
        }
        let params = prefix + ParameterFile.name
        if FileManager.default.fileExists(atPath: params) { try read(params, as: ParameterFile.name) }
        return RuleBundle(files: files, origin: directory, displayPrefix: prefix)
    }

    /// Rule files, sorted by path.
    public var ruleFiles: [(path: String, text: String)] {
        files.filter { $0.key.hasSuffix(".rule") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Case files, sorted by path.
    public var caseFiles: [(path: String, text: String)] {
        files.filter { $0.key.hasSuffix(".cases") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The parameters file, when there is one.
    public var parameters: String? { files[ParameterFile.name] }

    /// SHA-256 (hex) of what decides the alerts: the rule files and the
    /// parameters file, by path (cases do not count).
    public var hash: String {
        var bytes: [UInt8] = []
        var parts = ruleFiles
        if let p = parameters { parts.append((ParameterFile.name, p)) }
        for (path, text) in parts {
            let t = Array(text.utf8)
            bytes += Array("\(path)\n\(t.count)\n".utf8) + t + [10]
        }
        return RuleVersionHash.hex(bytes)
    }

    /// Every rule file in path order, each after a `# file: PATH` line: the
    /// `source` column of `rule_versions`, readable as one rule file.
    public var concatenatedSource: String {
        var out = ""
        for (path, text) in ruleFiles {
            out += "# file: \(path)\n" + text
            if !text.hasSuffix("\n") { out += "\n" }
            out += "\n"
        }
        return out
    }

    /// What compiling a bundle gives.
    public struct Compiled {
        public var ruleSet: CompiledRuleSet?
        public var diagnostics: [Diagnostic]
        public var sources: [String: SourceFile]
        /// The parameters file's rows.
        public var parameterRows: [ParameterFile.Row]
    }

    /// Parses the parameters file and compiles the rules with its overrides.
    /// `extra` overrides come after the file's (they win within a scope).
    public func compile(extra: [ParameterResolver.Override] = []) -> Compiled {
        let sources = ruleFiles.map { SourceFile(path: displayPrefix + $0.path, text: $0.text) }
        var diags: [Diagnostic] = []
        if sources.isEmpty {
            diags.append(Diagnostic(code: "E0003", severity: .error, message: "no .rule files found", path: origin))
        }
        var rows: [ParameterFile.Row] = []
        let paramPath = displayPrefix + ParameterFile.name
        if let text = parameters {
            let (r, d) = ParameterFile.parse(text, path: paramPath)
            rows = r
            diags += d
        }
        var out = RuleSetCompiler.compile(sources, overrides: rows.map(\.override) + extra)
        if let rs = out.ruleSet { diags += ParameterFile.check(rows, against: rs, path: paramPath) }
        diags += out.diagnostics
        if diags.hasErrors { out.ruleSet = nil }
        return Compiled(ruleSet: out.ruleSet, diagnostics: diags, sources: out.sources, parameterRows: rows)
    }

    /// A short description of each rule for version records: name, version,
    /// path, a hash of its tokens (comments and layout do not count) and a
    /// hash of its state signature.
    public static func entries(_ ruleSet: CompiledRuleSet, prefix: String) -> [RuleVersion.RuleEntry] {
        ruleSet.rules.map { r in
            RuleVersion.RuleEntry(name: r.name, version: r.version, path: r.path.hasPrefix(prefix) ? String(r.path.dropFirst(prefix.count)) : r.path,
                                  textHash: tokenHash(r.source), signatureHash: String(RuleVersionHash.hex(Array(r.stateSignature.utf8)).prefix(16)))
        }
    }

    /// A hash of a rule's tokens: the same for any layout and comments.
    static func tokenHash(_ source: String) -> String {
        var lexer = Lexer(SourceFile(path: "", text: source))
        let text = lexer.tokenize().map(\.text).joined(separator: " ")
        return String(RuleVersionHash.hex(Array(text.utf8)).prefix(16))
    }
}

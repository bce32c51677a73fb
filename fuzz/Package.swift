// swift-tools-version:6.1
// libFuzzer harnesses for the event decoder and the rule language (issue 8).
// EventModel, RuleLanguage and RuleCompiler are symlinks to the main
// package's sources, so this builds in seconds without the rest of Qianliyan.
// Build and run with `make fuzz` (see fuzz/README.md); the whole package is
// compiled with `--sanitize=fuzzer --sanitize=address --disable-dead-strip`
// so that the library code is coverage-instrumented (the linker's dead
// stripping would drop the coverage counters) and memory errors trap.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
// libFuzzer supplies `main`; the harnesses export LLVMFuzzerTestOneInput.
let harness: [SwiftSetting] = strict + [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "qianliyan-fuzz",
    targets: [
        .target(name: "EventModel", swiftSettings: strict),
        .target(name: "RuleLanguage", swiftSettings: strict),
        .target(name: "RuleCompiler", dependencies: ["RuleLanguage", "EventModel"], swiftSettings: strict),
        .executableTarget(name: "FuzzDecoder", dependencies: ["EventModel"], swiftSettings: harness),
        .executableTarget(name: "FuzzRules", dependencies: ["RuleCompiler", "RuleLanguage", "EventModel"], swiftSettings: harness),
    ]
)

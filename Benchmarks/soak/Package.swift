// swift-tools-version:6.1
// The bounded-memory soak benchmark (issue 8): tens of millions of generated
// events through the streaming engine (decoder → deduplication → reorder
// buffer → compiled rules), sampling live keys, retained entries and RSS.
// The engine's modules are symlinks to the main package's sources, so this
// builds without the adapters. Run: `make soak` (see README.md).
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "soak",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(name: "CByteScan"),
        .target(name: "EventModel", dependencies: ["CByteScan"], swiftSettings: strict),
        .target(name: "RuleLanguage", swiftSettings: strict),
        .target(name: "RuleCompiler", dependencies: ["RuleLanguage", "EventModel"], swiftSettings: strict),
        .target(name: "CPrefetch"),
        .target(name: "DetectionRuntime", dependencies: ["RuleCompiler", "EventModel", "CPrefetch",
            .product(name: "Collections", package: "swift-collections")], swiftSettings: strict),
        .target(name: "LedgerGenerator", dependencies: ["EventModel"], swiftSettings: strict),
        .executableTarget(name: "soak", dependencies: ["DetectionRuntime", "RuleCompiler", "RuleLanguage", "EventModel", "LedgerGenerator"],
                          // Top-level script code sharing globals with a generator thread: Swift 5 mode.
                          swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)

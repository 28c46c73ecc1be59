// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "Tack",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "tack", targets: ["tack"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .systemLibrary(
      name: "CLibGit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    .target(name: "TackGit", dependencies: ["CLibGit2"]),
    .target(name: "TackCore", dependencies: ["TackGit"]),
    .target(name: "TackAccess", dependencies: ["TackCore"]),
    .target(name: "TackMCP", dependencies: ["TackAccess"]),
    .executableTarget(
      name: "tack",
      dependencies: [
        "TackAccess",
        "TackMCP",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Not shipped: in-process timings for scripts/bench.py (`make bench`).
    .executableTarget(name: "tack-bench", dependencies: ["TackAccess"], path: "Sources/TackBench"),
    // Helpers the test targets share (the git CLI, temporary folders); not shipped.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "TackGitTests", dependencies: ["TackGit", "TestSupport"]),
    .testTarget(name: "TackCoreTests", dependencies: ["TackCore", "TestSupport"]),
    .testTarget(name: "TackAccessTests", dependencies: ["TackAccess", "TestSupport"]),
    .testTarget(name: "TackMCPTests", dependencies: ["TackMCP", "TestSupport"]),
    .testTarget(name: "TackEndToEndTests", dependencies: ["tack"]),
  ],
  swiftLanguageModes: [.v6]
)

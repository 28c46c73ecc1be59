// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// libgit2 and the libraries it uses, linked statically when Debian's static archives are
/// there (libgit2-dev installs them): every `tack` command then starts about 1.5 ms sooner
/// (fewer shared libraries to load and relocate), and `--wrap` lets CLibGit2/startup.c load the
/// CA bundle when a TLS connection first needs it instead of at start-up (another ~3 ms), and
/// write new objects without re-reading the pack folder for each.
/// Kerberos has no static archive, so GSSAPI stays a shared library. Elsewhere (no archives,
/// another OS) libgit2 is linked dynamically as usual.
let staticLibGit2: [String]? = {
  #if os(Linux)
    #if arch(x86_64)
      let folder = "/usr/lib/x86_64-linux-gnu/"
    #elseif arch(arm64)
      let folder = "/usr/lib/aarch64-linux-gnu/"
    #else
      return nil
    #endif
    let archives = [
      "libgit2", "libmbedtls", "libmbedx509", "libmbedcrypto", "libhttp_parser", "libssh2",
      "libcrypto", "libpcre2-8", "libz",
    ].map { folder + $0 + ".a" }
    let gssapi = folder + "libgssapi_krb5.so.2"
    guard (archives + [gssapi]).allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
      return nil
    }
    let wrapped = [
      "mbedtls_x509_crt_parse_file", "mbedtls_x509_crt_free", "mbedtls_ssl_setup", "git_odb_write",
    ]
    return ["--start-group"] + archives + ["--end-group", "-l:libgssapi_krb5.so.2"]
      + wrapped.map { "--wrap=" + $0 }
  #else
    return nil
  #endif
}()

let libGit2Linking: [LinkerSetting] =
  if let flags = staticLibGit2 {
    [.unsafeFlags(flags.flatMap { ["-Xlinker", $0] }), .linkedLibrary("pthread")]
  } else {
    // zlib and libcrypto (SHA-1 through OpenSSL's EVP) for CLibGit2's pack writers, libssh2
    // for its known_hosts check; the static archives above hold all three.
    [
      .linkedLibrary("git2"), .linkedLibrary("z"), .linkedLibrary("crypto"),
      .linkedLibrary("ssh2"),
    ]
  }

let package = Package(
  name: "Tack",
  products: [
    .executable(name: "tack", targets: ["tack"]),
    // `tack serve` runs this program (next to `tack`), so that Foundation and SwiftNIO,
    // which Hummingbird brings, stay out of every other command's start-up.
    .executable(name: "tack-serve", targets: ["tack-serve"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // Only TackServe (`tack serve`) uses it; every other target stays free of SwiftNIO.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    // Hummingbird's own dependencies, which TackServe names too (shutdown, log, headers).
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // Tack's one doorway to libgit2 (apt: libgit2-dev): its headers, a few C helpers.
    .target(
      name: "CLibGit2",
      cSettings: staticLibGit2 == nil ? [] : [.define("TACK_STATIC_LIBGIT2")],
      linkerSettings: libGit2Linking
    ),
    .target(name: "TackGit", dependencies: ["CLibGit2"]),
    .target(name: "TackCore", dependencies: ["TackGit"]),
    .target(name: "TackAccess", dependencies: ["TackCore"]),
    .target(name: "TackMCP", dependencies: ["TackAccess"]),
    // `tack serve`: the web board and its JSON API over HTTP, through TackAccess only.
    .target(
      name: "TackServe",
      dependencies: [
        "TackAccess", "TackCore", "TackMCP",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    .executableTarget(
      name: "tack",
      dependencies: [
        "TackAccess",
        "TackMCP",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "tack-serve", dependencies: ["TackServe"], path: "Sources/TackServeMain"),
    // Not shipped: in-process timings for scripts/bench.py (`make bench`).
    .executableTarget(name: "tack-bench", dependencies: ["TackAccess"], path: "Sources/TackBench"),
    // Helpers the test targets share (the git CLI, temporary folders); not shipped.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "TackGitTests", dependencies: ["TackGit", "TestSupport"]),
    .testTarget(name: "TackCoreTests", dependencies: ["TackCore", "TestSupport"]),
    .testTarget(name: "TackAccessTests", dependencies: ["TackAccess", "TestSupport"]),
    .testTarget(name: "TackMCPTests", dependencies: ["TackMCP", "TestSupport"]),
    .testTarget(
      name: "TackEndToEndTests", dependencies: ["tack", "tack-serve"],
      exclude: ["git-http-server.py"]),
  ],
  swiftLanguageModes: [.v6]
)

import Foundation
import Testing

/// `tack sync` over smart HTTP with basic auth (git http-backend behind a small Python
/// server on 127.0.0.1): credentials come from git's credential helpers, never from
/// arguments.
@Suite struct HTTPSyncTests {
  final class Server {
    let process: Process
    let port: Int
    /// The server's standard input: it exits when this closes, even if the test dies.
    let lifeline = Pipe()

    /// Serves over TLS when `certificate` (a PEM file with the certificate and its key) is given.
    init(root: String, user: String, password: String, certificate: String? = nil) throws {
      process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("git-http-server.py").path
      process.arguments =
        ["python3", script, root, user, password] + (certificate.map { [$0] } ?? [])
      let output = Pipe()
      process.standardInput = lifeline
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      var line = Data()
      while !line.contains(UInt8(ascii: "\n")) {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line.append(chunk)
      }
      guard
        let port = Int(
          String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
      else {
        throw SandboxError(description: "the git http server did not start")
      }
      self.port = port
    }

    deinit {
      process.terminate()
      try? lifeline.fileHandleForWriting.close()
    }
  }

  @Test func syncOverHTTPUsesGitsCredentialHelper() throws {
    let sandbox = try Sandbox(.board())
    let served = sandbox.root + "/served"
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    try sandbox.git(["init", "-q", "--bare", "-b", "main", "repo.git"], in: served)
    try sandbox.git(["config", "http.receivepack", "true"], in: served + "/repo.git")
    let server = try Server(root: served, user: "ada", password: "s3cret")
    let url = "http://127.0.0.1:\(server.port)/repo.git"
    try sandbox.git(["remote", "add", "origin", url])
    _ = try sandbox.add("over http")

    // No credentials: refused with a message that says where they come from; nothing pushed.
    try sandbox.git([
      "config", "--global", "credential.helper", "store --file=\(sandbox.root)/credentials",
    ])
    let refused = try sandbox.tack(["sync"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("credential"))
    #expect(
      try sandbox.gitOutput(["rev-parse", "--verify", "-q", "main"], in: served + "/repo.git")
        .status != 0)

    // With credentials in git's store, the sync pushes, and a second clone fetches over HTTP.
    try Data("http://ada:s3cret@127.0.0.1:\(server.port)\n".utf8).write(
      to: URL(fileURLWithPath: sandbox.root + "/credentials"))
    #expect(try sandbox.ok(["sync"]).contains("pushed"))
    #expect(
      try sandbox.git(["rev-parse", "main"], in: served + "/repo.git")
        == (try sandbox.git(["rev-parse", "main"])))
    let clone = sandbox.root + "/b"
    try sandbox.git(["clone", "-q", url, clone], in: sandbox.root)
    _ = try sandbox.add("second")
    try sandbox.ok(["sync"])
    #expect(try sandbox.ok(["--repo", clone, "sync"], in: clone).contains("fast-forward"))
    #expect(
      try sandbox.ok(["--repo", clone, "list", "--fields", "title"], in: clone)
        == "over http\nsecond\n")
  }

  /// Two clones both claim one task and sync over smart HTTP: the side whose claim lost is
  /// told (text and --json), as over a local remote.
  @Test func theSideWhoseClaimLostIsToldOverHTTP() throws {
    let clones = try Clones()
    try clones.sandbox.git(["config", "http.receivepack", "true"], in: clones.remote)
    let server = try Server(root: clones.sandbox.root, user: "ada", password: "s3cret")
    try clones.sandbox.git([
      "config", "--global", "credential.helper",
      "store --file=\(clones.sandbox.root)/credentials",
    ])
    try Data("http://ada:s3cret@127.0.0.1:\(server.port)\n".utf8).write(
      to: URL(fileURLWithPath: clones.sandbox.root + "/credentials"))
    try clones.useRemote("http://127.0.0.1:\(server.port)/remote.git")
    try clones.claimRace()
    try clones.sandbox.expectFsckClean()
  }

  /// Over https the CA bundle, which libgit2 would parse at start-up, is loaded by the first
  /// TLS connection (CLibGit2/startup.c): a server whose certificate no CA signed is refused, and
  /// the refusal says why.
  @Test func syncOverHTTPSRefusesAnUntrustedCertificate() throws {
    let sandbox = try Sandbox(.board())
    let served = sandbox.root + "/served"
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    try sandbox.git(["init", "-q", "--bare", "-b", "main", "repo.git"], in: served)
    let pem = sandbox.root + "/server.pem"
    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    openssl.arguments = [
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", pem, "-out", pem,
    ]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    try #require(openssl.terminationStatus == 0)
    let server = try Server(root: served, user: "ada", password: "s3cret", certificate: pem)
    try sandbox.git(["remote", "add", "origin", "https://127.0.0.1:\(server.port)/repo.git"])
    _ = try sandbox.add("over https")

    let refused = try sandbox.tack(["sync"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("certificate"), "\(refused.stderr)")
    #expect(
      try sandbox.gitOutput(["rev-parse", "--verify", "-q", "main"], in: served + "/repo.git")
        .status != 0)
  }
}

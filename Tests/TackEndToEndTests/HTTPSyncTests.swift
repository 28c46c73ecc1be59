import Foundation
import Testing

/// `tack sync` over smart HTTP with basic auth (git http-backend behind a small Python
/// server on 127.0.0.1): credentials come from git's credential helpers, never from
/// arguments.
@Suite struct HTTPSyncTests {
  final class Server {
    let process: Process
    let port: Int

    init(root: String, user: String, password: String) throws {
      process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("git-http-server.py").path
      process.arguments = ["python3", script, root, user, password]
      let output = Pipe()
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

    deinit { process.terminate() }
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
}

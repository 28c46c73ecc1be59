import Foundation

/// The `git` CLI for tests: fixtures build and inspect real repositories with it, with no
/// system or user configuration leaking in (HOME is the repository, no system config).
public enum TestGit {
  /// Runs git in `folder` and returns its stdout; throws with git's stderr on a non-zero exit
  /// unless `allowFailure`.
  @discardableResult
  public static func run(
    _ arguments: [String], in folder: String, environment extra: [String: String] = [:],
    allowFailure: Bool = false
  ) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", folder] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = folder
    environment.merge(extra) { $1 }
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 && !allowFailure {
      throw TestGitError(
        description:
          "git \(arguments.joined(separator: " ")) failed: \(String(decoding: errorData, as: UTF8.self))"
      )
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Commits `content` at `path` on `branch` with plain git plumbing (no working tree, no
  /// index of the repository's own): another writer moving the branch, as a person or a
  /// script would, without Tack's lock.
  public static func commitFile(
    in repository: String, branch: String = "main", path: String, content: String,
    message: String
  ) throws {
    let scratch = try temporaryFolder("commit-file")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try Data(content.utf8).write(to: URL(fileURLWithPath: scratch + "/content"))
    let index = [
      "GIT_INDEX_FILE": scratch + "/index", "GIT_AUTHOR_NAME": "Hand",
      "GIT_AUTHOR_EMAIL": "hand@example.com", "GIT_COMMITTER_NAME": "Hand",
      "GIT_COMMITTER_EMAIL": "hand@example.com",
    ]
    func git(_ arguments: [String]) throws -> String {
      try run(arguments, in: repository, environment: index)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    _ = try git(["read-tree", branch])
    let blob = try git(["hash-object", "-w", scratch + "/content"])
    _ = try git(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"])
    let tree = try git(["write-tree"])
    let commit = try git(["commit-tree", tree, "-p", branch, "-m", message])
    _ = try git(["update-ref", "refs/heads/" + branch, commit])
  }

  /// A new empty folder under the system's temporary directory.
  public static func temporaryFolder(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

public struct TestGitError: Error, CustomStringConvertible {
  public var description: String
}

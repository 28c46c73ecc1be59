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

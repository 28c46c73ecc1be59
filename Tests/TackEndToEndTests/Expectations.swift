import Foundation
import Testing

/// The checks every write and every refusal must pass, in one place so each test states only
/// what is particular to it.
extension Sandbox {
  /// True when the repository has a working tree that git can inspect.
  var hasWorkingTree: Bool {
    !bare && FileManager.default.fileExists(atPath: repo + "/.git")
  }

  /// The tip of main, or nil when main has no commit (or there is no repository).
  func tipIfAny() throws -> String? {
    guard bare || hasWorkingTree else { return nil }
    let output = try gitOutput(["rev-parse", "--verify", "-q", Self.branch])
    return output.status == 0 ? output.stdout.trimmingCharacters(in: .newlines) : nil
  }

  /// Runs a tack write and checks the contract of every write: exit 0 and nothing on stderr;
  /// exactly one new commit on main, on top of the old tip; its subject is
  /// `<board>: <first 8 characters of the ULID> <what>`; its trailers name the task, board,
  /// action, status and actor; author and committer are the git identity; the commit touches
  /// only the task's file; in a working tree `git status` stays clean and every file the
  /// commit touched is on disk exactly as committed.
  @discardableResult
  func expectOneCommit(
    _ arguments: [String], task id: String?, board: String = "main", action: String,
    status: String?, what: String? = nil, env: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> (output: Output, commit: Commit) {
    let before = try commitCount()
    let oldTip = try tip()
    let output = try tack(arguments, env: env)
    try #require(
      output.status == 0, "tack \(arguments):\n\(output)", sourceLocation: sourceLocation)
    #expect(output.stderr.isEmpty, "tack \(arguments):\n\(output)", sourceLocation: sourceLocation)
    #expect(
      try commitCount() == before + 1, "tack \(arguments) must make exactly one commit",
      sourceLocation: sourceLocation)
    let commit = try lastCommit()
    #expect(commit.parents == [oldTip], sourceLocation: sourceLocation)
    if let id {
      // `<board>: <short id> <title> — <what>`, within 72 characters for ordinary titles.
      let short = String(id.dropFirst(15).prefix(5)).lowercased()
      #expect(
        commit.subject.hasPrefix("\(board): \(short) "), "subject: \(commit.subject)",
        sourceLocation: sourceLocation)
      #expect(
        commit.subject.count <= 72, "subject: \(commit.subject)", sourceLocation: sourceLocation)
      if let what {
        // What happened, whole, or cut with … to keep the subject within 72 characters.
        let said = commit.subject.components(separatedBy: " — ").last ?? ""
        #expect(
          said == what || (said.hasSuffix("…") && what.hasPrefix(said.dropLast())),
          "subject: \(commit.subject)", sourceLocation: sourceLocation)
      }
      #expect(
        commit.trailer("Tack-Task") == id, "\(commit.message)", sourceLocation: sourceLocation)
      #expect(
        commit.files == [Self.taskPath(id, board: board)], "\(commit.files)",
        sourceLocation: sourceLocation)
    } else if let what {
      #expect(commit.subject == "\(board): \(what)", sourceLocation: sourceLocation)
    }
    #expect(
      commit.trailer("Tack-Board") == board, "\(commit.message)", sourceLocation: sourceLocation)
    #expect(
      commit.trailer("Tack-Action") == action, "\(commit.message)", sourceLocation: sourceLocation)
    if let status {
      #expect(
        commit.trailer("Tack-Status") == status, "\(commit.message)",
        sourceLocation: sourceLocation)
    }
    #expect(
      commit.trailer("Tack-Actor") == Self.actor, "\(commit.message)",
      sourceLocation: sourceLocation)
    #expect(commit.authorName == Self.name, sourceLocation: sourceLocation)
    #expect(commit.authorEmail == Self.email, sourceLocation: sourceLocation)
    #expect(commit.committerName == Self.name, sourceLocation: sourceLocation)
    #expect(commit.committerEmail == Self.email, sourceLocation: sourceLocation)
    if !bare {
      #expect(
        try self.status() == "", "git status after tack \(arguments)",
        sourceLocation: sourceLocation)
      for path in commit.files {
        #expect(
          onDisk(path) == (try committed(path)), "\(path) on disk differs from main",
          sourceLocation: sourceLocation)
      }
    }
    return (output, commit)
  }

  /// Runs a tack command that must fail: exit `code`, nothing on stdout, one `tack: error:`
  /// message on stderr mentioning each of `mentions`; no new commit; in a working tree,
  /// `git status` and the bytes of `paths` are unchanged.
  @discardableResult
  func expectRefused(
    _ arguments: [String], exit code: Int32, mentions: [String] = [], paths: [String] = [],
    env: [String: String] = [:], in folder: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Output {
    let tipBefore = try tipIfAny()
    let statusBefore = hasWorkingTree ? try status() : nil
    let bytesBefore = paths.map { onDisk($0) }
    let output = try tack(arguments, env: env, in: folder)
    #expect(
      output.status == code, "tack \(arguments) should exit \(code):\n\(output)",
      sourceLocation: sourceLocation)
    #expect(output.stdout.isEmpty, "tack \(arguments):\n\(output)", sourceLocation: sourceLocation)
    #expect(
      output.stderr.hasPrefix("tack: error: "), "tack \(arguments):\n\(output)",
      sourceLocation: sourceLocation)
    for mention in mentions {
      #expect(
        output.stderr.contains(mention),
        "stderr should mention \(mention.debugDescription):\n\(output)",
        sourceLocation: sourceLocation)
    }
    #expect(
      try tipIfAny() == tipBefore, "tack \(arguments) must not commit",
      sourceLocation: sourceLocation)
    if let statusBefore {
      #expect(try status() == statusBefore, sourceLocation: sourceLocation)
    }
    for (path, before) in zip(paths, bytesBefore) {
      #expect(onDisk(path) == before, "\(path) changed on disk", sourceLocation: sourceLocation)
    }
    return output
  }
}

/// Parses `2026-11-25T18:41:12.635Z`.
func parseTimestamp(_ text: String?) -> Date? {
  guard let text else { return nil }
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
  return formatter.date(from: text)
}

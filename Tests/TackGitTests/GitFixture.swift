import Foundation
import TestSupport
import TackGit

/// A temporary git repository made by the `git` CLI, removed when the fixture goes away.
final class GitFixture {
  let path: String

  init(bare: Bool = false) throws {
    path = try TestGit.temporaryFolder("tackgit")
    try git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
    try git(["config", "user.name", "Fixture"])
    try git(["config", "user.email", "fixture@example.com"])
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Runs git in the repository and returns its stdout; throws on a non-zero exit.
  @discardableResult
  func git(_ arguments: [String], allowFailure: Bool = false) throws -> String {
    try TestGit.run(arguments, in: path, allowFailure: allowFailure)
  }

  func write(_ relative: String, _ text: String) throws {
    let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }

  func read(_ relative: String) throws -> String {
    String(
      decoding: try Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent(relative)),
      as: UTF8.self)
  }

  var commitCount: Int {
    Int(
      (try? git(["rev-list", "--count", "main"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        ?? "") ?? 0
  }
}

let author = Signature(name: "Ada Agent", email: "ada@agents.example")
let committer = Signature(name: "Tack", email: "tack@localhost")

func request(_ files: [String: String?], _ message: String) -> CommitRequest {
  CommitRequest(
    changes: files.sorted { $0.key < $1.key }.map {
      FileChange(path: $0.key, content: $0.value.map { Array($0.utf8) })
    },
    message: message, author: author, committer: committer)
}

/// Numbered one-commit writes on `main`: write `n` (from 1) commits the files `files(n)`.
final class NumberedWrites {
  private let repository: Repository
  private let files: (Int) -> [String: String?]
  private(set) var written = 0

  init(_ repository: Repository, files: @escaping (Int) -> [String: String?]) {
    self.repository = repository
    self.files = files
  }

  func callAsFunction(_ count: Int) throws {
    for _ in 0..<count {
      written += 1
      let n = written
      try repository.update(branch: "refs/heads/main") { _ in request(files(n), "write \(n)") }
    }
  }
}

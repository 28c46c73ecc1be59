import Foundation
import TestSupport

@testable import TackCore

/// A temporary board repository with a store opened on it, removed afterwards.
final class StoreFixture {
  let path: String
  let store: Store
  /// The clock the store reads; tests move it forward to expire leases.
  let clock = TestClock()

  static let alice = Actor(
    id: "alice@example.com", kind: .person, name: "Alice", email: "alice@example.com")
  static let bot = Actor(id: "bot", kind: .agent, name: "Bot", email: "bot@agents.example")

  init(bare: Bool = true, board: String = "main") throws {
    path = try TestGit.temporaryFolder("tackcore")
    try Self.git(
      path, bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
    store = try Store.openOrCreate(at: path).store
    _ = try store.initialize(board: board, actor: Self.alice)
    let clock = self.clock
    store.now = { clock.now }
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  @discardableResult
  func git(_ arguments: [String]) throws -> String { try Self.git(path, arguments) }

  /// Packs in the repository (`git count-objects`).
  var packCount: Int {
    let counts = (try? git(["count-objects", "-v"])) ?? ""
    let line = counts.split(separator: "\n").first { $0.hasPrefix("packs: ") }
    return line.flatMap { Int($0.dropFirst(7)) } ?? -1
  }

  /// Plain git, committing as a person ("Hand") when a test edits files by hand.
  @discardableResult
  static func git(_ path: String, _ arguments: [String]) throws -> String {
    try TestGit.run(
      arguments, in: path,
      environment: [
        "GIT_AUTHOR_NAME": "Hand", "GIT_AUTHOR_EMAIL": "hand@example.com",
        "GIT_COMMITTER_NAME": "Hand", "GIT_COMMITTER_EMAIL": "hand@example.com",
      ])
  }

  /// Edits the main board's `board.json` by hand (a plain git commit): `status` may move
  /// only to `next` from now on.
  func restrictMoves(from status: String, to next: [String]) throws {
    let path = "boards/main/board.json"
    let board = try JSONValue.parse(Array(try git(["show", "main:\(path)"]).utf8))
    guard case .object(var fields) = board, case .array(var statuses)? = fields["statuses"]
    else { throw TackError.invalidInput("unexpected board.json") }
    for index in statuses.indices {
      guard case .object(var entry) = statuses[index], entry["name"] == .string(status)
      else { continue }
      entry["next"] = .array(next.map { .string($0) })
      statuses[index] = .object(entry)
    }
    fields["statuses"] = .array(statuses)
    try TestGit.commitFile(
      in: self.path, path: path,
      content: JSONValue.object(fields).serialized(pretty: true) + "\n", message: "by hand")
  }

  var commitCount: Int {
    Int(
      (try? git(["rev-list", "--count", "main"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        ?? "") ?? 0
  }

  /// Runs `body` and checks that it throws `expected` and leaves the branch where it was.
  func expectRefusal(_ expected: (TackError) -> Bool, _ body: () throws -> Void) -> Bool {
    let before = try? git(["rev-parse", "main"])
    do {
      try body()
      return false
    } catch let error as TackError {
      return expected(error) && (try? git(["rev-parse", "main"])) == before
    } catch {
      return false
    }
  }
}

final class TestClock: @unchecked Sendable {
  private let lock = NSLock()
  private var current = Timestamp(milliseconds: 1_790_000_000_000)

  var now: Timestamp { lock.withLock { current } }

  func advance(seconds: Int64) { lock.withLock { current = current.adding(seconds: seconds) } }
}

import Foundation
import Testing

/// A board repository (`a`, the sandbox's), a bare remote it pushes to, and a second clone
/// (`b`, with its own identity): how two people or agents share a board.
struct Clones {
  let sandbox: Sandbox
  let a: String
  let b: String

  init(installMergeDriver: Bool = false) throws {
    sandbox = try Sandbox(.board())
    a = sandbox.repo
    let remote = sandbox.root + "/remote.git"
    b = sandbox.root + "/b"
    try sandbox.git(["clone", "-q", "--bare", a, remote], in: sandbox.root)
    try sandbox.git(["remote", "add", "origin", remote], in: a)
    try sandbox.git(["clone", "-q", remote, b], in: sandbox.root)
    try sandbox.git(["config", "user.name", "Bea"], in: b)
    try sandbox.git(["config", "user.email", "bea@example.com"], in: b)
    if installMergeDriver { try sandbox.ok(["install-merge-driver"], in: b) }
  }

  /// Runs tack in one clone; requires exit 0 and returns stdout.
  @discardableResult
  func tack(_ clone: String, _ arguments: [String]) throws -> String {
    try sandbox.ok(["--repo", clone] + arguments, in: clone)
  }
}

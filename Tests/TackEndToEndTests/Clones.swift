import Foundation
import Testing

/// A board repository (`a`, the sandbox's), a bare remote it pushes to, and a second clone
/// (`b`, with its own identity): how two people or agents share a board.
struct Clones {
  let sandbox: Sandbox
  let a: String
  let b: String
  /// The bare "origin" both clones sync with.
  let remote: String

  init(installMergeDriver: Bool = false) throws {
    sandbox = try Sandbox(.board())
    a = sandbox.repo
    remote = sandbox.root + "/remote.git"
    b = sandbox.root + "/b"
    try sandbox.git(["clone", "-q", "--bare", a, remote], in: sandbox.root)
    try sandbox.git(["remote", "add", "origin", remote], in: a)
    try sandbox.git(["clone", "-q", remote, b], in: sandbox.root)
    try sandbox.git(["config", "user.name", "Bea"], in: b)
    try sandbox.git(["config", "user.email", "bea@example.com"], in: b)
    if installMergeDriver { try sandbox.ok(["install-merge-driver"], in: b) }
  }

  /// Points both clones' `origin` at `url` (the same bare remote, served over a transport).
  func useRemote(_ url: String) throws {
    for clone in [a, b] { try sandbox.git(["remote", "set-url", "origin", url], in: clone) }
  }

  /// Runs tack in one clone; requires exit 0 and returns stdout.
  @discardableResult
  func tack(
    _ clone: String, _ arguments: [String], env: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    try sandbox.ok(
      ["--repo", clone] + arguments, env: env, in: clone, sourceLocation: sourceLocation)
  }

  static let bea = "bea@example.com"

  /// Both clones claim one task and sync, twice over `origin` (whatever transport it is):
  /// the side whose claim lost is told, in text when it merges the other's claim itself,
  /// and in `--json` when a fast-forward brings a merge made by the other side. `env` goes
  /// to every tack (an ssh agent's socket).
  func claimRace(env: [String: String] = [:]) throws {
    func sync(_ clone: String, _ extra: [String] = []) throws -> String {
      try tack(clone, ["sync"] + extra, env: env)
    }
    let first = try tack(a, ["add", "Claimed twice"]).trimmingCharacters(in: .newlines)
    let second = try tack(a, ["add", "Claimed twice again"]).trimmingCharacters(in: .newlines)
    _ = try sync(a)
    #expect(try sync(b).contains("fast-forward"))

    // A's claim runs 1 h, B's 2 h: B's wins whoever syncs first.
    try tack(a, ["claim", first, "--lease", "1h"])
    try tack(b, ["claim", first, "--lease", "2h"])
    let pushedFirst = try sync(b)
    #expect(!pushedFirst.contains("decided against"), "\(pushedFirst)")
    let told = try sync(a)
    #expect(told.contains("merged"), "\(told)")
    #expect(
      told.contains(
        "\(first) \"Claimed twice\": decided against this side: lease: the claim by \(Self.bea), which runs longer"
      ), "\(told)")
    #expect(told.split(separator: "\n").count == 2, "\(told)")
    #expect(try tack(a, ["show", first, "--json"]).contains("\"assignee\": \"\(Self.bea)\""))

    // Now A pushes first; B merges (its claim wins, nothing against B) and pushes; A's next
    // sync is a fast-forward that carries B's merge, and A is told.
    _ = try sync(b)
    try tack(a, ["claim", second, "--lease", "1h"])
    try tack(b, ["claim", second, "--lease", "2h"])
    _ = try sync(a)
    let merged = try sync(b)
    #expect(merged.contains("merged") && !merged.contains("decided against"), "\(merged)")
    let json = try sync(a, ["--json"])
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(report["merge"] as? String == "fast-forward")
    let overruled = try #require(report["overruled"] as? [[String: Any]], "\(json)")
    #expect(overruled.count == 1)
    #expect(overruled.first?["task"] as? String == second)
    #expect(overruled.first?["title"] as? String == "Claimed twice again")
    let decisions = try #require(overruled.first?["decisions"] as? [[String: Any]])
    #expect(decisions.count == 1)
    #expect(decisions.first?["field"] as? String == "lease")
    #expect(decisions.first?["kept"] as? String == "theirs")
    #expect(
      decisions.first?["reason"] as? String
        == "lease: the claim by \(Self.bea), which runs longer")
    // Both sides agree, and a sync with nothing new tells nothing.
    #expect(
      try sandbox.git(["rev-parse", "main"], in: a)
        == (try sandbox.git(["rev-parse", "main"], in: b)))
    #expect(try sync(a) == "Synced with origin: up to date, pushed.\n")
  }
}

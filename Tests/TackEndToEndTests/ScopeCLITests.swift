import Foundation
import Testing

/// Scoping through the real binary: `--as`, `TACK_PRINCIPAL` and `tack scope`, with escape
/// attempts that must be refused with nothing written.
@Suite struct ScopeCLITests {
  /// Boards main and ops; tasks on main, on ops with label deploy, on ops with label secret;
  /// agents `deployer` (ops, label deploy) and `reader` (ops, read only).
  final class Cast {
    let sandbox: Sandbox
    let mainTask: String
    let deployTask: String
    let secretTask: String

    init() throws {
      sandbox = try Sandbox(.board())
      try sandbox.ok(["board", "add", "ops"])
      mainTask = try sandbox.add("main work")
      deployTask = try sandbox.add("deploy v2", ["--board", "ops", "--label", "deploy"])
      secretTask = try sandbox.add("rotate keys", ["--board", "ops", "--label", "secret"])
      try sandbox.ok([
        "scope", "add", "deployer", "--kind", "agent", "--name", "Deploy Bot", "--email",
        "deployer@agents.example",
      ])
      try sandbox.ok([
        "scope", "grant", "deployer", "--board", "ops", "--label", "deploy", "--can",
        "read,create,edit,transition,comment,claim",
      ])
      try sandbox.ok(["scope", "add", "reader", "--kind", "agent"])
      try sandbox.ok(["scope", "grant", "reader", "--board", "ops", "--can", "read"])
    }
  }

  @Test func escapesThroughTheCLIAreRefusedAndWriteNothing() throws {
    let cast = try Cast()
    let s = cast.sandbox
    let short = String(cast.secretTask.dropFirst(5).prefix(12))
    let attempts: [([String], Int32)] = [
      (["--as", "deployer", "show", cast.mainTask], 2),
      (["--as", "deployer", "show", cast.secretTask], 2),
      (["--as", "deployer", "show", short], 2),
      (["--as", "deployer", "log", cast.secretTask], 2),
      (["--as", "deployer", "list", "--board", "main"], 2),
      (["--as", "deployer", "board", "show", "main"], 2),
      (["--as", "deployer", "add", "on main"], 2),
      (["--as", "deployer", "note", cast.mainTask, "x"], 2),
      (["--as", "deployer", "start", cast.secretTask], 2),
      (["--as", "deployer", "edit", cast.deployTask, "--remove-label", "deploy"], 9),
      (["--as", "deployer", "scope", "grant", "deployer", "--board", "*", "--can", "admin"], 9),
      (["--as", "deployer", "board", "add", "mine"], 9),
      (["--as", "reader", "add", "x", "--board", "ops"], 9),
      (["--as", "reader", "start", cast.deployTask], 9),
      (["--as", "reader", "note", cast.deployTask, "x"], 9),
      (["--as", "reader", "claim", cast.deployTask], 9),
      (["--as", "reader", "edit", cast.deployTask, "--title", "x"], 9),
      (["--as", "reader", "scope", "list"], 9),
      (["--as", "ghost", "list"], 9),
      (["--as", "../x", "list"], 4),
      (["--as", "deployer", "list", "--board", "../main"], 4),
      (["--as", "deployer", "add", "x", "--board", "ops", "--label", "a\nb"], 4),
    ]
    for (arguments, code) in attempts {
      try s.expectRefused(arguments, exit: code)
    }
    // The same through TACK_PRINCIPAL.
    try s.expectRefused(["show", cast.mainTask], exit: 2, env: ["TACK_PRINCIPAL": "deployer"])
  }

  @Test func aHiddenTaskReadsExactlyLikeAMissingOne() throws {
    let cast = try Cast()
    let missing = "task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    let hidden = try cast.sandbox.tack(["--as", "deployer", "show", cast.secretTask])
    let absent = try cast.sandbox.tack(["--as", "deployer", "show", missing])
    #expect(hidden.status == absent.status)
    #expect(
      hidden.stderr.replacingOccurrences(of: cast.secretTask, with: "ID")
        == absent.stderr.replacingOccurrences(of: missing, with: "ID"))
  }

  @Test func aScopedAgentWorksAndItsCommitsAreItsOwn() throws {
    let cast = try Cast()
    let s = cast.sandbox
    let listed = try s.ok(["--as", "deployer", "list", "--json"])
    #expect(
      listed.contains(cast.deployTask) && !listed.contains(cast.secretTask)
        && !listed.contains(cast.mainTask))
    #expect(try s.ok(["--as", "deployer", "board", "list"]) == "ops\n")
    let id = try s.ok(["--as", "deployer", "add", "hotfix", "--board", "ops"]).trimmingCharacters(
      in: .newlines)
    #expect(try s.ok(["--as", "deployer", "show", id, "--json"]).contains("\"deploy\""))
    try s.ok(["--as", "deployer", "claim", id])
    let commit = try s.lastCommit()
    #expect(
      try s.git(["log", "-1", "--format=%an <%ae>"]) == "Deploy Bot <deployer@agents.example>\n")
    #expect(commit.trailers["Tack-Actor"] == ["agent:deployer"])
    #expect(
      try s.ok(["scope", "list"]).contains(
        "deployer (agent, Deploy Bot <deployer@agents.example>): ops [deploy]"))
    #expect(try s.ok(["--as", "reader", "scope", "show", "reader"]).contains("ops: read"))
    let audit = try s.git(["log", "--format=%s", "--", ".tack/scopes.json"])
    #expect(audit.split(separator: "\n").count == 4)
  }
}

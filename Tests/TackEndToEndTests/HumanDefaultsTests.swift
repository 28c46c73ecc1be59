import Foundation
import Testing

/// `tack list` as people use it: finished tasks hidden unless asked, `--status open`,
/// `--assignee me`/`--mine`, prefixes and local parts, `--label a,b`.
@Suite struct HumanDefaultsTests {
  /// Four tasks: open (todo), claimed by ada (working), completed, and one claimed by
  /// bob@example.com through a second identity.
  final class Board {
    let sandbox: Sandbox
    let open: String
    let mine: String
    let finished: String
    let bobs: String

    init() throws {
      sandbox = try Sandbox()
      open = try sandbox.add("Open work", ["--label", "ops", "--label", "db"])
      mine = try sandbox.add("Mine", ["--label", "ops"])
      finished = try sandbox.add("Finished", ["--label", "ops"])
      bobs = try sandbox.add("Bob's")
      try sandbox.ok(["claim", mine])
      try sandbox.ok(["done", finished])
      try sandbox.git(["config", "user.email", "bob@example.com"])
      try sandbox.ok(["claim", bobs])
      try sandbox.git(["config", "user.email", Sandbox.email])
    }

    /// The full ids `tack list` selects with `arguments` (through --fields, then the table).
    func listed(_ arguments: [String]) throws -> [String] {
      try sandbox.ok(["list", "--fields", "id"] + arguments).split(separator: "\n").map(
        String.init)
    }

    func tableShows(_ arguments: [String], _ id: String) throws -> Bool {
      let table = try sandbox.ok(["list"] + arguments, env: ["COLUMNS": "200"])
      // A short id is the beginning of the ULID's random part, in lower case.
      return table.split(separator: "\n").dropFirst().contains {
        id.dropFirst(15).lowercased().hasPrefix($0.prefix { $0 != " " })
      }
    }
  }

  @Test func theTableHidesFinishedTasksUnlessAsked() throws {
    let board = try Board()
    #expect(try !board.tableShows([], board.finished))
    #expect(try board.tableShows([], board.open))
    #expect(try board.tableShows(["--all"], board.finished))
    #expect(try board.tableShows(["--status", "completed"], board.finished))
    // Scripts keep every status: --fields and --json are unchanged by the default.
    #expect(try board.listed([]).contains(board.finished))
    let json = try JSON.parse(board.sandbox.ok(["list", "--json"]))
    #expect(json["tasks"]?.array?.count == 4)
    // `ls` is `list`.
    #expect(try board.sandbox.ok(["ls"]) == board.sandbox.ok(["list"]))
    // Nothing open: stderr says why the table is empty.
    let empty = try board.sandbox.tack(["list", "--text", "Finished"])
    #expect(empty.status == 0 && empty.stdout.isEmpty, "\(empty)")
    #expect(empty.stderr.contains("--all"), "\(empty)")
  }

  @Test func statusOpenIsEveryNonTerminalStatusOfTheTasksBoard() throws {
    let board = try Board()
    #expect(
      Set(try board.listed(["--status", "open"])) == [board.open, board.mine, board.bobs])
    #expect(
      Set(try board.listed(["--status", "open", "--status", "completed"]))
        == [board.open, board.mine, board.bobs, board.finished])
    let json = try JSON.parse(board.sandbox.ok(["list", "--status", "open", "--json"]))
    #expect(json["tasks"]?.array?.count == 3)
    try board.sandbox.expectRefused(["list", "--all", "--status", "open"], exit: 4)
  }

  @Test func assigneeMeMinePrefixesAndLocalParts() throws {
    let board = try Board()
    #expect(try board.listed(["--assignee", "me"]) == [board.mine])
    #expect(try board.listed(["--mine"]) == [board.mine])
    #expect(try board.listed(["--assignee", Sandbox.email]) == [board.mine])
    let local = try board.sandbox.tack(["list", "--fields", "id", "--assignee", "bob"])
    #expect(local.stdout == board.bobs + "\n", "\(local)")
    #expect(local.stderr.contains("bob@example.com"), "says how it read bob: \(local)")
    #expect(try board.listed(["--assignee", "bo"]) == [board.bobs])
    #expect(Set(try board.listed(["--assignee", ""])) == [board.open, board.finished])
    // Nothing matches: an empty list (exit 0) and a hint naming the assignees there are.
    let none = try board.sandbox.tack(["list", "--assignee", "carol"])
    #expect(none.status == 0 && none.stdout.isEmpty, "\(none)")
    #expect(none.stderr.contains("No listed task is assigned to carol"), "\(none)")
    #expect(none.stderr.contains("bob@example.com") && none.stderr.contains(Sandbox.email))
    // Two assignees start the same way: refused, naming both.
    try board.sandbox.git(["config", "user.email", "bonnie@example.com"])
    try board.sandbox.ok(["claim", board.open])
    try board.sandbox.expectRefused(
      ["list", "--assignee", "bo"], exit: 4, mentions: ["bob@example.com", "bonnie@example.com"])
    try board.sandbox.expectRefused(["list", "--mine", "--assignee", "bob"], exit: 4)
  }

  @Test func labelsSeparatedByCommasAllMatch() throws {
    let board = try Board()
    #expect(try board.listed(["--label", "ops,db"]) == [board.open])
    #expect(try board.listed(["--label", "ops", "--label", "db"]) == [board.open])
    #expect(Set(try board.listed(["--label", "ops"])) == [board.open, board.mine, board.finished])
    try board.sandbox.expectRefused(["list", "--label", "ops,Bad"], exit: 4, mentions: ["Bad"])
  }
}

/// A mistyped command gets the closest one; aliases `ls`, `new`, `close` work.
@Suite struct CommandSuggestionTests {
  @Test func anUnknownCommandGetsTheClosestOne() throws {
    let sandbox = try Sandbox()
    for (typed, meant) in [("lsit", "list"), ("shwo", "show"), ("boadr", "board"), ("nwe", "new")] {
      let output = try sandbox.tack([typed])
      #expect(output.status == 64, "\(output)")
      #expect(
        output.stderr == "tack: error: unknown command '\(typed)'. Did you mean '\(meant)'?\n",
        "\(output)")
    }
    let far = try sandbox.tack(["--repo", sandbox.repo, "frobnicate"])
    #expect(far.status == 64)
    #expect(far.stderr.contains("unknown command 'frobnicate'") && far.stderr.contains("--help"))
  }

  @Test func aliasesNewAndCloseAndHelpNamesThem() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.ok(["new", "Aliased"]).trimmingCharacters(in: .newlines)
    #expect(Sandbox.isTaskID(id))
    #expect(try sandbox.ok(["close", id]).contains("→ completed"))
    let help = try sandbox.ok(["--help"])
    for line in ["list, ls", "add, new", "done, close"] {
      #expect(help.contains(line), "\(help)")
    }
  }
}

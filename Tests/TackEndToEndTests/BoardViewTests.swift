import Foundation
import Testing

/// `tack board show` (and a bare `tack board`): the terminal view, its JSON and the old
/// statuses description.
@Suite struct BoardViewTests {
  static let plain = ["NO_COLOR": "1", "COLUMNS": "80"]

  /// main with two todo tasks (one with a title longer than any column), one claimed task in
  /// working, one completed.
  final class Board {
    let sandbox: Sandbox
    let long: String
    let short: String
    let claimed: String
    let finished: String

    init() throws {
      sandbox = try Sandbox()
      long = try sandbox.add(
        "Rotate the TLS certificates on every load balancer in the fleet",
        ["--label", "ops", "--label", "security"])
      short = try sandbox.add("Docs")
      claimed = try sandbox.add("Check disk usage on db-2")
      finished = try sandbox.add("Write the release notes")
      try sandbox.ok(["claim", claimed])
      try sandbox.ok(["done", finished])
    }

    /// The short id `tack list` shows for `id`.
    func shortID(_ id: String) throws -> String {
      let shown = try sandbox.ok(["list"]).split(separator: "\n").dropFirst().map {
        String($0.prefix { $0 != " " })
      }
      return try #require(shown.first { id.dropFirst(15).lowercased().hasPrefix($0) })
    }
  }

  @Test func theViewFitsEightyColumnsWithoutColour() throws {
    let board = try Board()
    let text = try board.sandbox.ok(["board", "show"], env: Self.plain)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.first == "Board main  (4 tasks)")
    #expect(!text.contains("\u{1B}"), "no ANSI escapes with NO_COLOR")
    for line in lines {
      #expect(line.count <= 80, "wider than 80 columns: \(line.debugDescription)")
      #expect(!line.hasSuffix(" "), "trailing spaces: \(line.debugDescription)")
    }
    let header = try #require(lines.first { $0.hasPrefix("todo (") })
    #expect(header.contains("todo (2)"))
    #expect(header.contains("working (1)"))
    #expect(header.contains("input_required (0)"))
    #expect(!header.contains("completed"), "terminal columns do not fit in 80 columns")
    #expect(lines.contains("Also: completed (1), failed (0), cancelled (0)"))
    // The long title is cut with an ellipsis, after the same short id `tack list` shows.
    let longID = try board.shortID(board.long)
    let longLine = try #require(lines.first { $0.hasPrefix(longID + " ") })
    #expect(longLine.contains("Rotate the"))
    #expect(longLine.contains("…"))
    #expect(!longLine.contains("fleet"))
    #expect(lines.contains { $0.hasPrefix("  #ops #security") })
    // The claimed task is in the second column, with its assignee below it.
    let claimedLine = try #require(lines.first { $0.contains(try board.shortID(board.claimed)) })
    #expect(
      claimedLine.firstRange(of: try board.shortID(board.claimed))!.lowerBound
        > claimedLine.startIndex)
    #expect(text.contains("@\(Sandbox.email)"))
    #expect(!text.contains(try board.shortID(board.finished)), "terminal tasks only counted")

    // A bare `tack board` is the same view.
    #expect(try board.sandbox.ok(["board"], env: Self.plain) == text)
  }

  @Test func wideTerminalsShowTheTerminalColumnsAndNarrowOnesStack() throws {
    let board = try Board()
    let wide = try board.sandbox.ok(
      ["board", "show", "main"], env: ["NO_COLOR": "1", "COLUMNS": "200"])
    let header = try #require(wide.split(separator: "\n").first { $0.hasPrefix("todo (") })
    for column in [
      "todo (2)", "working (1)", "input_required (0)", "completed (1)", "failed (0)",
      "cancelled (0)",
    ] {
      #expect(header.contains(column), "\(header)")
    }
    #expect(wide.contains(try board.shortID(board.finished) + " Write the"))
    #expect(wide.split(separator: "\n").allSatisfy { $0.count <= 200 })

    let narrow = try board.sandbox.ok(["board"], env: ["NO_COLOR": "1", "COLUMNS": "30"])
    let lines = narrow.split(separator: "\n").map(String.init)
    #expect(lines.allSatisfy { $0.count <= 30 }, "\(narrow)")
    for section in ["todo (2)", "working (1)", "input_required (0)"] {
      #expect(lines.contains(section), "\(narrow)")
    }
  }

  @Test func colourOnlyOnATerminal() throws {
    let board = try Board()
    // Not a terminal (the test's pipe): no colour even without NO_COLOR.
    let text = try board.sandbox.ok(["board"], env: ["COLUMNS": "80"])
    #expect(!text.contains("\u{1B}"))
  }

  @Test func jsonHasTheBoardAndOneColumnPerStatus() throws {
    let board = try Board()
    let json = try JSON.parse(board.sandbox.ok(["board", "show", "--json"]))
    #expect(json["board"]?["name"]?.string == "main")
    #expect(json["board"]?["initialStatus"]?.string == "todo")
    let columns = try #require(json["columns"]?.array)
    #expect(
      columns.compactMap { $0["status"]?.string }
        == ["todo", "working", "input_required", "completed", "failed", "cancelled"])
    #expect(columns.map { $0["count"] } == ["2", "1", "0", "1", "0", "0"].map { .number($0) })
    #expect(
      columns[0]["tasks"]?.array?.compactMap { $0["taskId"]?.string } == [board.long, board.short])
    #expect(columns[1]["tasks"]?.array?.first?["assignee"]?.string == Sandbox.email)
    #expect(columns[3]["tasks"]?.array?.first?["taskId"]?.string == board.finished)
  }

  @Test func statusesDescribeTheStateMachine() throws {
    let sandbox = try Sandbox()
    let text = try sandbox.ok(["board", "show", "--statuses"])
    #expect(text.hasPrefix("Board main\nNew tasks start in todo.\n"))
    #expect(text.contains("  todo            → working, completed, cancelled   (MCP: working)"))
    #expect(text.contains("  completed       terminal   (MCP: completed)"))
    try sandbox.expectRefused(["board", "show", "nowhere", "--statuses"], exit: 2)
  }

  @Test func watchRedrawsWhenTheBranchMoves() throws {
    let sandbox = try Sandbox()
    let watcher = try sandbox.start(
      Programs.tack.get(), ["board", "--watch"], env: Self.plain, in: sandbox.repo)
    Thread.sleep(forTimeInterval: 1.0)
    _ = try sandbox.add("Added")
    Thread.sleep(forTimeInterval: 1.5)
    watcher.process.interrupt()
    let output = try watcher.wait()
    let drawings = output.stdout.components(separatedBy: "Board main").count - 1
    #expect(drawings == 2, "\(output)")
    #expect(output.stdout.contains(" Added\n"))
    #expect(output.stdout.contains("Ctrl-C to stop"))
  }
}

/// "Did you mean …?" for a mistyped board or status, among the names the principal can see.
@Suite struct SuggestionTests {
  @Test func aMistypedBoardOrStatusGetsTheClosestName() throws {
    let sandbox = try Sandbox()
    try sandbox.ok(["board", "add", "ops"])
    let id = try sandbox.add("Task")
    try sandbox.expectRefused(
      ["board", "show", "mian"], exit: 2, mentions: ["no board mian", "Did you mean main?"])
    try sandbox.expectRefused(
      ["list", "--board", "opz"], exit: 2, mentions: ["Did you mean ops?"])
    try sandbox.expectRefused(
      ["list", "--status", "wroking"], exit: 4, mentions: ["Did you mean working?"])
    try sandbox.expectRefused(
      ["move", id, "complete"], exit: 4, mentions: ["Did you mean completed?"])
    let far = try sandbox.expectRefused(["board", "show", "elsewhere"], exit: 2)
    #expect(!far.stderr.contains("Did you mean"), "\(far)")
  }

  @Test func hiddenBoardsAreNeverSuggested() throws {
    let sandbox = try Sandbox()
    try sandbox.ok(["board", "add", "ops"])
    try sandbox.ok(["scope", "add", "bot", "--kind", "agent"])
    try sandbox.ok(["scope", "grant", "bot", "--board", "ops", "--can", "read"])
    let hidden = try sandbox.expectRefused(["--as", "bot", "board", "show", "mian"], exit: 2)
    #expect(!hidden.stderr.contains("Did you mean"), "\(hidden)")
    try sandbox.expectRefused(
      ["--as", "bot", "board", "show", "opx"], exit: 2, mentions: ["Did you mean ops?"])
  }
}

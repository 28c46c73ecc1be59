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
      let shown = try sandbox.ok(["list", "--all"]).split(separator: "\n").dropFirst().map {
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
    // Only statuses holding tasks get a column; the empty ones are counted below.
    let header = try #require(lines.first { $0.hasPrefix("todo (") })
    #expect(header.contains("todo (2)"))
    #expect(header.contains("working (1)"))
    #expect(header.contains("completed (1)"), "the terminal column fits once empty ones go")
    #expect(!header.contains("input_required"), "empty columns collapse: \(text)")
    #expect(lines.contains("Also: input_required (0), failed (0), cancelled (0)"), "\(text)")
    // The long title wraps onto a second line under its first word, then is cut with "…",
    // after the same short id `tack list` shows.
    let longID = try board.shortID(board.long)
    let first = try #require(lines.firstIndex { $0.hasPrefix(longID + " ") })
    #expect(lines[first].hasPrefix(longID + " Rotate the TLS"), "\(text)")
    let second = lines[first + 1]
    #expect(second.hasPrefix(String(repeating: " ", count: longID.count + 1) + "certificates"))
    #expect(second.prefix(25).contains("…"), "\(text)")
    #expect(!text.contains("fleet"))
    #expect(lines.contains { $0.hasPrefix("  #ops #security") })
    // The claimed task is in the second column, with its compact assignee below it.
    let claimedLine = try #require(lines.first { $0.contains(try board.shortID(board.claimed)) })
    #expect(
      claimedLine.firstRange(of: try board.shortID(board.claimed))!.lowerBound
        > claimedLine.startIndex)
    #expect(text.contains("@ada"))
    #expect(!text.contains("@\(Sandbox.email)"), "assignees show the local part only")

    // A bare `tack board` is the same view, and so is --board.
    #expect(try board.sandbox.ok(["board"], env: Self.plain) == text)
    #expect(try board.sandbox.ok(["board", "--board", "main"], env: Self.plain) == text)
  }

  @Test func wideTerminalsShowWholeTitlesAndNarrowOnesStack() throws {
    let board = try Board()
    let wide = try board.sandbox.ok(
      ["board", "show", "main"], env: ["NO_COLOR": "1", "COLUMNS": "200"])
    let lines = wide.split(separator: "\n").map(String.init)
    let header = try #require(lines.first { $0.hasPrefix("todo (") })
    for column in ["todo (2)", "working (1)", "completed (1)"] {
      #expect(header.contains(column), "\(header)")
    }
    // Columns are as wide as their cards: the view is narrower than the terminal.
    #expect(lines.allSatisfy { $0.count < 150 }, "\(wide)")
    // The whole long title, on two lines.
    let longID = try board.shortID(board.long)
    let first = try #require(lines.firstIndex { $0.hasPrefix(longID + " ") })
    // The second line starts under the title's first word; the break falls where the
    // column's width (which depends on the ids' length) puts it.
    let indent = String(repeating: " ", count: longID.count + 1)
    #expect(
      lines[first + 1].hasPrefix(indent) && lines[first + 1].dropFirst(indent.count).first != " ")
    // Each line's first cell ends where two spaces lead to the next column.
    func cell(_ line: String) -> String {
      String(line.dropFirst(indent.count)).components(separatedBy: "  ")[0]
    }
    let joined = cell(lines[first]) + " " + cell(lines[first + 1])
    #expect(
      joined.hasPrefix("Rotate the TLS certificates on every load balancer in the fleet"),
      "\(wide)")
    #expect(!wide.contains("…"), "\(wide)")
    #expect(wide.contains(try board.shortID(board.finished) + " Write the release notes"))

    let narrow = try board.sandbox.ok(["board"], env: ["NO_COLOR": "1", "COLUMNS": "30"])
    let narrowLines = narrow.split(separator: "\n").map(String.init)
    #expect(narrowLines.allSatisfy { $0.count <= 30 }, "\(narrow)")
    for section in ["todo (2)", "working (1)"] {
      #expect(narrowLines.contains(section), "\(narrow)")
    }
    #expect(narrow.contains("completed (1)"), "terminal statuses counted: \(narrow)")
  }

  @Test func everyBoardAtOnceAndAnUnknownBoardOption() throws {
    let board = try Board()
    try board.sandbox.ok(["board", "add", "infra"])
    _ = try board.sandbox.add("Patch the kernel", ["--board", "infra"])
    let infra = try board.sandbox.ok(["board", "--board", "infra"], env: Self.plain)
    #expect(infra.hasPrefix("Board infra  (1 task)\n"), "\(infra)")
    #expect(infra.contains("Patch the kernel") && !infra.contains("Docs"))
    let all = try board.sandbox.ok(["board", "--all"], env: Self.plain)
    #expect(all.contains("Board main  (4 tasks)") && all.contains("Board infra  (1 task)"))
    let json = try JSON.parse(board.sandbox.ok(["board", "--all", "--json"]))
    #expect(
      json["boards"]?.array?.compactMap { $0["board"]?["name"]?.string } == ["infra", "main"])
    let twice = try board.sandbox.tack(["board", "main", "--board", "infra"])
    #expect(twice.status == 64 && twice.stderr.contains("two boards given"), "\(twice)")
    try board.sandbox.expectRefused(["board", "--board", "nope"], exit: 2, mentions: ["no board"])
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

/// `--watch` on a terminal of 24 rows: the view is drawn from the top and cut to the
/// terminal's height, so the heading stays in sight however many tasks there are.
@Suite struct BoardWatchHeightTests {
  @Test func theHeadingStaysOnATwentyFourRowTerminal() throws {
    let sandbox = try Sandbox()
    for number in 1...30 { _ = try sandbox.add("Task number \(number)") }
    let terminal = try PseudoTerminal(columns: 80, rows: 24)
    var environment = sandbox.environment
    environment["NO_COLOR"] = "1"
    let screen = try terminal.run(
      Programs.tack.get(), ["board", "--watch"], environment: environment, in: sandbox.repo,
      timeout: 2)
    let drawn = try #require(screen.components(separatedBy: "\u{1B}[H\u{1B}[2J").last)
    let lines = drawn.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(screen.hasPrefix("\u{1B}[H\u{1B}[2J"), "drawn from the top: \(screen.debugDescription)")
    #expect(lines.first == "Board main  (30 tasks)", "\(drawn)")
    #expect(lines.count <= 24, "no line scrolls the heading away: \(lines.count)\n\(drawn)")
    #expect(drawn.contains("more lines: a taller terminal shows them"), "\(drawn)")
    #expect(drawn.contains("Ctrl-C to stop"))
    #expect(lines.allSatisfy { $0.count <= 80 })
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

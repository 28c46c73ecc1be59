import Foundation
import Testing

/// Mistakes a user can make map to their documented exit codes, print one `tack: error:` line
/// on stderr and nothing on stdout, and never commit.
@Suite struct ErrorTests {
  @Test func unknownTaskIsNotFound() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("The only task")
    let absent = "task_" + String(repeating: "0", count: 25) + "1"
    try sandbox.expectRefused(["show", absent], exit: 2, mentions: [absent])
    try sandbox.expectRefused(["note", absent, "hello"], exit: 2)
    try sandbox.expectRefused(["move", absent, "working"], exit: 2)
    try sandbox.expectRefused(["log", absent], exit: 2)
    try sandbox.expectRefused(["show", "ZZZZZZ"], exit: 2)
    try sandbox.expectRefused(["claim", "zzzzzz"], exit: 2)
  }

  @Test func tooShortIDsAreInvalidInput() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Task")
    try sandbox.expectRefused(["show", "01M"], exit: 4, mentions: ["4"])
  }

  /// Text no id can contain (U is not Crockford base32) is simply no task, as an unknown id
  /// is: not "invalid base32".
  @Test func idsNoTaskCanHaveAreNotFound() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Task")
    for text in ["k3fu", "U1234", "not-an-id!", "task_" + String(repeating: "0", count: 27)] {
      try sandbox.expectRefused(["show", text], exit: 2, mentions: ["no task \(text)"])
    }
    try sandbox.expectRefused(["done", "uuuu"], exit: 2, mentions: ["no task uuuu"])
  }

  @Test func ambiguousShortID() throws {
    let sandbox = try Sandbox()
    // A ULID starts with 10 characters of milliseconds, so two quick adds share a prefix of
    // 6 or more characters; add tasks until two share at least 4.
    var ids: [String] = []
    var shared = ""
    while shared.count < 4 && ids.count < 6 {
      ids.append(try sandbox.add("Task \(ids.count)"))
      let ulids = ids.map { Array($0.dropFirst(5)) }.sorted { String($0) < String($1) }
      for (a, b) in zip(ulids, ulids.dropFirst()) {
        let common = String(zip(a, b).prefix { $0 == $1 }.map(\.0))
        if common.count > shared.count { shared = common }
      }
    }
    try #require(shared.count >= 4, "no two of \(ids) share 4 characters")
    let matching = ids.filter { $0.dropFirst(5).hasPrefix(shared) }
    #expect(matching.count >= 2)
    try sandbox.expectRefused(["show", shared], exit: 3, mentions: Array(matching.prefix(5)))
    try sandbox.expectRefused(["note", shared.lowercased(), "which one?"], exit: 3)
    try sandbox.expectRefused(["done", "task_" + shared], exit: 3)

    // One more character (or the whole id) picks one of them.
    for id in matching {
      let ulid = String(id.dropFirst(5))
      let unique =
        ids.filter { $0 != id }.map { String($0.dropFirst(5)) }
        .map { other in zip(ulid, other).prefix { $0 == $1 }.count }.max()! + 1
      let short = String(ulid.prefix(max(unique, 4)))
      for form in [short, short.lowercased(), "task_" + short, "TASK_" + short.lowercased(), id] {
        let shown = try JSON.parse(sandbox.ok(["show", form, "--json"]))
        #expect(shown["taskId"]?.string == id, "tack show \(form)")
      }
    }
  }

  @Test func unknownBoard() throws {
    let sandbox = try Sandbox()
    try sandbox.expectRefused(
      ["add", "Lost", "--board", "nowhere"], exit: 2, mentions: ["nowhere"])
    try sandbox.expectRefused(["list", "--board", "nowhere"], exit: 2, mentions: ["nowhere"])
    try sandbox.expectRefused(["board", "show", "nowhere"], exit: 2, mentions: ["nowhere"])
  }

  @Test(arguments: [
    "../x", "A", "a/b", "a\u{1}", "-a", "_a", "a b", "ä", ".hidden", "",
    String(repeating: "a", count: 65),
  ])
  func invalidBoardNames(_ name: String) throws {
    let sandbox = try Sandbox()
    let files = try sandbox.trackedFiles()
    // `--` and `--option=value` keep names such as "-a" from being read as options (and
    // `--option=` with nothing after it is a usage error, so "" goes as its own argument).
    let option = { (flag: String) in name.isEmpty ? [flag, ""] : ["\(flag)=\(name)"] }
    try sandbox.expectRefused(["board", "add", "--", name], exit: 4)
    try sandbox.expectRefused(["add", "Task"] + option("--board"), exit: 4)
    try sandbox.expectRefused(["list"] + option("--board"), exit: 4)
    #expect(try sandbox.trackedFiles() == files)
    #expect(try sandbox.status() == "")
  }

  @Test func longestBoardNameIsAccepted() throws {
    let sandbox = try Sandbox()
    let name = String(repeating: "b", count: 64)
    try sandbox.expectOneCommit(
      ["board", "add", name], task: nil, board: name, action: "board-add", status: nil)
  }

  @Test(arguments: ["Bad", "a/b", "../x", "x\u{7}", String(repeating: "l", count: 65)])
  func invalidLabels(_ label: String) throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Labelled")
    try sandbox.expectRefused(["add", "New", "--label=\(label)"], exit: 4)
    try sandbox.expectRefused(["edit", id, "--add-label=\(label)"], exit: 4)
    try sandbox.expectRefused(["list", "--label=\(label)"], exit: 4)
  }

  @Test func invalidTitles() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Fine")
    for title in ["", "   ", "two\nlines", "bell\u{7}", String(repeating: "t", count: 301)] {
      try sandbox.expectRefused(["add", "--", title], exit: 4)
      try sandbox.expectRefused(
        ["edit", id] + (title.isEmpty ? ["--title", ""] : ["--title=\(title)"]), exit: 4)
    }
    try sandbox.expectRefused(["note", id, ""], exit: 4)
    try sandbox.expectRefused(["note", id, "nul-free but \u{1b}[31mred"], exit: 4)
    // Without flags, edit opens the editor; one that fails changes nothing.
    try sandbox.expectRefused(
      ["edit", id], exit: 4, env: ["EDITOR": "false", "VISUAL": "", "TMPDIR": sandbox.root])
    // With no editor chosen and no terminal, it refuses rather than start vi blind.
    try sandbox.expectRefused(
      ["edit", id], exit: 4, mentions: ["--title"], env: ["EDITOR": "", "VISUAL": ""])
    #expect(try sandbox.storedTask(id)["title"]?.string == "Fine")
  }

  @Test func existingBoardCannotBeAddedAgain() throws {
    let sandbox = try Sandbox()
    try sandbox.expectRefused(["board", "add", "main"], exit: 4, mentions: ["main"])
  }

  @Test func notAGitRepository() throws {
    let sandbox = try Sandbox(.empty)
    for arguments in [
      ["list"], ["add", "Nowhere"], ["show", "0123"], ["board", "list"], ["check"],
    ] {
      try sandbox.expectRefused(arguments, exit: 7, mentions: ["tack init"])
    }
    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/.git"))
  }

  @Test func repositoryWithoutTackInit() throws {
    let sandbox = try Sandbox(.git)
    for arguments in [
      ["list"], ["add", "Too early"], ["show", "0123"], ["board", "list"], ["board", "add", "x"],
      ["check"],
    ] {
      try sandbox.expectRefused(arguments, exit: 7, mentions: ["tack init"])
    }
    #expect(try sandbox.tipIfAny() == nil)
  }

  @Test func detachedHeadIsNotABoardBranch() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Before")
    try sandbox.git(["checkout", "-q", "--detach"])
    try sandbox.expectRefused(["add", "Detached"], exit: 7)
  }

  @Test func usageErrors() throws {
    let sandbox = try Sandbox()
    for arguments in [["frobnicate"], ["add"], ["show"], ["move", "0123"], ["list", "--bogus"]] {
      let output = try sandbox.tack(arguments)
      #expect(output.status == 64, "tack \(arguments):\n\(output)")
      #expect(output.stdout.isEmpty, "tack \(arguments):\n\(output)")
    }
  }
}

import Foundation
import Testing

/// `tack add/edit --priority --due --blocked-by`, `tack dep`, `tack ready`, `tack next`,
/// with the real binary.
@Suite struct PlanningCLITests {
  @Test func readyListsStartableWorkMostUrgentFirst() throws {
    let sandbox = try Sandbox()
    let schema = try sandbox.add("Design schema", ["--priority", "high"])
    let migration = try sandbox.add(
      "Write migration", ["--blocked-by", schema, "--due", "2026-12-24"])
    let typo = try sandbox.add("Fix typo", ["--priority", "backlog"])
    let bug = try sandbox.add("Urgent bug", ["--priority", "0"])

    let ready = try JSON.parse(sandbox.ok(["ready", "--json"]))["tasks"]?.array ?? []
    #expect(ready.compactMap { $0["taskId"]?.string } == [bug, schema, typo])
    #expect(ready.first?["priority"] == .number("0"))
    let text = try sandbox.ok(["ready"])
    #expect(text.hasPrefix("ID") && text.contains("critical") && !text.contains("Write migration"))

    // What blocks a task, both ways.
    let deps = try JSON.parse(sandbox.ok(["dep", "list", migration, "--json"]))
    #expect(deps["blockedBy"]?.array?.first?["taskId"]?.string == schema)
    #expect(deps["blockedBy"]?.array?.first?["open"]?.bool == true)
    let blocks = try JSON.parse(sandbox.ok(["dep", "list", schema, "--json"]))["blocks"]?.array
    #expect(blocks?.first?["taskId"]?.string == migration)

    // show and board mark what is blocked, and by what.
    let shown = try sandbox.ok(["show", migration])
    #expect(shown.contains("Waits for: \(schema) (todo, blocks this: Design schema)"), "\(shown)")
    #expect(shown.contains("Due:      2026-12-24"), "\(shown)")
    #expect(try sandbox.ok(["show", schema]).contains("Priority: 1 (high)"))
    let board = try sandbox.ok(["board"], env: ["COLUMNS": "120", "NO_COLOR": "1"])
    #expect(board.contains("blocked"), "\(board)")

    // Once the blocker is done, the migration is ready, with its due date.
    try sandbox.ok(["start", schema])
    try sandbox.ok(["done", schema])
    let after = try JSON.parse(sandbox.ok(["ready", "--json"]))["tasks"]?.array ?? []
    #expect(after.compactMap { $0["taskId"]?.string } == [bug, migration, typo])
    #expect(after[1]["due"]?.string == "2026-12-24")
    #expect(try sandbox.ok(["show", migration]).contains("(completed, done: Design schema)"))
    #expect(!(try sandbox.ok(["board"], env: ["COLUMNS": "120"]).contains("blocked")))
  }

  @Test func badPlanningInputIsRefusedAndChangesNothing() throws {
    let sandbox = try Sandbox()
    let a = try sandbox.add("A")
    let b = try sandbox.add("B", ["--blocked-by", a])
    let before = try sandbox.tip()
    for arguments in [
      ["add", "x", "--priority", "urgent"], ["add", "x", "--due", "2026-02-31"],
      ["add", "x", "--blocked-by", "task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"],
      ["dep", "add", a, b], ["dep", "add", a, a], ["dep", "remove", a, b],
      ["edit", a, "--priority", "9"],
    ] {
      let output = try sandbox.tack(arguments)
      #expect(output.status != 0, "\(arguments): \(output)")
      #expect(output.stderr.contains("tack: error:"), "\(arguments): \(output)")
    }
    #expect(try sandbox.tack(["dep", "add", a, b]).stderr.contains("cycle"))
    #expect(try sandbox.tip() == before)

    try sandbox.ok(["edit", a, "--priority", "low", "--due", "2027-01-31"])
    #expect(try sandbox.storedTask(a)["priority"] == .number("3"))
    try sandbox.ok(["edit", a, "--due", "none"])
    #expect(try sandbox.storedTask(a)["due"] == nil)
    try sandbox.ok(["dep", "remove", b, a])
    #expect(try sandbox.storedTask(b)["links"]?.array?.isEmpty == true)
  }

  /// Six `tack next` processes at once (and a seventh): each gets a different task, none is
  /// claimed twice, and the one with nothing left exits 10. Three rounds.
  @Test(arguments: 1...3)
  func nextUnderContentionGivesEveryCallerADifferentTask(round: Int) throws {
    let sandbox = try Sandbox()
    let workers = 6
    var ids: [String] = []
    for number in 1...workers { ids.append(try sandbox.add("job \(number)")) }
    let tack = try Programs.tack.get()
    let running = try (1...workers + 1).map { _ in
      try sandbox.start(
        tack, ["next", "--json"], env: [:],
        in: sandbox.repo)
    }
    var claimed: [String] = []
    var nothing = 0
    for process in running {
      let output = try process.wait()
      if output.status == 10 {
        nothing += 1
        continue
      }
      #expect(output.status == 0, "\(output)")
      if let id = try JSON.parse(output.stdout)["task"]?["taskId"]?.string { claimed.append(id) }
    }
    #expect(claimed.sorted() == ids.sorted(), "\(claimed)")
    #expect(nothing == 1)
    #expect(try sandbox.tack(["next"]).status == 10)
  }
}

import Foundation
import Testing

/// The command line takes what people type: titles and notes without quotes, several ids,
/// notes from standard input, clear words for a zero lease.
@Suite struct ForgivingInputTests {
  @Test func titlesAndNotesNeedNoQuotes() throws {
    let s = try Sandbox()
    let id = try s.ok(["add", "Fix", "the", "login", "bug", "--label", "web"])
      .trimmingCharacters(in: .newlines)
    let task = try JSON.parse(s.ok(["show", id, "--json"]))
    #expect(task["title"]?.string == "Fix the login bug")
    #expect(task["labels"] == .array([.string("web")]))
    try s.expectOneCommit(
      ["note", id, "Seen", "on", "Safari", "only"], task: id, action: "note", status: "todo")
    let notes = try JSON.parse(s.ok(["show", id, "--json"]))["notes"]?.array ?? []
    #expect(notes.last?["text"]?.string == "Seen on Safari only")
  }

  @Test func aNoteFromStandardInput() throws {
    let s = try Sandbox()
    let id = try s.add("Write the runbook")
    let output = try s.tack(
      ["note", id, "-"], stdin: "Step 1: page the on-call.\nStep 2: wait.\n\n")
    #expect(output.status == 0, "\(output)")
    let notes = try JSON.parse(s.ok(["show", id, "--json"]))["notes"]?.array ?? []
    #expect(notes.map { $0["text"]?.string } == ["Step 1: page the on-call.\nStep 2: wait."])
    try s.expectRefused(["note", id, "-"], exit: 4, mentions: ["standard input was empty"])
    // Without text, without an editor and without a terminal: say what to give.
    try s.expectRefused(
      ["note", id], exit: 4, mentions: ["standard input"], env: ["EDITOR": "", "VISUAL": ""])
  }

  @Test func severalIdsAreEachTheirOwnWriteWithASummary() throws {
    let s = try Sandbox()
    let a = try s.add("One")
    let b = try s.add("Two")
    let c = try s.add("Three")
    try s.ok(["done", b])
    let before = try s.commitCount()
    // The middle one fails (already completed); the others are done regardless.
    let output = try s.tack(["done", a, b, c])
    #expect(output.status == 5, "\(output)")
    #expect(try s.commitCount() == before + 2)
    #expect(output.stdout.split(separator: "\n").count == 2, "\(output)")
    #expect(output.stderr.contains("terminal"), "\(output)")
    #expect(output.stderr.hasSuffix("2 of 3 moved to completed; failed: \(b).\n"), "\(output)")
    for id in [a, b, c] {
      #expect(try JSON.parse(s.ok(["show", id, "--json"]))["status"]?.string == "completed")
    }
    let subjects = try s.git(["log", "--format=%s", "-2", Sandbox.branch])
    #expect(
      subjects.contains("One — todo → completed") && subjects.contains("Three — todo → completed"))
    // An unknown id in the middle: exit 2, the rest still claimed; all good: exit 0.
    let d = try s.add("Four")
    let e = try s.add("Five")
    let claimed = try s.tack(["claim", d, "k3fu", e])
    #expect(claimed.status == 2, "\(claimed)")
    #expect(claimed.stderr.contains("no task k3fu"), "\(claimed)")
    let started = try s.tack(["release", d, e])
    #expect(started.status == 0 && started.stderr == "2 of 2 released.\n", "\(started)")
  }

  @Test func aZeroLeaseSaysWhatToDo() throws {
    let s = try Sandbox()
    let id = try s.add("Task")
    for lease in ["0", "0m", "0h0m"] {
      try s.expectRefused(
        ["claim", id, "--lease", lease], exit: 4, mentions: ["no time at all", "tack release"])
    }
  }
}

import Foundation
import Testing

/// `tack undo [ID]` with the real binary: one new commit, your own latest change only.
@Suite struct UndoCLITests {
  @Test func undoesAMoveWithItsNote() throws {
    let s = try Sandbox()
    let id = try s.add("Rotate the certificates")
    try s.ok(["start", id, "--note", "Starting with staging"])
    let (output, commit) = try s.expectOneCommit(
      ["undo", id], task: id, action: "undo", status: "todo",
      what: "undo status working → todo, assignee, note")
    #expect(output.stdout.contains("undone: main: "), "\(output)")
    #expect(commit.message.contains("Undoes "))
    let task = try JSON.parse(s.ok(["show", id, "--json"]))
    #expect(task["status"]?.string == "todo")
    #expect(task["notes"]?.array?.isEmpty == true)
    try s.expectRefused(["undo", id], exit: 4, mentions: ["does not undo an undo"])
  }

  @Test func withoutAnIdItTakesYourLatestChange() throws {
    let s = try Sandbox()
    let a = try s.add("First")
    let b = try s.add("Second")
    try s.ok(["edit", b, "--title", "Second, renamed", "--add-label", "x"])
    try s.ok(["claim", a])
    try s.expectOneCommit(["undo"], task: a, action: "undo", status: "todo")
    #expect(try JSON.parse(s.ok(["show", a, "--json"]))["assignee"] == .null)
    try s.expectOneCommit(["undo", b], task: b, action: "undo", status: "todo")
    let task = try JSON.parse(s.ok(["show", b, "--json"]))
    #expect(task["title"]?.string == "Second" && task["labels"]?.array?.isEmpty == true)
  }

  @Test func refusesWhatWouldLoseOrBendTheRules() throws {
    let s = try Sandbox()
    let id = try s.add("Ship it")
    try s.expectRefused(["undo", id], exit: 4, mentions: ["tack cancel"])
    try s.ok(["done", id])
    try s.expectRefused(["undo", id], exit: 5, mentions: ["terminal"])
    // Somebody else writes after you: your change is no longer the latest.
    let other = try s.add("Shared")
    try s.ok(["note", other, "mine"])
    try s.git(["config", "user.email", "bob@example.com"])
    try s.ok(["note", other, "bob's"])
    try s.git(["config", "user.email", Sandbox.email])
    let refused = try s.tack(["undo", other])
    #expect(refused.status == 4 && refused.stderr.contains("not yours"), "\(refused)")
    #expect(refused.stderr.contains("person:bob@example.com"), "\(refused)")
    let notes = try JSON.parse(s.ok(["show", other, "--json"]))["notes"]?.array ?? []
    #expect(notes.count == 2)
  }
}

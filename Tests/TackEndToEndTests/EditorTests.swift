import Foundation
import Testing

/// `tack edit ID` without flags: the task in `$EDITOR`, played by shell scripts.
@Suite struct EditorTests {
  /// A sandbox with an executable `editor` script whose body is `script` (the file is "$1"),
  /// and the environment that makes tack use it, with temporary files in the sandbox.
  final class Editing {
    let sandbox: Sandbox
    let temporary: String
    let env: [String: String]

    init(_ script: String) throws {
      sandbox = try Sandbox()
      temporary = sandbox.root + "/tmp"
      try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
      let editor = sandbox.root + "/editor"
      // Every editor first keeps a copy of what it was shown.
      try Data("#!/bin/sh\ncp \"$1\" \"\(sandbox.root)/shown.txt\"\n\(script)\n".utf8).write(
        to: URL(fileURLWithPath: editor))
      try FileManager.default.setAttributes(
        [.posixPermissions: 0o755], ofItemAtPath: editor)
      env = ["EDITOR": editor, "VISUAL": "", "TMPDIR": temporary]
    }

    var shown: String {
      (try? String(contentsOfFile: sandbox.root + "/shown.txt", encoding: .utf8)) ?? ""
    }

    var leftovers: [String] {
      (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
    }
  }

  @Test func savingCommitsOnlyTheFieldsThatChanged() throws {
    let editing = try Editing(
      "sed -i -e 's/^Title: .*/Title: Rotate every certificate/' -e 's/^Labels: .*/Labels: ops, urgent/' \"$1\""
    )
    let s = editing.sandbox
    let id = try s.add("Rotate the certificates", ["--label", "ops", "--description", "Step one."])
    try s.expectOneCommit(
      ["edit", id], task: id, action: "edit", status: "todo", what: "edit title, labels",
      env: editing.env)
    let lines = editing.shown.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(
      Array(lines.prefix(4)) == ["Title: Rotate the certificates", "Labels: ops", "", "Step one."])
    #expect(editing.shown.contains("# \(id) (todo) on board main"))
    let task = try s.storedTask(id)
    #expect(task["title"]?.string == "Rotate every certificate")
    #expect(task["labels"]?.array?.compactMap(\.string) == ["ops", "urgent"])
    #expect(task["description"]?.string == "Step one.")
    #expect(editing.leftovers.isEmpty, "the temporary file is removed after a commit")
  }

  @Test func theDescriptionIsEverythingAfterTheBlankLineButComments() throws {
    let editing = try Editing(
      "printf 'Second line.\\n# a comment\\n\\\\#3 is not a comment\\n' >> \"$1\"")
    let s = editing.sandbox
    let id = try s.add("Task", ["--description", "First line."])
    try s.expectOneCommit(
      ["edit", id], task: id, action: "edit", status: "todo", what: "edit description",
      env: editing.env)
    #expect(
      try s.storedTask(id)["description"]?.string
        == "First line.\n\nSecond line.\n#3 is not a comment")
  }

  @Test func anInvalidDocumentIsKeptAndNothingIsCommitted() throws {
    for (script, mention) in [
      ("sed -i 's/^Title: .*/Title:   /' \"$1\"", "the title is empty"),
      ("sed -i 's/^Labels: .*/Labels: ops, Not-Valid/' \"$1\"", "invalid label \"Not-Valid\""),
      ("sed -i 's/^Title: /Titel: /' \"$1\"", "Titel:"),
    ] {
      let editing = try Editing(script + "\necho 'typed by hand' >> \"$1\"")
      let s = editing.sandbox
      let id = try s.add("Keep me", ["--label", "ops"])
      let output = try s.expectRefused(
        ["edit", id], exit: 4, mentions: [mention, "Your text is kept in"], env: editing.env)
      let kept = try #require(
        output.stderr.split(separator: "\n").last { $0.hasPrefix("Your text is kept in ") }?
          .dropFirst("Your text is kept in ".count).prefix { $0 != ";" })
      #expect(kept.hasPrefix(editing.temporary + "/tack-edit-"), "\(output)")
      let text = try String(contentsOfFile: String(kept), encoding: .utf8)
      #expect(text.contains("typed by hand"))
      #expect(try s.storedTask(id)["title"]?.string == "Keep me")
    }
  }

  @Test func leavingItUnchangedCommitsNothing() throws {
    let editing = try Editing("true")
    let s = editing.sandbox
    // A description line starting with # survives the trip through the document.
    let id = try s.add("Task", ["--label", "a", "--description", "# Heading\n\nBody"])
    let tip = try s.tip()
    let output = try s.tack(["edit", id], env: editing.env)
    #expect(output.status == 0, "\(output)")
    #expect(output.stdout.hasSuffix(" unchanged (nothing to commit)\n"), "\(output)")
    #expect(try s.tip() == tip)
    #expect(editing.shown.contains("\n\\# Heading\n"))
    #expect(editing.leftovers.isEmpty)
  }

  @Test func aFailingEditorChangesNothing() throws {
    let editing = try Editing("exit 3")
    let s = editing.sandbox
    let id = try s.add("Task")
    try s.expectRefused(
      ["edit", id], exit: 4,
      mentions: ["edit aborted, nothing written", "exited with status 3", "Your text is kept in"],
      env: editing.env)
  }

  /// vim's :cq exits 1 after the person changed their mind: an abort, not a broken editor.
  @Test func anEditorQuitWithCqIsAnAbort() throws {
    let editing = try Editing("echo 'Title: Changed' > \"$1\"; exit 1")
    let s = editing.sandbox
    let id = try s.add("Task")
    let output = try s.expectRefused(
      ["edit", id], exit: 4, mentions: ["edit aborted, nothing written"], env: editing.env)
    #expect(!output.stderr.contains("set VISUAL"), "\(output)")
    try s.expectRefused(
      ["note", id], exit: 4, mentions: ["edit aborted, nothing written"], env: editing.env)
    #expect(try JSON.parse(s.ok(["show", id, "--json"]))["notes"]?.array?.isEmpty == true)
  }

  @Test func anEditorThatCannotRunSaysSo() throws {
    let s = try Sandbox()
    let id = try s.add("Task")
    let output = try s.tack(
      ["edit", id], env: ["EDITOR": s.root + "/no-such-editor", "VISUAL": "", "TMPDIR": s.root])
    #expect(output.status == 4, "\(output)")
    #expect(output.stderr.contains("tack: error: could not run the editor"), "\(output)")
    #expect(output.stderr.contains("set VISUAL or EDITOR"), "\(output)")
  }

  @Test func aNoteWithoutTextIsWrittenInTheEditor() throws {
    let editing = try Editing(
      "printf 'Waiting on the vendor.\\n\\nCalled them twice.\\n' >> \"$1\"")
    let s = editing.sandbox
    let id = try s.add("Order parts")
    try s.expectOneCommit(
      ["note", id], task: id, action: "note", status: "todo", what: "note", env: editing.env)
    let notes = try JSON.parse(s.ok(["show", id, "--json"]))["notes"]?.array ?? []
    #expect(notes.map { $0["text"]?.string } == ["Waiting on the vendor.\n\nCalled them twice."])
    #expect(editing.shown.contains("# The note for \(id) (todo): Order parts"))
    #expect(editing.leftovers.isEmpty)
    // Nothing but the comments: no note, no commit.
    let empty = try Editing("true")
    let e = empty.sandbox
    let other = try e.add("Nothing to say")
    let tip = try e.tip()
    let output = try e.tack(["note", other], env: empty.env)
    #expect(output.status == 0 && output.stderr.contains("nothing was written"), "\(output)")
    #expect(try e.tip() == tip)
  }

  @Test func aTerminalTaskIsRefusedBeforeTheEditorOpens() throws {
    let editing = try Editing("true")
    let s = editing.sandbox
    let id = try s.add("Task")
    try s.ok(["done", id])
    try s.expectRefused(["edit", id], exit: 5, mentions: ["terminal"], env: editing.env)
    #expect(editing.shown.isEmpty, "the editor never ran")
    #expect(editing.leftovers.isEmpty)
  }
}

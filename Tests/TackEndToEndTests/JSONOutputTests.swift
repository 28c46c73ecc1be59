import Foundation
import Testing

/// `--json` prints the stored bytes, and every file Tack writes is in the one canonical
/// format (Python's `json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False) + "\n"`).
@Suite struct JSONOutputTests {
  @Test func addJSONIsTheStoredTask() throws {
    let sandbox = try Sandbox()
    let output = try sandbox.tack([
      "add", "JSON task", "--json", "--label", "b", "--label", "a", "--description", "Two\nlines",
    ])
    #expect(output.status == 0, "\(output)")
    let task = try JSON.parse(output.stdoutBytes)
    let id = try #require(task["taskId"]?.string)
    #expect(Sandbox.isTaskID(id))
    let path = Sandbox.taskPath(id)
    #expect(output.stdoutBytes == (try sandbox.committed(path)), "add --json prints the file")
    #expect(task["title"]?.string == "JSON task")
    #expect(task["description"]?.string == "Two\nlines")
    #expect(task["labels"] == .array([.string("b"), .string("a")]), "labels keep their order")
    #expect(task["status"]?.string == "todo")
    #expect(task["board"]?.string == "main")
    #expect(task["schemaVersion"] == .number("1"))
    #expect(task["createdAt"]?.string == task["updatedAt"]?.string)
    #expect(parseTimestamp(task["createdAt"]?.string) != nil)
    #expect(
      task.keys.sorted() == [
        "assignee", "board", "createdAt", "description", "error", "inputRequests",
        "inputResponses", "labels", "lease", "links", "notes", "result", "schemaVersion",
        "status", "taskId", "title", "updatedAt",
      ])
  }

  @Test func showJSONIsTheFileInGit() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Shown")
    try sandbox.ok(["claim", id])
    try sandbox.ok(["note", id, "tab\there, \"quotes\", back\\slash"])
    try sandbox.ok(["ask", id, "q", "Question?"])
    let path = Sandbox.taskPath(id)
    let show = try sandbox.tack(["show", id, "--json"])
    #expect(show.status == 0, "\(show)")
    #expect(show.stdoutBytes == (try sandbox.committed(path)))
    let global = try sandbox.tack(["--json", "show", id])
    #expect(global.stdoutBytes == (try sandbox.committed(path)))
  }

  @Test func writeCommandsWithJSONPrintTheStoredTask() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Writes")
    let path = Sandbox.taskPath(id)
    for arguments in [
      ["start", id], ["note", id, "n"], ["edit", id, "--title", "Writes 2"],
      ["ask", id, "k", "K?"], ["answer", id, "k=v"], ["claim", id], ["release", id],
      ["move", id, "cancelled"],
    ] {
      let output = try sandbox.tack(arguments + ["--json"])
      #expect(output.status == 0, "\(output)")
      #expect(output.stdoutBytes == (try sandbox.committed(path)), "tack \(arguments) --json")
    }
  }

  @Test func listJSONHoldsTheStoredTasks() throws {
    let sandbox = try Sandbox()
    let ids = try ["one", "two"].map { try sandbox.add($0) }
    let list = try JSON.parse(sandbox.ok(["list", "--json"]))
    #expect(list.keys == ["tasks"])
    let tasks = list["tasks"]?.array ?? []
    #expect(tasks.count == 2)
    for (task, id) in zip(tasks, ids) {
      #expect(task == (try sandbox.storedTask(id)))
    }
    #expect(try sandbox.ok(["list", "--json", "--status", "failed"]) == "{\n  \"tasks\": []\n}\n")
  }

  @Test func everyFileIsInTheCanonicalFormat() throws {
    let sandbox = try Sandbox()
    let title = "Café ☕ — 日本語 \"quoted\" back\\slash / 😀 e\u{301}"
    let description = "Line one\n\tindented\nU+2028:\u{2028} NBSP:\u{a0}"
    let id = try sandbox.add(title, ["--description", description, "--label", "zeta"])
    try sandbox.ok(["claim", id])
    try sandbox.ok(["note", id, "Ünïcödé\nnote"])
    try sandbox.ok(["ask", id, "Zebra.key", "Big?", "--approval"])
    try sandbox.ok(["ask", id, "alpha", "Small?"])
    try sandbox.ok(["answer", id, "alpha=ß", "Zebra.key=yes"])
    try sandbox.ok(["board", "add", "other"])
    _ = try sandbox.add("Other", ["--board", "other"])

    let shown = try sandbox.shownTask(id)
    #expect(shown["title"]?.string == title)
    #expect(shown["description"]?.string == description)

    let files = try sandbox.trackedFiles().filter { $0.hasSuffix(".json") }
    #expect(files.count >= 6)
    for path in files {
      let bytes = try #require(try sandbox.committed(path))
      let text = String(decoding: bytes, as: UTF8.self)
      let value = try JSON.parse(bytes)
      #expect(text == value.pythonText, "\(path) is not in the canonical format")
    }
  }

  @Test func unknownFieldsSurviveAWrite() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Extended")
    let path = Sandbox.taskPath(id)
    let stored = try sandbox.storedTask(id)
    guard case .object(var members) = stored else {
      throw SandboxError(description: "not an object")
    }
    let extra: JSON = .object([
      .init(key: "source", value: .string("tracker")),
      .init(
        key: "nested",
        value: .array([.number("1"), .number("-7"), .bool(true), .null, .string("é"), .object([])])),
      .init(key: "ratio", value: .number("0.25")),
    ])
    members.append(.init(key: "x-custom", value: extra))
    members.append(.init(key: "Zulu", value: .string("capital first")))
    try sandbox.write(path, JSON.object(members).pythonText)
    try sandbox.git(["commit", "-q", "-am", "Add custom fields"])

    try sandbox.expectOneCommit(
      ["note", id, "keep them"], task: id, action: "note", status: "todo")
    let after = try sandbox.storedTask(id)
    #expect(after["x-custom"] == extra)
    #expect(after["Zulu"]?.string == "capital first")
    #expect(after["notes"]?.array?.count == 1)
    let text = String(decoding: try #require(try sandbox.committed(path)), as: UTF8.self)
    #expect(text == after.pythonText)
  }

  /// Python keeps integers of any size; a tack write must not turn one into a float.
  @Test func largeIntegersInUnknownFieldsSurviveAWrite() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Big number")
    let path = Sandbox.taskPath(id)
    guard case .object(var members) = try sandbox.storedTask(id) else {
      throw SandboxError(description: "not an object")
    }
    members.append(.init(key: "externalId", value: .number("12345678901234567890")))
    try sandbox.write(path, JSON.object(members).pythonText)
    try sandbox.git(["commit", "-q", "-am", "Link to the tracker"])

    try sandbox.expectOneCommit(["note", id, "hello"], task: id, action: "note", status: "todo")
    #expect(try sandbox.storedTask(id)["externalId"] == .number("12345678901234567890"))
  }

  @Test func logJSONShape() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Logged")
    try sandbox.ok(["start", id])
    try sandbox.ok(["edit", id, "--add-label", "x"])
    try sandbox.ok(["note", id, "Waiting on the vendor\nuntil Friday"])
    let log = try JSON.parse(sandbox.ok(["log", id, "--json"]))
    #expect(log.keys == ["history"])
    var history = log["history"]?.array ?? []
    try #require(history.count == 4)
    #expect(history[0]["changes"] == .array([.string("note: Waiting on the vendor …")]))
    history.removeFirst()
    for entry in history {
      #expect(
        entry.keys.sorted() == [
          "action", "actor", "at", "author", "changes", "commit", "status", "subject",
        ])
      #expect(parseTimestamp(entry["at"]?.string) != nil)
    }
    #expect(history[0]["changes"] == .array([.string("labels +x")]))
    // `start` assigns the task to whoever started it.
    #expect(
      history[1]["changes"]
        == .array([.string("assignee: → \(Sandbox.email)"), .string("status: todo → working")]))
    let short = id.dropFirst(15).prefix(5).lowercased()
    #expect(history[1]["subject"]?.string == "main: \(short) Logged — todo → working")
    let limited = try JSON.parse(sandbox.ok(["log", id, "--json", "--limit", "1"]))
    #expect(limited["history"]?.array?.count == 1)
  }
}

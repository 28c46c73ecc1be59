import Foundation
import Testing

/// `tack import --from taskwarrior|beads|github|backlog`: fixtures written in each tool's
/// documented export format, imported into a fresh board, then imported again (changed) to
/// prove that a second import updates instead of duplicating.
@Suite struct ForeignImportTests {
  func fixture(_ sandbox: Sandbox, _ name: String, _ text: String) throws -> String {
    let path = sandbox.root + "/" + name
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Every task of the board, by source.
  func bySource(_ sandbox: Sandbox) throws -> [String: JSON] {
    let tasks =
      try JSON.parse(
        sandbox.ok([
          "list", "--json", "--status", "todo", "--status", "working", "--status", "completed",
          "--status", "cancelled",
        ]))["tasks"]?.array ?? []
    var result: [String: JSON] = [:]
    for task in tasks {
      if let source = task["source"]?.string { result[source] = task }
    }
    return result
  }

  static let taskwarrior2 = """
    [
    {"id":1,"description":"Write the design doc","entry":"20261101T090000Z","modified":"20261102T090000Z","priority":"H","project":"Home Lab","status":"pending","tags":["docs","Q4 plan"],"uuid":"a1a1a1a1-0000-4000-8000-000000000001","urgency":8.1,"annotations":[{"entry":"20261101T100000Z","description":"see the wiki"}]},
    {"id":2,"description":"Build it","entry":"20261101T090100Z","status":"pending","start":"20261103T090000Z","due":"20261224T170000Z","depends":"a1a1a1a1-0000-4000-8000-000000000001","uuid":"a1a1a1a1-0000-4000-8000-000000000002"},
    {"id":0,"description":"Old chore","entry":"20261001T090000Z","end":"20261002T090000Z","status":"completed","uuid":"a1a1a1a1-0000-4000-8000-000000000003"},
    {"id":0,"description":"Dropped idea","entry":"20261001T090000Z","status":"deleted","uuid":"a1a1a1a1-0000-4000-8000-000000000004"},
    {"id":0,"description":"Weekly review","entry":"20261001T090000Z","status":"recurring","recur":"weekly","uuid":"a1a1a1a1-0000-4000-8000-000000000005"}
    ]
    """

  @Test func taskwarriorExportsOf2xAnd3xMapAndReimportUpdates() throws {
    let sandbox = try Sandbox()
    let file = try fixture(sandbox, "tw.json", Self.taskwarrior2)
    let before = try sandbox.commitCount()
    let output = try sandbox.ok(["import", "--from", "taskwarrior", file])
    #expect(output.contains("4 new, 0 updated"), "\(output)")
    #expect(output.contains("Dropped: urgency"), "\(output)")
    #expect(try sandbox.commitCount() == before + 1)
    let tasks = try bySource(sandbox)
    let design = try #require(tasks["taskwarrior:a1a1a1a1-0000-4000-8000-000000000001"])
    let build = try #require(tasks["taskwarrior:a1a1a1a1-0000-4000-8000-000000000002"])
    #expect(design["title"]?.string == "Write the design doc")
    #expect(design["priority"] == .number("1") && design["status"]?.string == "todo")
    #expect(design["labels"]?.array?.compactMap(\.string) == ["docs", "q4-plan", "home-lab"])
    #expect(design["notes"]?.array?.first?["text"]?.string == "see the wiki")
    #expect(design["createdAt"]?.string == "2026-11-01T09:00:00.000Z")
    #expect(
      build["status"]?.string == "working" && build["due"]?.string == "2026-12-24T17:00:00.000Z")
    #expect(build["links"]?[0]?["taskId"] == design["taskId"])
    #expect(
      tasks["taskwarrior:a1a1a1a1-0000-4000-8000-000000000003"]?["status"]?.string == "completed")
    #expect(
      tasks["taskwarrior:a1a1a1a1-0000-4000-8000-000000000004"]?["status"]?.string == "cancelled")
    #expect(tasks.count == 4)

    // 3.x writes depends as an array; the same tasks again, one changed: an update.
    let changed = Self.taskwarrior2
      .replacingOccurrences(of: "\"Build it\"", with: "\"Build it well\"")
      .replacingOccurrences(
        of: "\"depends\":\"a1a1a1a1-0000-4000-8000-000000000001\"",
        with: "\"depends\":[\"a1a1a1a1-0000-4000-8000-000000000001\"]")
    let again = try sandbox.ok([
      "import", "--from", "taskwarrior", try fixture(sandbox, "tw3.json", changed),
    ])
    #expect(again.contains("0 new, 1 updated, 3 unchanged"), "\(again)")
    let after = try bySource(sandbox)
    #expect(after.count == 4)
    #expect(
      after["taskwarrior:a1a1a1a1-0000-4000-8000-000000000002"]?["title"]?.string == "Build it well"
    )
    #expect(after["taskwarrior:a1a1a1a1-0000-4000-8000-000000000002"]?["taskId"] == build["taskId"])
    // Nothing changed at all: no commit.
    let tip = try sandbox.tip()
    #expect(
      try sandbox.ok(["import", "--from", "taskwarrior", try fixture(sandbox, "tw4.json", changed)])
        .contains("4 unchanged"))
    #expect(try sandbox.tip() == tip)
  }

  @Test func beadsIssuesMapWithDependenciesAndComments() throws {
    let sandbox = try Sandbox()
    let lines = [
      #"{"id":"bd-a1","title":"Auth service","description":"OAuth","status":"open","priority":0,"issue_type":"feature","labels":["backend"],"created_at":"2026-11-01T09:00:00Z","updated_at":"2026-11-01T09:00:00Z"}"#,
      #"{"id":"bd-b2","title":"Login page","status":"in_progress","priority":2,"issue_type":"task","assignee":"ada","dependencies":[{"issue_id":"bd-b2","depends_on_id":"bd-a1","type":"blocks"},{"issue_id":"bd-b2","depends_on_id":"bd-c3","type":"related"}],"comments":[{"author":"bob","text":"needs design","created_at":"2026-11-02T09:00:00Z"}],"created_at":"2026-11-01T10:00:00Z"}"#,
      #"{"id":"bd-c3","title":"Old bug","status":"closed","priority":4,"issue_type":"bug","closed_at":"2026-11-03T09:00:00Z","created_at":"2026-10-01T10:00:00Z"}"#,
    ]
    let file = try fixture(sandbox, ".beads/issues.jsonl", lines.joined(separator: "\n") + "\n")
    let output = try sandbox.ok(["import", "--from", "beads", file])
    #expect(output.contains("3 new") && output.contains("related link to bd-c3"), "\(output)")
    let tasks = try bySource(sandbox)
    let auth = try #require(tasks["beads:bd-a1"])
    let login = try #require(tasks["beads:bd-b2"])
    #expect(
      auth["priority"] == .number("0")
        && auth["labels"]?.array?.compactMap(\.string) == ["feature", "backend"])
    #expect(login["status"]?.string == "working" && login["assignee"]?.string == "ada")
    #expect(login["links"]?[0]?["taskId"] == auth["taskId"] && login["links"]?.array?.count == 1)
    #expect(login["notes"]?[0]?["by"]?.string == "bob")
    #expect(tasks["beads:bd-c3"]?["status"]?.string == "completed")
    // The ready queue sees the dependency: only the auth service is ready.
    let ready = try JSON.parse(sandbox.ok(["ready", "--json"]))["tasks"]?.array ?? []
    #expect(ready.compactMap { $0["source"]?.string } == ["beads:bd-a1"])
    // Again, with a new comment: updated, the note added once.
    let more = lines[1].replacingOccurrences(
      of: #""comments":["#,
      with: #""comments":[{"author":"ada","text":"started","created_at":"2026-11-04T09:00:00Z"},"#)
    let again = try sandbox.ok([
      "import", "--from", "beads",
      try fixture(sandbox, "again.jsonl", [lines[0], more, lines[2]].joined(separator: "\n")),
    ])
    #expect(again.contains("0 new, 1 updated"), "\(again)")
    #expect(try bySource(sandbox)["beads:bd-b2"]?["notes"]?.array?.count == 2)
  }

  @Test func githubIssuesMap() throws {
    let sandbox = try Sandbox()
    let issues = """
      [{"number":12,"title":"Crash on start","body":"Stack trace\\nhere","state":"OPEN","labels":[{"id":"L1","name":"bug","description":"","color":"d73a4a"},{"id":"L2","name":"Good First Issue","description":"","color":"7057ff"}],"assignees":[{"id":"U1","login":"octocat","name":"Mona"},{"id":"U2","login":"hubot","name":""}],"createdAt":"2026-10-30T12:00:00Z","comments":[{"id":"C1","author":{"login":"hubot"},"authorAssociation":"MEMBER","body":"Confirmed.","createdAt":"2026-10-31T08:00:00Z","includesCreatedEdit":false,"isMinimized":false,"minimizedReason":"","reactionGroups":[],"url":"https://example.invalid/c1","viewerDidAuthor":false}]},
       {"number":3,"title":"Docs","body":"","state":"CLOSED","labels":[],"assignees":[],"createdAt":"2026-09-01T12:00:00Z","comments":[]}]
      """
    let output = try sandbox.ok([
      "import", "--from", "github", try fixture(sandbox, "gh.json", issues),
    ])
    #expect(output.contains("2 new") && output.contains("assignees after the first"), "\(output)")
    let tasks = try bySource(sandbox)
    let crash = try #require(tasks["github:#12"])
    #expect(
      crash["description"]?.string == "Stack trace\nhere" && crash["assignee"]?.string == "octocat")
    #expect(crash["labels"]?.array?.compactMap(\.string) == ["bug", "good-first-issue"])
    #expect(crash["notes"]?[0]?["text"]?.string == "Confirmed.")
    #expect(tasks["github:#3"]?["status"]?.string == "completed")
  }

  @Test func backlogMarkdownFolderMaps() throws {
    let sandbox = try Sandbox()
    _ = try fixture(
      sandbox, "proj/backlog/tasks/task-1 - Set-up-CI.md",
      """
      ---
      id: task-1
      title: Set up CI
      status: In Progress
      assignee: [@sara]
      created_date: '2026-11-01 10:30'
      labels:
        - infra
        - ci
      dependencies: []
      priority: high
      ---

      ## Description

      <!-- SECTION:DESCRIPTION:BEGIN -->
      Run the tests on every push.
      <!-- SECTION:DESCRIPTION:END -->
      """)
    _ = try fixture(
      sandbox, "proj/backlog/tasks/task-2 - Deploy.md",
      """
      ---
      id: task-2
      title: "Deploy: staging"
      status: To Do
      assignee: []
      labels: [infra]
      dependencies: [task-1]
      milestone: v1
      ---
      Ship it.
      """)
    _ = try fixture(
      sandbox, "proj/backlog/completed/task-0 - Repo.md",
      """
      ---
      id: task-0
      title: Make the repository
      status: Done
      ---
      """)
    let output = try sandbox.ok(["import", "--from", "backlog", sandbox.root + "/proj"])
    #expect(output.contains("3 new") && output.contains("Dropped: milestone"), "\(output)")
    let tasks = try bySource(sandbox)
    let ci = try #require(tasks["backlog:task-1"])
    let deploy = try #require(tasks["backlog:task-2"])
    #expect(
      ci["status"]?.string == "working" && ci["priority"] == .number("1")
        && ci["assignee"]?.string == "sara")
    #expect(ci["labels"]?.array?.compactMap(\.string) == ["infra", "ci"])
    #expect(ci["description"]?.string == "## Description\n\nRun the tests on every push.")
    #expect(ci["createdAt"]?.string == "2026-11-01T10:30:00.000Z")
    #expect(
      deploy["title"]?.string == "Deploy: staging" && deploy["links"]?[0]?["taskId"] == ci["taskId"]
    )
    #expect(tasks["backlog:task-0"]?["status"]?.string == "completed")
  }

  @Test func aBadExportWritesNothing() throws {
    let sandbox = try Sandbox()
    let before = try sandbox.tip()
    for (tool, text) in [
      ("taskwarrior", #"[{"description":"no uuid","status":"pending"}]"#),
      ("beads", #"{"id":"bd-1","title":"x","status":"weird"}"#),
      ("github", #"{"number":1}"#),
      ("jira", "{}"),
    ] {
      let output = try sandbox.tack([
        "import", "--from", tool, try fixture(sandbox, "bad-\(tool)", text),
      ])
      #expect(output.status != 0 && output.stderr.contains("tack: error:"), "\(tool): \(output)")
    }
    #expect(try sandbox.tip() == before)
  }
}

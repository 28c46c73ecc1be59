import Foundation
import Testing

@testable import TackCore

@Suite struct TimestampTests {
  @Test(
    arguments: [
      (0, "1970-01-01T00:00:00.000Z"), (951_782_400_000, "2000-02-29T00:00:00.000Z"),
      (1_790_000_000_123, "2026-09-21T14:13:20.123Z"), (-1, "1969-12-31T23:59:59.999Z"),
      (4_102_444_800_000, "2100-01-01T00:00:00.000Z"),
    ] as [(Int64, String)])
  func formatsAndParsesRFC3339(milliseconds: Int64, text: String) {
    #expect(Timestamp(milliseconds: milliseconds).description == text)
    #expect(Timestamp(rfc3339: text)?.milliseconds == milliseconds)
  }

  @Test func agreesWithFoundation() {
    let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    // Whole seconds: Date's floating point cannot hold every millisecond exactly.
    for seconds in stride(from: Int64(-2_000_000_000), to: 5_000_000_000, by: 37_777_777) {
      let milliseconds = seconds * 1000
      let date = Date(timeIntervalSince1970: Double(seconds))
      #expect(Timestamp(milliseconds: milliseconds).description == style.format(date))
    }
  }

  @Test func parsesOffsetsAndFractions() {
    #expect(Timestamp(rfc3339: "2026-01-31T09:30:00Z")?.description == "2026-01-31T09:30:00.000Z")
    #expect(
      Timestamp(rfc3339: "2026-01-31T10:30:00.5+01:00")?.description == "2026-01-31T09:30:00.500Z")
    #expect(
      Timestamp(rfc3339: "2026-01-31T09:30:00.123456789-00:30")?.description
        == "2026-01-31T10:00:00.123Z")
  }

  @Test(arguments: [
    "", "2026-01-31", "2026-13-01T00:00:00Z", "2026-01-31T09:30:00", "2026-01-31T09:30:00.Z",
    "2026-01-31T25:00:00Z", "2026-01-31T09:30:00Zjunk", "２０２６-01-31T09:30:00Z",
  ])
  func refusesMalformedTimes(text: String) {
    #expect(Timestamp(rfc3339: text) == nil)
  }
}

@Suite struct TaskIDTests {
  @Test func generatedIdsAreULIDsInTimeOrder() {
    let early = TaskID.generate(at: Timestamp(milliseconds: 1_000))
    let late = TaskID.generate(at: Timestamp(milliseconds: 2_000))
    #expect(early.rawValue.count == 31)
    #expect(early.rawValue.hasPrefix("task_00000000Z8"))  // 1000 = 31 × 32 + 8
    #expect(early < late)
    #expect(TaskID(early.rawValue) == early)
    let ids = Set((0..<1000).map { _ in TaskID.generate(at: Timestamp(milliseconds: 5)) })
    #expect(ids.count == 1000)
  }

  @Test func shardsComeFromTheRandomEnd() {
    let id = TaskID("task_01JQ2Z8XKQ7G6Q5X5ZK1N7T9A2")!
    #expect(id.shardPath == "2/A")
    #expect(
      Store.taskPath(id, board: "ops")
        == "boards/ops/tasks/2/A/task_01JQ2Z8XKQ7G6Q5X5ZK1N7T9A2.json")
  }

  @Test func refusesWhatIsNotAnID() {
    for text in [
      "", "task_", "task_01JQ2Z8XKQ7G6Q5X5ZK1N7T9A", "task_01JQ2Z8XKQ7G6Q5X5ZK1N7T9AU",
      "TASK_01JQ2Z8XKQ7G6Q5X5ZK1N7T9A2", "task_../../../../etc/passwd12",
    ] {
      #expect(TaskID(text) == nil, "\(text)")
    }
  }

  @Test func normalizesShortForms() {
    #expect(TaskID.normalizedQuery("01jq2z8x") == "01JQ2Z8X")
    #expect(TaskID.normalizedQuery("task_01JQ") == "01JQ")
    #expect(TaskID.normalizedQuery("0ILo") == "0110")
    #expect(TaskID.normalizedQuery("01JQ/..") == nil)
    #expect(TaskID.normalizedQuery("") == nil)
    #expect(TaskID.normalizedQuery(String(repeating: "0", count: 27)) == nil)
  }
}

@Suite struct NamesTests {
  @Test(arguments: ["main", "ops-2", "a_b", "0"])
  func acceptsGoodNames(name: String) throws {
    try Names.validate(name, as: "board name")
  }

  @Test(arguments: [
    "", "Main", "../x", "a/b", "-a", "_a", "a b", "a\u{0}b", "a\u{1}", "é",
    String(repeating: "a", count: 65), "..",
  ])
  func refusesBadNames(name: String) {
    #expect(throws: TackError.self) { try Names.validate(name, as: "board name") }
  }

  @Test func refusesControlCharactersInText() {
    #expect(throws: TackError.self) {
      try Names.validateText("a\nb", as: "title", maxBytes: 100, singleLine: true)
    }
    #expect(throws: TackError.self) { try Names.validateText("a\u{0}b", as: "note", maxBytes: 100) }
    #expect(throws: TackError.self) { try Names.validateText("   ", as: "title", maxBytes: 100) }
    #expect(throws: TackError.self) {
      try Names.validateText(String(repeating: "x", count: 101), as: "title", maxBytes: 100)
    }
    #expect(throws: Never.self) {
      try Names.validateText("line\n\tindented", as: "note", maxBytes: 100)
    }
  }

  @Test func parsesDurations() throws {
    #expect(try DurationText.seconds("90s") == 90)
    #expect(try DurationText.seconds("30m") == 1800)
    #expect(try DurationText.seconds("1h30m") == 5400)
    #expect(try DurationText.seconds("2d") == 172_800)
    #expect(try DurationText.seconds("45") == 45)
    for bad in ["", "0s", "m", "1x", "1h30", "-5m", "400d", "99999999999999999999s"] {
      #expect(throws: TackError.self, "\(bad)") { try DurationText.seconds(bad) }
    }
  }
}

@Suite struct BoardTemplateTests {
  /// The embedded copy must match BoardTemplate/ byte for byte; run `make template` if not.
  @Test func embeddedTemplateMatchesTheFolder() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("BoardTemplate")
    var onDisk: [String: String] = [:]
    let enumerator = try #require(
      FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]))
    for case let url as URL in enumerator
    where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
      let relative = String(
        url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
      onDisk[relative] = String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }
    #expect(
      onDisk.keys.sorted() == BoardTemplate.files.keys.sorted(),
      "BoardTemplate/ changed: run `make template`")
    for (path, text) in onDisk {
      #expect(
        BoardTemplate.files[path] == text,
        "\(path) differs from its embedded copy: run `make template`")
    }
  }

  @Test func templateFilesAreValid() throws {
    let files = BoardTemplate.repositoryFiles(defaultBoard: "ops")
    let board = try Board(
      fileContents: try #require(files["boards/ops/board.json"]), name: "ops", path: "board.json")
    #expect(
      board.statusNames == [
        "todo", "working", "input_required", "completed", "failed", "cancelled",
      ])
    #expect(board.initialStatus == "todo")
    #expect(board.allows(from: "working", to: "todo"))
    #expect(!board.allows(from: "completed", to: "working"))
    #expect(
      try RepositoryConfig(fileContents: try #require(files[".tack/config.json"])).defaultBoard
        == "ops")
    // Files Tack writes are in its canonical form: parsing and writing again changes nothing.
    for (path, bytes) in files where path.hasSuffix(".json") {
      #expect(try JSONValue.parse(bytes).serializedBytes(pretty: true) == bytes, "\(path)")
    }
  }

  @Test func boardValidationRefusesBrokenGraphs() {
    let cases: [(String, String)] = [
      (#"{"schemaVersion":1,"initialStatus":"a","statuses":[]}"#, "no statuses"),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"a","mcpStatus":"working","next":["b"]}]}"#,
        "unknown next"
      ),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"a","mcpStatus":"completed","terminal":true}]}"#,
        "is terminal"
      ),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"a","mcpStatus":"working"},{"name":"a","mcpStatus":"working"}]}"#,
        "twice"
      ),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"a","mcpStatus":"done"}]}"#,
        "mcpStatus"
      ),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"a","mcpStatus":"working"},{"name":"b","mcpStatus":"completed","terminal":true,"next":["a"]}]}"#,
        "cannot list next"
      ),
      (#"{"schemaVersion":2,"initialStatus":"a","statuses":[]}"#, "newer"),
      (
        #"{"schemaVersion":1,"initialStatus":"a","statuses":[{"name":"../a","mcpStatus":"working"}]}"#,
        "not a valid name"
      ),
    ]
    for (text, expected) in cases {
      do {
        _ = try Board(fileContents: Array(text.utf8), name: "b", path: "boards/b/board.json")
        Issue.record("accepted: \(text)")
      } catch {
        #expect(error.description.contains(expected), "\(error.description)")
      }
    }
  }
}

@Suite struct TaskMergeTests {
  let terminal: (String) -> Bool = { ["completed", "failed", "cancelled"].contains($0) }

  func task(_ fields: [String: JSONValue]) -> JSONValue {
    var object: [String: JSONValue] = [
      "title": "t", "status": "working", "labels": ["a"], "notes": [],
      "updatedAt": "2026-01-01T00:00:00.000Z",
      "lease": .null, "assignee": .null,
    ]
    for (key, value) in fields { object[key] = value }
    return .object(object)
  }

  @Test func differentFieldsBothKeptNotesUnionedLabelsAsSets() {
    let base = task(["notes": [["at": "1", "by": "x", "text": "base"]]])
    let ours = task([
      "title": "ours", "labels": ["a", "b"],
      "notes": [["at": "1", "by": "x", "text": "base"], ["at": "3", "by": "x", "text": "ours"]],
    ])
    let theirs = task([
      "description": "theirs", "labels": ["c"],
      "notes": [
        ["at": "1", "by": "x", "text": "base"], ["at": "2", "by": "y", "text": "theirs"],
      ],
    ])
    let result = TaskMerge.merge(base: base, ours: ours, theirs: theirs, isTerminal: terminal)
    #expect(result.conflicts.isEmpty)
    #expect(result.merged["title"] == "ours")
    #expect(result.merged["description"] == "theirs")
    #expect(result.merged["labels"] == ["b", "c"])
    #expect(
      result.merged["notes"]?.arrayValue?.compactMap { $0["text"]?.stringValue } == [
        "base", "theirs", "ours",
      ])
  }

  @Test func aTerminalStatusWinsAndTwoTerminalsConflict() {
    let base = task([:])
    let done = task(["status": "completed", "lease": ["holder": "a", "expiresAt": "9"]])
    let back = task(["status": "todo"])
    let won = TaskMerge.merge(base: base, ours: back, theirs: done, isTerminal: terminal)
    #expect(
      won.conflicts.isEmpty && won.merged["status"] == "completed" && won.merged["lease"] == .null)
    let clash = TaskMerge.merge(
      base: base, ours: done, theirs: task(["status": "failed"]), isTerminal: terminal)
    #expect(clash.conflicts == ["status"])
    #expect(clash.merged["status"] == "working")
    #expect(clash.merged["mergeConflict"]?["status"] == ["completed", "failed"])
  }

  @Test func theLaterClaimWinsAndTwoTitlesConflict() {
    let base = task([:])
    let ours = task([
      "assignee": "a", "lease": ["holder": "a", "expiresAt": "2026-01-01T10:00:00.000Z"],
      "title": "x",
    ])
    let theirs = task([
      "assignee": "b", "lease": ["holder": "b", "expiresAt": "2026-01-01T11:00:00.000Z"],
      "title": "y",
    ])
    let result = TaskMerge.merge(base: base, ours: ours, theirs: theirs, isTerminal: terminal)
    #expect(result.merged["assignee"] == "b")
    #expect(result.merged["lease"]?["holder"] == "b")
    #expect(result.conflicts == ["title"])
    #expect(result.merged["title"] == "t")
  }

  func claimed(_ holder: String, until: String, _ fields: [String: JSONValue] = [:]) -> JSONValue {
    var all = fields
    all["assignee"] = .string(holder)
    all["lease"] = ["holder": .string(holder), "expiresAt": .string(until)]
    return task(all)
  }

  @Test func theRulesReturnTheirDecisionsAndWhoseSideTheyKept() {
    let base = task(["taskId": "task_X"])
    let ours = claimed("a", until: "2026-01-01T10:00:00.000Z", ["taskId": "task_X"])
    let theirs = claimed("b", until: "2026-01-01T11:00:00.000Z", ["taskId": "task_X"])
    let lost = TaskMerge.merge(base: base, ours: ours, theirs: theirs, isTerminal: terminal)
    #expect(
      lost.decisions == [
        .init(field: "lease", kept: .theirs, reason: "lease: the claim by b, which runs longer")
      ])
    let told = OverruledTask.fromMerge(
      path: "p", ours: ours, result: lost, holder: "a", isTerminal: terminal)
    #expect(
      told?.line
        == "task_X \"t\": decided against this side: lease: the claim by b, which runs longer")
    // The same race seen from the winner: a decision, but none against this side.
    let won = TaskMerge.merge(base: base, ours: theirs, theirs: ours, isTerminal: terminal)
    #expect(won.decisions.map(\.kept) == [.ours])
    #expect(
      OverruledTask.fromMerge(
        path: "p", ours: theirs, result: won, holder: "b", isTerminal: terminal)
        == nil)
    // A terminal status over ours.
    let ended = TaskMerge.merge(
      base: base, ours: task(["status": "review"]), theirs: task(["status": "completed"]),
      isTerminal: terminal)
    #expect(
      ended.decisions == [
        .init(field: "status", kept: .theirs, reason: "status: completed (terminal) over review")
      ])
  }

  /// A claim of ours that an earlier merge elsewhere overruled: no rule decides it here (only
  /// the other side changed the lease since the base), the comparison tells it.
  @Test func aClaimOverruledElsewhereIsToldByComparingWhatThisSideHad() {
    let mine = claimed("a", until: "2026-01-01T10:00:00.000Z")
    let theirs = claimed("b", until: "2026-01-01T11:00:00.000Z")
    let told = OverruledTask.comparing(
      path: "p", had: mine, has: theirs, holder: "a", isTerminal: terminal)
    #expect(told?.decisions.map(\.reason) == ["lease: the claim by b, which runs longer"])
    #expect(
      OverruledTask.comparing(path: "p", had: mine, has: mine, holder: "a", isTerminal: terminal)
        == nil)
    #expect(
      OverruledTask.comparing(path: "p", had: theirs, has: mine, holder: "a", isTerminal: terminal)
        == nil)
    let finished = task(["status": "completed"])
    #expect(
      OverruledTask.comparing(
        path: "p", had: mine, has: finished, holder: "a", isTerminal: terminal)?.decisions.map(
          \.reason) == ["status: completed (terminal) over working"])
    // Merged with a note of ours on top: the merge keeps their lease without a rule; told.
    let base = mine
    var noted = mine.objectValue!
    noted["notes"] = [["at": "5", "by": "a", "text": "mine"]]
    let result = TaskMerge.merge(
      base: base, ours: .object(noted), theirs: theirs, isTerminal: terminal)
    #expect(result.decisions.isEmpty)
    #expect(
      OverruledTask.fromMerge(
        path: "p", ours: .object(noted), result: result, holder: "a", isTerminal: terminal)?
        .decisions.map(\.field) == ["lease"])
  }
}

/// Days a month does not have are refused, with leap years as the Gregorian calendar has them.
@Suite struct CalendarDateTests {
  @Test(arguments: [
    "2026-02-29T00:00:00Z", "2026-02-31T09:30:00Z", "2026-04-31T00:00:00Z",
    "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z",
    "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-01-00T00:00:00Z",
  ])
  func refusesDaysTheMonthDoesNotHave(text: String) {
    #expect(Timestamp(rfc3339: text) == nil)
  }

  @Test(arguments: [
    "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-02-28T23:59:59Z",
    "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z",
    "2026-12-31T23:59:59.999Z",
  ])
  func acceptsEveryRealDay(text: String) {
    #expect(Timestamp(rfc3339: text) != nil)
  }

  /// Every day from 1999 to 2101 round-trips through its text, so no real day is refused.
  @Test func everyDayOfACenturyRoundTrips() {
    let start = Timestamp(rfc3339: "1999-01-01T00:00:00Z")!.milliseconds
    let end = Timestamp(rfc3339: "2101-12-31T00:00:00Z")!.milliseconds
    var days = 0
    for milliseconds in stride(from: start, through: end, by: 86_400_000) {
      let text = Timestamp(milliseconds: milliseconds).description
      #expect(Timestamp(rfc3339: text)?.milliseconds == milliseconds, "\(text)")
      days += 1
    }
    #expect(days == 37_620)
  }

  @Test func theProblemNamesTheMissingDay() {
    #expect(
      Timestamp.problem(with: "2026-02-31T09:30:00Z")
        == "names a day that does not exist (2026-02-31): February 2026 has 28 days")
    #expect(Timestamp.problem(with: "2024-02-30T00:00:00Z").hasSuffix("February 2024 has 29 days"))
    #expect(Timestamp.problem(with: "yesterday").hasPrefix("must be an RFC 3339 time"))
  }
}

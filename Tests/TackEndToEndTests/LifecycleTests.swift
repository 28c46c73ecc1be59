import Foundation
import Testing

/// A task's whole life through the CLI: claim, notes, input requests and their answers.
@Suite struct LifecycleTests {
  @Test func approvedTaskCompletes() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Release 2.0", ["--label", "release"])
    #expect(try sandbox.storedTask(id)["status"]?.string == "todo")

    try sandbox.expectOneCommit(["claim", id], task: id, action: "claim", status: "working")
    var task = try sandbox.storedTask(id)
    #expect(task["assignee"]?.string == Sandbox.email)
    #expect(task["lease"]?["holder"]?.string == Sandbox.email)

    try sandbox.expectOneCommit(
      ["note", id, "Built and tested"], task: id, action: "note", status: "working")
    task = try sandbox.storedTask(id)
    #expect(task["notes"]?.array?.count == 1)
    #expect(task["notes"]?[0]?["text"]?.string == "Built and tested")
    #expect(task["notes"]?[0]?["by"]?.string == Sandbox.email)

    try sandbox.expectOneCommit(
      ["ask", id, "approve_release", "Ship 2.0?", "--approval"], task: id,
      action: "request-input", status: "input_required")
    task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "input_required")
    let request = task["inputRequests"]?["approve_release"]
    #expect(request?["type"]?.string == "confirmation")
    #expect(request?["message"]?.string == "Ship 2.0?")
    #expect(request?["onConfirm"]?.string == "completed")
    #expect(request?["onDecline"]?.string == "failed")
    #expect(task["inputResponses"] == .object([]))

    try sandbox.expectOneCommit(
      ["answer", id, "approve_release=yes"], task: id, action: "answer", status: "completed")
    task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "completed")
    #expect(
      task["inputResponses"]?["approve_release"]
        == .object([.init(key: "confirmed", value: .bool(true))]))
    #expect(task["lease"]?.isNull == true, "a terminal task holds no lease")

    let history = try JSON.parse(sandbox.ok(["log", id, "--json"]))["history"]?.array ?? []
    #expect(
      history.compactMap { $0["action"]?.string }
        == ["answer", "request-input", "note", "claim", "create"])
    #expect(
      history.compactMap { $0["status"]?.string }
        == ["completed", "input_required", "working", "working", "todo"])
    let gitLog = try sandbox.git(
      ["log", "--format=%H", Sandbox.branch, "--", Sandbox.taskPath(id)]
    ).split(separator: "\n").map(String.init)
    #expect(history.compactMap { $0["commit"]?.string } == gitLog)
    for entry in history {
      #expect(entry["actor"]?.string == Sandbox.actor)
      #expect(entry["author"]?["name"]?.string == Sandbox.name)
      #expect(entry["author"]?["email"]?.string == Sandbox.email)
    }
  }

  @Test func declinedApprovalFails() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Risky change")
    try sandbox.ok(["start", id])
    try sandbox.ok(["ask", id, "go", "Really?", "--approval"])
    try sandbox.expectOneCommit(
      ["answer", id, "go=no"], task: id, action: "answer", status: "failed")
    let task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "failed")
    #expect(
      task["inputResponses"]?["go"] == .object([.init(key: "confirmed", value: .bool(false))]))
  }

  @Test func answeredTextRequestReturnsToWorking() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Pick a colour")
    try sandbox.ok(["claim", id])
    try sandbox.ok(["ask", id, "colour", "Which colour?"])
    #expect(try sandbox.storedTask(id)["inputRequests"]?["colour"]?["type"]?.string == "text")
    try sandbox.expectOneCommit(
      ["answer", id, "colour=sky blue = #87ceeb"], task: id, action: "answer", status: "working")
    let task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "working")
    #expect(
      task["inputResponses"]?["colour"]
        == .object([.init(key: "text", value: .string("sky blue = #87ceeb"))]))
  }

  @Test func confirmationAnswersAcceptTrueAndFalse() throws {
    let sandbox = try Sandbox()
    for (answer, confirmed, status) in [
      ("TRUE", true, "completed"), ("false", false, "failed"), ("Yes", true, "completed"),
    ] {
      let id = try sandbox.add("Answer \(answer)")
      try sandbox.ok(["start", id])
      try sandbox.ok(["ask", id, "ok", "OK?", "--approval"])
      try sandbox.ok(["answer", id, "ok=\(answer)"])
      let task = try sandbox.storedTask(id)
      #expect(task["status"]?.string == status, "answer \(answer)")
      #expect(
        task["inputResponses"]?["ok"]
          == .object([.init(key: "confirmed", value: .bool(confirmed))]), "answer \(answer)")
    }
  }

  @Test func taskWaitsUntilEveryRequestIsAnswered() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Two questions")
    try sandbox.ok(["start", id])
    try sandbox.ok(["ask", id, "a", "First?"])
    try sandbox.expectOneCommit(
      ["ask", id, "b", "Second?"], task: id, action: "request-input", status: "input_required",
      what: "asks b")
    try sandbox.expectOneCommit(
      ["answer", id, "a=one"], task: id, action: "answer", status: "input_required",
      what: "answered a")
    try sandbox.expectOneCommit(
      ["answer", id, "b=two"], task: id, action: "answer", status: "working")
    let task = try sandbox.storedTask(id)
    #expect(task["inputResponses"]?.keys.sorted() == ["a", "b"])
  }

  @Test func confirmationWithCustomTargets() throws {
    let sandbox = try Sandbox()
    let declined = try sandbox.add("Declined")
    try sandbox.ok(["start", declined])
    try sandbox.ok([
      "ask", declined, "stop", "Stop here?", "--type", "confirmation", "--on-yes", "cancelled",
      "--on-no", "working",
    ])
    try sandbox.ok(["answer", declined, "stop=no"])
    #expect(try sandbox.storedTask(declined)["status"]?.string == "working")

    let confirmed = try sandbox.add("Confirmed")
    try sandbox.ok(["start", confirmed])
    try sandbox.ok([
      "ask", confirmed, "stop", "Now?", "--type", "confirmation", "--on-yes", "cancelled",
    ])
    try sandbox.ok(["answer", confirmed, "stop=yes"])
    #expect(try sandbox.storedTask(confirmed)["status"]?.string == "cancelled")

    let plain = try sandbox.add("Plain confirmation")
    try sandbox.ok(["start", plain])
    try sandbox.ok(["ask", plain, "sure", "Sure?", "--type", "confirmation"])
    try sandbox.ok(["answer", plain, "sure=no"])
    #expect(try sandbox.storedTask(plain)["status"]?.string == "working")
  }

  /// A request answered long ago must not decide where a later, separate request sends the
  /// task: only the requests answered now count.
  @Test func anEarlierDeclinedRequestDoesNotDecideALaterOne() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Deploy")
    try sandbox.ok(["start", id])
    try sandbox.ok([
      "ask", id, "deploy", "Deploy now?", "--type", "confirmation", "--on-yes", "completed",
      "--on-no", "working",
    ])
    try sandbox.ok(["answer", id, "deploy=no"])
    #expect(try sandbox.storedTask(id)["status"]?.string == "working")
    try sandbox.ok(["ask", id, "redeploy", "Deploy the fixed build?", "--approval"])
    try sandbox.expectOneCommit(
      ["answer", id, "redeploy=yes"], task: id, action: "answer", status: "completed",
      what: "answered redeploy (input_required → completed)")
    #expect(try sandbox.storedTask(id)["status"]?.string == "completed")
  }

  @Test func textRequestWithThen() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Then")
    try sandbox.ok(["start", id])
    try sandbox.ok(["ask", id, "summary", "Summary?", "--then", "completed"])
    try sandbox.ok(["answer", id, "summary=All good"])
    #expect(try sandbox.storedTask(id)["status"]?.string == "completed")
  }

  @Test func listFilters() throws {
    let sandbox = try Sandbox()
    let a = try sandbox.add("Alpha report", ["--label", "docs", "--label", "q3"])
    let b = try sandbox.add("Beta", ["--label", "docs", "--description", "about the REPORT"])
    let c = try sandbox.add("Gamma")
    try sandbox.ok(["claim", c])
    try sandbox.ok(["note", b, "needle in a note"])
    func ids(_ arguments: [String]) throws -> [String] {
      try JSON.parse(sandbox.ok(["list", "--json"] + arguments))["tasks"]?.array?.compactMap {
        $0["taskId"]?.string
      } ?? []
    }
    #expect(try ids([]) == [a, b, c], "oldest first")
    #expect(try ids(["--label", "docs"]) == [a, b])
    #expect(try ids(["--label", "docs", "--label", "q3"]) == [a])
    #expect(try ids(["--status", "working"]) == [c])
    #expect(try ids(["--status", "working", "--status", "todo"]) == [a, b, c])
    #expect(try ids(["--assignee", Sandbox.email]) == [c])
    #expect(try ids(["--assignee", ""]) == [a, b])
    #expect(try ids(["--text", "report"]) == [a, b])
    #expect(try ids(["--text", "NEEDLE"]) == [b])
    #expect(try ids(["--board", "main", "--status", "todo"]) == [a, b])
  }
}

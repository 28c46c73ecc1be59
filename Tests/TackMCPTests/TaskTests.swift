import Foundation
import TackAccess
import TackCore
import Testing

@testable import TackMCP

private let extensionMeta =
  #""_meta":{"io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}"#

private func call(
  _ fixture: ServerFixture, _ id: Int, _ method: String, _ params: String
) -> JSONValue? {
  fixture.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
}

@Suite struct TaskTests {
  @Test func taskSupportIsDeclaredAndEnforced() throws {
    let fixture = try ServerFixture()
    let tools = try #require(call(fixture, 1, "tools/list", "{}")?["result"]?["tools"]?.arrayValue)
    let support = Dictionary(
      uniqueKeysWithValues: tools.map {
        ($0["name"]!.stringValue!, $0["execution"]?["taskSupport"]?.stringValue)
      })
    #expect(support["request_approval"] == "required")
    #expect(support["create_task"] == "optional")
    #expect(support["get_task"] == "forbidden")
    // A task-augmented call to a forbidden tool, and a plain call to a required one: -32601.
    #expect(
      call(
        fixture, 2, "tools/call",
        #"{"name":"get_task","arguments":{"taskId":"\#(fixture.taskID)"},"task":{"ttl":1000}}"#)?[
          "error"]?["code"] == .int(-32601))
    #expect(
      call(fixture, 3, "tools/call", #"{"name":"request_approval","arguments":{"title":"x"}}"#)?[
        "error"]?["code"] == .int(-32601))
  }

  @Test func anApprovalIsABoardTaskWaitingForInput() throws {
    let fixture = try ServerFixture()
    let created = try #require(
      call(
        fixture, 1, "tools/call",
        #"{"name":"request_approval","arguments":{"title":"Ship v2","key":"approve_release"},"task":{"ttl":60000}}"#
      )?["result"]?["task"])
    #expect(created["status"] == "working")  // every task begins in working
    #expect(created["ttl"] == .null)
    let id = try #require(created["taskId"]?.stringValue)
    let stored = try BoardAccess.open(at: fixture.path).task(id)
    #expect(stored.status == "input_required")
    #expect(stored.inputRequests["approve_release"]?.onConfirm == "completed")
    // tasks/result on an unfinished task is parked: no reply now.
    #expect(call(fixture, 2, "tasks/result", #"{"taskId":"\#(id)"}"#) == nil)
    #expect(fixture.server.tasks.waiters[id]?.count == 1)
    // A person answers from the shell; the next watch answers the parked request.
    _ = try BoardAccess.open(at: fixture.path).answer(
      id, responses: ["approve_release": ["confirmed": true]])
    #expect(
      call(fixture, 3, "tasks/get", #"{"taskId":"\#(id)"}"#)?["result"]?["status"] == "completed")
    #expect(
      call(fixture, 4, "tasks/result", #"{"taskId":"\#(id)"}"#)?["result"]?["structuredContent"]?[
        "task"]?["inputResponses"]?["approve_release"] == ["confirmed": true])
  }

  @Test func cancelMovesTheBoardTaskAndTerminalStaysTerminal() throws {
    let fixture = try ServerFixture()
    let cancelled = try #require(
      call(fixture, 1, "tasks/cancel", #"{"taskId":"\#(fixture.taskID)"}"#)?["result"])
    #expect(cancelled["status"] == "cancelled")
    #expect(try BoardAccess.open(at: fixture.path).task(fixture.taskID).status == "cancelled")
    #expect(
      call(fixture, 2, "tasks/cancel", #"{"taskId":"\#(fixture.taskID)"}"#)?["error"]?["code"]
        == .int(-32602))
    #expect(
      call(fixture, 3, "tasks/cancel", #"{"taskId":"task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"}"#)?["error"]?[
        "code"] == .int(-32602))
    #expect(call(fixture, 4, "tasks/get", #"{"taskId":"nope"}"#)?["error"]?["code"] == .int(-32602))
  }

  @Test func theExtensionShapes() throws {
    let fixture = try ServerFixture()
    let created = try #require(
      call(
        fixture, 1, "tools/call",
        #"{"name":"request_approval","arguments":{"title":"Deploy"},\#(extensionMeta)}"#)?["result"]
    )
    #expect(created["resultType"] == "task")
    #expect(created["status"] == "working")
    #expect(created["pollIntervalMs"] == .int(1000))
    let id = try #require(created["taskId"]?.stringValue)
    let got = try #require(
      call(fixture, 2, "tasks/get", #"{"taskId":"\#(id)",\#(extensionMeta)}"#)?["result"])
    #expect(got["resultType"] == "complete")
    #expect(got["inputRequests"]?["approve"]?["method"] == "elicitation/create")
    #expect(
      got["inputRequests"]?["approve"]?["params"]?["requestedSchema"]?["properties"]?["confirmed"]?[
        "type"] == "boolean")
    // Declined elicitations and keys that are not outstanding answer nothing.
    let ignored = #"{"approve":{"action":"decline"},"other":true}"#
    #expect(
      call(
        fixture, 3, "tasks/update",
        #"{"taskId":"\#(id)","inputResponses":\#(ignored),\#(extensionMeta)}"#)?["result"]
        == ["resultType": "complete"])
    #expect(
      call(fixture, 7, "tasks/get", #"{"taskId":"\#(id)",\#(extensionMeta)}"#)?["result"]?["status"]
        == "input_required")
    let accepted = #"{"approve":{"action":"accept","content":{"confirmed":true}}}"#
    #expect(
      call(
        fixture, 8, "tasks/update",
        #"{"taskId":"\#(id)","inputResponses":\#(accepted),\#(extensionMeta)}"#)?["result"]
        == ["resultType": "complete"])
    let done = try #require(
      call(fixture, 4, "tasks/get", #"{"taskId":"\#(id)",\#(extensionMeta)}"#)?["result"])
    #expect(done["status"] == "completed")
    #expect(done["result"]?["structuredContent"]?["task"]?["status"] == "completed")
    // tasks/result and tasks/list are not part of the extension.
    #expect(
      call(fixture, 5, "tasks/result", #"{"taskId":"\#(id)",\#(extensionMeta)}"#)?["error"]?["code"]
        == .int(-32601))
    #expect(
      call(fixture, 6, "tasks/list", #"{\#(extensionMeta)}"#)?["error"]?["code"] == .int(-32601))
    // tasks/update without the declaration; a required tool from a 2026 client without it.
    #expect(
      call(fixture, 9, "tasks/update", #"{"taskId":"\#(id)","inputResponses":{}}"#)?["error"]?[
        "code"] == .int(-32021))
    let undeclared = #"{"io.modelcontextprotocol/clientCapabilities":{}}"#
    #expect(
      call(
        fixture, 10, "tools/call",
        #"{"name":"request_approval","arguments":{"title":"x"},"_meta":\#(undeclared)}"#)?[
          "error"]?[
          "code"] == .int(-32021))
  }

  @Test func aDeclinedApprovalIsACompletedToolErrorInTheExtension() throws {
    let fixture = try ServerFixture()
    let id = try #require(
      call(
        fixture, 1, "tools/call",
        #"{"name":"request_approval","arguments":{"title":"Drop it"},\#(extensionMeta)}"#)?[
          "result"]?["taskId"]?.stringValue)
    _ = call(
      fixture, 2, "tasks/update",
      #"{"taskId":"\#(id)","inputResponses":{"approve":false},\#(extensionMeta)}"#)
    let got = try #require(
      call(fixture, 3, "tasks/get", #"{"taskId":"\#(id)",\#(extensionMeta)}"#)?["result"])
    #expect(got["status"] == "completed")
    #expect(got["result"]?["isError"] == true)
    #expect(try BoardAccess.open(at: fixture.path).task(id).status == "failed")
  }

  @Test func tasksListShowsBoardTasksInScope() throws {
    let fixture = try ServerFixture()
    let listed = try #require(call(fixture, 1, "tasks/list", "{}")?["result"]?["tasks"]?.arrayValue)
    #expect(listed.map { $0["taskId"] } == [.string(fixture.taskID)])
    #expect(listed.first?["status"] == "working")  // todo maps to working
  }
}

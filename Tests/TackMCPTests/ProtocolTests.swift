import Foundation
import TestSupport
import TackAccess
import TackCore
import Testing

@testable import TackMCP

/// A board repository with an agent `bot` (every action on main) and a server acting as it.
final class ServerFixture {
  let path: String
  let server: MCPServer
  let taskID: String

  init(output: Int32 = 1) throws {
    path = try TestGit.temporaryFolder("tackmcp")
    try TestGit.run(["init", "-q", "-b", "main"], in: path)
    let local = try BoardAccess.initialize(at: path, board: "main").access
    taskID = try local.create(title: "first").taskId.rawValue
    _ = try local.addPrincipal("bot", kind: .agent, name: "Bot", email: nil)
    _ = try local.grant(
      "bot", board: "main", labels: nil, can: Set(Verb.allCases).subtracting([.admin]))
    server = MCPServer(
      access: try BoardAccess.open(at: path, as: "bot"), defaultBoard: nil,
      log: ServerLog(level: .error), output: output)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  func send(_ text: String) -> JSONValue? { server.handle(Array(text.utf8)) }
  func send(bytes: [UInt8]) -> JSONValue? { server.handle(bytes) }
}

@Suite struct ProtocolTests {
  @Test(
    arguments: [
      ("not json", -32700), ("{\"a\":", -32700), ("[]", -32600),
      ("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600),
      ("42", -32600), ("{\"id\":1,\"method\":\"ping\"}", -32600),
      ("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", -32600),
      ("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", -32600),
      ("{\"jsonrpc\":\"2.0\",\"id\":1}", -32600),
      ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", -32600),
      ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", -32601),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1999-01-01"}}}"#,
        -32022
      ),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        -32602
      ),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
        -32601
      ),
      ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}", -32602),
      ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", -32602),
      (
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}",
        -32602
      ),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"x"},"task":[]}}"#,
        -32602
      ),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"x"},"task":{"ttl":"abc"}}}"#,
        -32602
      ),
      (
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"x"},"task":{"ttl":-5}}}"#,
        -32602
      ),
      (
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"tack://nothing\"}}",
        -32002
      ),
    ] as [(String, Int)])
  func errorsCarryTheRightCode(frame: String, code: Int) throws {
    let fixture = try ServerFixture()
    let reply = try #require(fixture.send(frame))
    #expect(
      reply["error"]?["code"]?.intValue == Int64(code),
      "\(frame) → \(reply.serialized(pretty: false))")
    #expect(reply["jsonrpc"] == "2.0")
  }

  /// Bad arguments and missing tasks are the model's to correct: tool results with `isError`,
  /// whose text names arguments and tools, never a shell command.
  @Test(
    arguments: [
      (#"{"name":"get_task","arguments":{}}"#, "taskId"),
      (#"{"name":"get_task","arguments":{"taskId":7}}"#, "taskId"),
      (
        #"{"name":"get_task","arguments":{"taskId":"task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"}}"#,
        "list_tasks"
      ),
      (#"{"name":"list_tasks","arguments":{"bogus":1}}"#, "bogus"),
      (#"{"name":"list_tasks","arguments":{"board":"nope"}}"#, "list_boards"),
      (
        #"{"name":"transition_task","arguments":{"taskId":"task_01ZZZZZZZZZZZZZZZZZZZZZZZZ","status":"x"}}"#,
        "list_tasks"
      ),
    ])
  func badArgumentsAreToolErrors(params: String, mentions: String) throws {
    let fixture = try ServerFixture()
    let reply = try #require(
      fixture.send(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":\#(params)}"#))
    #expect(reply["error"] == nil, "\(reply.serialized(pretty: false))")
    #expect(reply["result"]?["isError"] == true)
    let text = try #require(reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
    #expect(text.contains(mentions), "\(text)")
    #expect(!text.contains("tack ") && !text.contains("--"), "\(text)")
  }

  @Test func invalidUTF8IsAParseError() throws {
    let fixture = try ServerFixture()
    let reply = try #require(
      fixture.send(
        bytes: Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"".utf8) + [0xff, 0xfe]
          + Array("\"}".utf8)))
    #expect(reply["error"]?["code"] == .int(-32700))
    #expect(reply["id"] == .null)
  }

  @Test func notificationsAndResponsesGetNoReply() throws {
    let fixture = try ServerFixture()
    #expect(fixture.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == nil)
    #expect(fixture.send("{\"jsonrpc\":\"2.0\",\"method\":\"no/such/notification\"}") == nil)
    #expect(
      fixture.send(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}")
        == nil)
    #expect(fixture.send("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}") == nil)
  }

  @Test func idsAreEchoedExactly() throws {
    let fixture = try ServerFixture()
    for id in ["\"abc\"", "7", "-3", "123456789012345678901234567890", "1.5"] {
      let reply = try #require(
        fixture.send("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"ping\"}"))
      #expect(reply["id"]?.serialized(pretty: false) == id)
      #expect(reply["result"] == .object([:]))
    }
  }

  @Test func initializeNegotiatesTheProtocolVersion() throws {
    let fixture = try ServerFixture()
    for (asked, answered) in [
      ("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"), ("2099-01-01", "2025-11-25"),
    ] {
      let reply = try #require(
        fixture.send(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"\(asked)\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"
        ))
      #expect(reply["result"]?["protocolVersion"] == .string(answered))
      #expect(reply["result"]?["serverInfo"]?["name"] == "tack")
      #expect(reply["result"]?["capabilities"]?["tools"] != nil)
    }
  }

  @Test func toolsListHasTheBoardToolsWithSchemas() throws {
    let fixture = try ServerFixture()
    let reply = try #require(
      fixture.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"))
    let tools = try #require(reply["result"]?["tools"]?.arrayValue)
    #expect(
      tools.compactMap { $0["name"]?.stringValue } == [
        "add_note", "answer_input", "claim_task", "create_task", "get_task", "list_boards",
        "list_tasks", "next_task", "release_task", "request_approval", "request_input",
        "task_history", "transition_task", "update_task",
      ])
    for tool in tools {
      #expect(tool["inputSchema"]?["type"] == "object")
      #expect(tool["outputSchema"]?["type"] == "object")
    }
  }

  @Test func aDomainRefusalIsAToolErrorAndWritesNothing() throws {
    let fixture = try ServerFixture()
    let reply = try #require(
      fixture.send(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"transition_task\",\"arguments\":{\"taskId\":\"\(fixture.taskID)\",\"status\":\"input_required\"}}}"
      ))
    #expect(reply["result"]?["isError"] == true)
    #expect(
      reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains(
        "cannot move from todo to input_required") == true)
    let task = try BoardAccess.open(at: fixture.path).task(fixture.taskID)
    #expect(task.status == "todo")
  }

  @Test func aToolCallReturnsStructuredContentAndTheSameText() throws {
    let fixture = try ServerFixture()
    let reply = try #require(
      fixture.send(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"claim_task\",\"arguments\":{\"taskId\":\"\(fixture.taskID.dropFirst(5).prefix(12))\",\"leaseSeconds\":60}}}"
      ))
    let structured = try #require(reply["result"]?["structuredContent"])
    #expect(structured["task"]?["status"] == "working")
    #expect(structured["task"]?["assignee"] == "bot")
    let text = try #require(reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
    #expect(try JSONValue.parse(text) == structured)
  }
}

@Suite struct FrameFuzzTests {
  /// Seeded random frames: every reply is a JSON-RPC object (or none, for notifications), the
  /// server never crashes, and nothing is written.
  @Test(arguments: [false, true]) func randomFramesNeverBreakTheServer(modern: Bool) throws {
    // Notifications a mutated frame may cause (a subscription's acknowledgement) go nowhere.
    let sink = open("/dev/null", O_WRONLY)
    defer { close(sink) }
    let fixture = try ServerFixture(output: sink)
    let before = try BoardAccess.open(at: fixture.path).list(TaskFilter()).tasks
    let meta =
      #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}}"#
    let seeds =
      (modern
      ? [
        #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"@META@}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_task","arguments":{"taskId":"x"},"@META@}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"request_approval","arguments":{"title":"t"},"requestState":"s1.7b7d.00","inputResponses":{"approve":{"action":"accept","content":{"confirmed":true}}},"@META@}}"#,
        #"{"jsonrpc":"2.0","id":"l","method":"subscriptions/listen","params":{"notifications":{"taskIds":["x"],"resourceSubscriptions":["tack://task/x"]},"@META@}}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"tasks/get","params":{"taskId":"x","@META@}}"#,
      ]
      : [
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_task","arguments":{"taskId":"x"}}}"#,
        #"{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#,
        #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, #"[{"jsonrpc":"2.0"}]"#,
      ]).map { Array($0.replacingOccurrences(of: "@META@", with: meta).utf8) }
    // Every seed is a frame the server answers (so mutations start from real requests).
    for seed in seeds where seed.contains(UInt8(ascii: "i")) {
      if let reply = fixture.send(bytes: seed) { #expect(reply["jsonrpc"] == "2.0") }
    }
    var state: UInt64 = 0x5eed
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    for round in 0..<5000 {
      var bytes = seeds[round % seeds.count]
      for _ in 0..<(1 + next(4)) {
        let position = next(bytes.count)
        switch next(3) {
        case 0: bytes[position] = UInt8(next(256))
        case 1: bytes.remove(at: position)
        default: bytes.insert(UInt8(next(256)), at: position)
        }
        if bytes.isEmpty { bytes = [0x7b] }
      }
      if let reply = fixture.send(bytes: bytes) {
        #expect(reply["jsonrpc"] == "2.0")
        #expect(reply["result"] != nil || reply["error"]?["code"]?.intValue != nil)
      }
    }
    #expect(try BoardAccess.open(at: fixture.path).list(TaskFilter()).tasks == before)
  }
}

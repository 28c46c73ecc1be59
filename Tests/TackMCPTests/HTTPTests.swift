import Foundation
import TackAccess
import TackCore
import TestSupport
import Testing

@testable import TackMCP

/// MCP over Streamable HTTP, in process: `MCPHTTPHandler` with real tokens on a real board
/// repository. Boards `main` (task `mainTask`) and `ops` (task `opsTask`); `bot` may do all but
/// admin on main, `reader` may read main; each has a token.
final class HTTPFixture {
  let path: String
  let handler: MCPHTTPHandler
  let mainTask: String
  let opsTask: String
  let botToken: String
  let readerToken: String
  let admin: BoardAccess

  init(allowedOrigins: [String] = []) throws {
    path = try TestGit.temporaryFolder("tackhttp")
    try TestGit.run(["init", "-q", "-b", "main"], in: path)
    admin = try BoardAccess.initialize(at: path, board: "main").access
    _ = try admin.addBoard("ops")
    mainTask = try admin.create(title: "main work").taskId.rawValue
    opsTask = try admin.create(title: "ops secret", board: "ops").taskId.rawValue
    _ = try admin.addPrincipal("bot", kind: .agent, name: "Bot", email: "bot@agents.example")
    _ = try admin.grant(
      "bot", board: "main", labels: nil, can: Set(Verb.allCases).subtracting([.admin]))
    _ = try admin.addPrincipal("reader", kind: .agent, name: nil, email: nil)
    _ = try admin.grant("reader", board: "main", labels: nil, can: [.read])
    botToken = try admin.createToken(for: "bot").token
    readerToken = try admin.createToken(for: "reader").token
    handler = try MCPHTTPHandler(
      repositoryPath: path, log: ServerLog(level: .error), allowedOrigins: allowedOrigins)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  static let accept = "application/json, text/event-stream"

  func post(
    _ body: String, token: String?, session: String? = nil, extra: [String: String] = [:]
  ) -> MCPHTTPResponse {
    var headers = ["Content-Type": "application/json", "Accept": Self.accept]
    if let token { headers["Authorization"] = "Bearer \(token)" }
    if let session { headers["Mcp-Session-Id"] = session }
    headers.merge(extra) { $1 }
    return handler.handle(method: "POST", headers: headers, body: Array(body.utf8))
  }

  /// A 2025-11-25 session for `token`: initialize and notifications/initialized.
  func session(_ token: String) throws -> String {
    let reply = post(
      #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#,
      token: token)
    #expect(reply.status == 200)
    let id = try #require(reply.headers["Mcp-Session-Id"])
    let initialized = post(
      #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, token: token, session: id,
      extra: ["MCP-Protocol-Version": "2025-11-25"])
    #expect(initialized.status == 202 && initialized.body.isEmpty)
    return id
  }

  func call(
    _ tool: String, _ arguments: String, token: String, session: String, id: Int = 1
  ) throws -> JSONValue {
    let reply = post(
      #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#,
      token: token, session: session, extra: ["MCP-Protocol-Version": "2025-11-25"])
    #expect(reply.status == 200)
    #expect(reply.headers["Content-Type"] == "application/json")
    return try #require(reply.json?["result"], "\(reply.text)")
  }
}

extension MCPHTTPResponse {
  var json: JSONValue? { try? JSONValue.parse(body) }
  var text: String { String(decoding: body, as: UTF8.self) }
}

@Suite struct HTTPTests {
  static let toolsList = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

  @Test func noOrABadTokenIs401() throws {
    let fixture = try HTTPFixture()
    let initialize =
      #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#
    let expired = try fixture.admin.createToken(
      for: "bot", expiresIn: 60, now: Timestamp.now().adding(seconds: -61)
    ).token
    let revoked = try fixture.admin.createToken(for: "bot")
    _ = try fixture.admin.revokeToken(revoked.record.id)
    for token in [
      nil, "", "nonsense", "tack_" + String(repeating: "A", count: 43), expired,
      revoked.token, fixture.botToken + "x",
    ] {
      let reply = fixture.post(initialize, token: token)
      #expect(reply.status == 401, "\(token ?? "no token")")
      #expect(reply.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
      #expect(reply.headers["Mcp-Session-Id"] == nil)
      #expect(reply.json?["error"]?["message"]?.stringValue?.contains("tack token create") == true)
    }
    let basic = fixture.handler.handle(
      method: "POST", headers: ["Authorization": "Basic Ym90OmJvdA=="], body: Array(initialize.utf8)
    )
    #expect(basic.status == 401)
    #expect(fixture.handler.sessionCount == 0)
    #expect(fixture.post(initialize, token: fixture.botToken).status == 200)
  }

  @Test func aSessionStartsWithInitializeAndEndsWithDelete() throws {
    let fixture = try HTTPFixture()
    // Without a session, a 2025 request is refused.
    #expect(fixture.post(Self.toolsList, token: fixture.botToken).status == 400)
    let session = try fixture.session(fixture.botToken)
    #expect(session.count == 32)
    let listed = fixture.post(
      Self.toolsList, token: fixture.botToken, session: session,
      extra: ["MCP-Protocol-Version": "2025-11-25"])
    #expect(listed.status == 200)
    #expect(listed.json?["id"] == 2)
    #expect(listed.json?["result"]?["tools"]?.arrayValue?.isEmpty == false)
    // An unknown session, and a session used with another principal's token: 404.
    #expect(fixture.post(Self.toolsList, token: fixture.botToken, session: "feed").status == 404)
    #expect(
      fixture.post(Self.toolsList, token: fixture.readerToken, session: session).status == 404)
    // Header and method checks.
    #expect(
      fixture.post(
        Self.toolsList, token: fixture.botToken, session: session,
        extra: ["MCP-Protocol-Version": "1999-01-01"]
      ).status == 400)
    #expect(
      fixture.post(
        Self.toolsList, token: fixture.botToken, session: session,
        extra: ["Accept": "text/html"]
      ).status == 406)
    let get = fixture.handler.handle(
      method: "GET",
      headers: ["Authorization": "Bearer \(fixture.botToken)", "Mcp-Session-Id": session],
      body: [])
    #expect(get.status == 405 && get.headers["Allow"] == "POST, DELETE")
    // DELETE ends it; the other principal cannot end it.
    let foreign = fixture.handler.handle(
      method: "DELETE",
      headers: ["authorization": "Bearer \(fixture.readerToken)", "mcp-session-id": session],
      body: [])
    #expect(foreign.status == 404)
    let ended = fixture.handler.handle(
      method: "DELETE",
      headers: ["authorization": "Bearer \(fixture.botToken)", "mcp-session-id": session], body: [])
    #expect(ended.status == 200)
    #expect(fixture.post(Self.toolsList, token: fixture.botToken, session: session).status == 404)
    #expect(fixture.handler.sessionCount == 0)

    // A token revoked while its session is open is refused on the next request.
    let (token, record) = try fixture.admin.createToken(for: "reader")
    let open = try fixture.session(token)
    #expect(fixture.post(Self.toolsList, token: token, session: open).status == 200)
    _ = try fixture.admin.revokeToken(record.id)
    #expect(fixture.post(Self.toolsList, token: token, session: open).status == 401)
  }

  @Test func thePrincipalsGrantsApplyAndItsWritesAreItsCommits() throws {
    let fixture = try HTTPFixture()
    let bot = try fixture.session(fixture.botToken)
    let reader = try fixture.session(fixture.readerToken)

    let created = try fixture.call(
      "create_task", #"{"title":"from http","board":"main"}"#, token: fixture.botToken,
      session: bot)
    #expect(created["isError"] == nil, "\(created)")
    let author = try TestGit.run(["log", "-1", "--format=%an <%ae>", "main"], in: fixture.path)
    #expect(author.trimmingCharacters(in: .whitespacesAndNewlines) == "Bot <bot@agents.example>")

    // The reader is offered no write tool, and a write it tries is refused, with nothing written.
    let tools =
      fixture.post(
        Self.toolsList, token: fixture.readerToken, session: reader
      ).json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    #expect(tools.contains("list_tasks") && !tools.contains("create_task"))
    let tip = try TestGit.run(["rev-parse", "main"], in: fixture.path)
    let refused = try fixture.call(
      "create_task", #"{"title":"no","board":"main"}"#, token: fixture.readerToken,
      session: reader)
    #expect(refused["isError"] == true)
    #expect(try TestGit.run(["rev-parse", "main"], in: fixture.path) == tip)

    // A task on a board it is not granted is the same as a missing one.
    let hidden = try fixture.call(
      "get_task", #"{"taskId":"\#(fixture.opsTask)"}"#, token: fixture.botToken, session: bot)
    let missing = try fixture.call(
      "get_task", #"{"taskId":"\#(fixture.opsTask.dropLast(3))zzz"}"#, token: fixture.botToken,
      session: bot)
    #expect(hidden["isError"] == true && missing["isError"] == true)
    let hiddenText = hidden["content"]?.arrayValue?.first?["text"]?.stringValue?
      .replacingOccurrences(of: fixture.opsTask, with: "ID")
    let missingText = missing["content"]?.arrayValue?.first?["text"]?.stringValue?
      .replacingOccurrences(of: fixture.opsTask.dropLast(3) + "zzz", with: "ID")
    #expect(hiddenText != nil && hiddenText == missingText)
    let visible = try fixture.call(
      "get_task", #"{"taskId":"\#(fixture.mainTask)"}"#, token: fixture.readerToken,
      session: reader)
    #expect(visible["structuredContent"]?["task"]?["title"] == "main work")
  }

  @Test func a2026RequestNeedsNoSession() throws {
    let fixture = try HTTPFixture()
    let meta =
      #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
    let listed = fixture.post(
      #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(meta)}}"#,
      token: fixture.readerToken, extra: ["MCP-Protocol-Version": "2026-07-28"])
    #expect(listed.status == 200)
    #expect(listed.headers["Mcp-Session-Id"] == nil)
    #expect(listed.json?["result"]?["resultType"] == "complete")
    let names = listed.json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
    #expect(names?.contains("create_task") == false)

    let created = fixture.post(
      #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"stateless","board":"main"},\#(meta)}}"#,
      token: fixture.botToken)
    #expect(created.json?["result"]?["resultType"] == "complete", "\(created.text)")
    #expect(created.json?["result"]?["isError"] == nil)
    let author = try TestGit.run(["log", "-1", "--format=%ae", "main"], in: fixture.path)
    #expect(author.trimmingCharacters(in: .whitespacesAndNewlines) == "bot@agents.example")
    // A 2026 request without capabilities is the server's invalid params, as over stdio.
    let bad = fixture.post(
      #"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
      token: fixture.botToken)
    #expect(bad.json?["error"]?["code"] == -32602)
    #expect(fixture.handler.sessionCount == 0)
  }

  @Test func aForeignOriginIsRefused() throws {
    let fixture = try HTTPFixture(allowedOrigins: ["https://board.example.com"])
    let ping =
      #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#
    for (origin, status) in [
      ("https://evil.example", 403), ("http://localhost.evil.example", 403), ("null", 403),
      ("http://127.0.0.1.nip.io:8080", 403), ("http://localhost:8080", 200),
      ("http://127.0.0.1:9", 200), ("http://[::1]:80", 200),
      ("https://board.example.com", 200),
    ] {
      let reply = fixture.post(ping, token: fixture.botToken, extra: ["Origin": origin])
      #expect(reply.status == status, "\(origin)")
    }
    // Checked before the token: a page elsewhere learns nothing, not even whether it is valid.
    #expect(fixture.post(ping, token: nil, extra: ["Origin": "https://evil.example"]).status == 403)
  }
}

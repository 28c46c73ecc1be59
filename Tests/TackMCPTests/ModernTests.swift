import Foundation
import TackAccess
import TackCore
import Testing

@testable import TackMCP

/// MCP 2026-07-28 in process: the `requestState` of an approval round trip is signed with the
/// key in the git directory, so a new server process accepts it, and a server with another key
/// does not.
@Suite struct ModernTests {
  static let meta =
    #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}}}"#

  static func approval(id: Int, state: String? = nil) -> String {
    let retry =
      state.map {
        #""requestState":"\#($0)","inputResponses":{"approve":{"action":"accept","content":{"confirmed":true}}},"#
      } ?? ""
    return
      #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"request_approval","arguments":{"title":"Ship"},\#(retry)\#(meta)}}"#
  }

  static func server(_ path: String) throws -> MCPServer {
    MCPServer(
      access: try BoardAccess.open(at: path, as: "bot"), defaultBoard: nil,
      log: ServerLog(level: .error))
  }

  @Test func requestStateIsSignedWithTheRepositoryKey() throws {
    let fixture = try ServerFixture()
    let asked = try #require(fixture.send(Self.approval(id: 1)))
    #expect(asked["result"]?["resultType"] == "input_required")
    let state = try #require(asked["result"]?["requestState"]?.stringValue)
    let keyPath = fixture.path + "/.git/tack/mcp-state-key"
    let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    #expect((attributes[.size] as? Int) == 32)

    // A restarted server (a new process would open the repository afresh) accepts it.
    let restarted = try Self.server(fixture.path)
    let done = try #require(restarted.handle(Array(Self.approval(id: 2, state: state).utf8)))
    #expect(done["result"]?["structuredContent"]?["task"]?["status"] == "completed")
    #expect(done["result"]?["isError"] == nil)

    // With another key, an earlier state is refused and nothing is written.
    let second = try #require(restarted.handle(Array(Self.approval(id: 3).utf8)))
    let secondState = try #require(second["result"]?["requestState"]?.stringValue)
    try FileManager.default.removeItem(atPath: keyPath)
    let rekeyed = try Self.server(fixture.path)
    let before = try BoardAccess.open(at: fixture.path).revision()
    let refused = try #require(rekeyed.handle(Array(Self.approval(id: 4, state: secondState).utf8)))
    #expect(refused["error"]?["code"] == -32602)
    #expect(try BoardAccess.open(at: fixture.path).revision() == before)
  }

  @Test func everyModernResultHasAResultTypeAndServerInfo() throws {
    let fixture = try ServerFixture()
    for method in ["server/discover", "tools/list", "resources/list", "resources/templates/list"] {
      let reply = try #require(
        fixture.send(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":{\#(Self.meta)}}"#))
      let result = try #require(reply["result"], "\(method): \(reply)")
      #expect(result["resultType"] == "complete", "\(method)")
      #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "tack")
      #expect(result["ttlMs"]?.intValue != nil && result["cacheScope"]?.stringValue != nil)
    }
  }
}

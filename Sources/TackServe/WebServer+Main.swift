import Foundation
import TackAccess
import TackCore
import TackMCP

extension WebServer {
  /// The `tack-serve` program: `--repo PATH --host H --port N [--board B]`, as `tack serve`
  /// passes them. Returns the exit code; errors go to stderr as `tack: error: ...`.
  public static func main(_ arguments: [String]) -> Int32 {
    var options: [String: String] = ["--repo": ".", "--host": "127.0.0.1", "--port": "8080"]
    var index = 0
    while index + 1 < arguments.count, arguments[index].hasPrefix("--") {
      options[arguments[index]] = arguments[index + 1]
      index += 2
    }
    guard index == arguments.count, let port = Int(options["--port"]!),
      (0...65535).contains(port), let host = options["--host"], let repo = options["--repo"]
    else {
      return fail(
        "tack-serve takes --repo PATH --host ADDRESS --port N [--board NAME]; run 'tack serve' instead.",
        4)
    }
    let board = options["--board"]
    let access: BoardAccess
    do {
      access = try BoardAccess.open(at: repo, as: nil)
      access.preferDurableWrites()
      access.packInBackground()
      if let board { _ = try access.board(board) }
    } catch {
      return fail(error.description, error.exitCode)
    }
    // MCP over Streamable HTTP at /mcp, for agents with a bearer token (`tack token create`).
    let mcp: MCPHTTPHandler
    do {
      mcp = try MCPHTTPHandler(
        repositoryPath: repo, defaultBoard: board, log: ServerLog(level: .warning))
    } catch {
      return fail(error.description, error.exitCode)
    }
    do {
      try run(access: access, mcp: mcp, host: host, port: port, board: board) { url in
        FileHandle.standardOutput.write(Data((url + "\n").utf8))
        FileHandle.standardError.write(
          Data("Serving the board for you; open the URL above. Ctrl-C stops.\n".utf8))
      }
    } catch {
      return fail(error.description, error.exitCode)
    }
    return 0
  }

  private static func fail(_ message: String, _ code: Int32) -> Int32 {
    FileHandle.standardError.write(Data("tack: error: \(message)\n".utf8))
    return code
  }
}

import ArgumentParser
import TackAccess
import TackCore
import TackMCP

struct MCPCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mcp",
    abstract: "Serve the board to an agent over MCP (JSON-RPC on stdin/stdout), as one principal.",
    discussion: """
      Every tool runs as the principal named by --as (or TACK_PRINCIPAL): the agent sees and \
      changes only the boards and labels it is granted, and its writes are commits authored by \
      it. Logs go to stderr; stdout carries the protocol only. See docs/mcp.md.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    help: ArgumentHelp("Board for tools called without one.", valueName: "name"),
    completion: .boardNames)
  var board: String?

  @Flag(
    name: .customLong("read-only"),
    help: "Offer only the read tools and refuse every write, whatever the grants allow.")
  var readOnly = false

  @Option(name: .customLong("log-level"), help: "error, warning, info or debug.")
  var logLevel: String = "warning"

  func run() throws {
    guard let level = ServerLog.Level(name: logLevel) else {
      Console.error("--log-level must be error, warning, info or debug, not \(logLevel).")
      throw ExitCode(TackError.invalidInput("").exitCode)
    }
    try running(global) { () throws(TackError) in
      guard let principal = global.principalID else {
        throw .invalidInput(
          "tack mcp needs a principal: --as ID (or TACK_PRINCIPAL). Add one with 'tack scope add ID --kind agent' and grant it a board."
        )
      }
      let access = try BoardAccess.open(at: global.repositoryPath, as: principal)
      access.preferDurableWrites()
      access.packInBackground()
      _ = try access.config()
      if let board { _ = try access.board(board) }
      MCPServer(
        access: access, defaultBoard: board, log: ServerLog(level: level), readOnly: readOnly
      ).run()
    }
  }
}

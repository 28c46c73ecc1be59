import ArgumentParser
import TackAccess
import TackCore
import TackServe

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the board in a web browser, for you (your git identity).",
    discussion: """
      Prints on its first line the URL that signs you in (a one-time token, traded for a \
      session cookie). Listens on loopback unless --host says otherwise; stop it with Ctrl-C. \
      See docs/serve.md.
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: ArgumentHelp("The address to listen on.", valueName: "address"))
  var host = "127.0.0.1"

  @Option(help: ArgumentHelp("The port (0: any free port).", valueName: "n"))
  var port = 8080

  @Option(
    help: ArgumentHelp("The board shown first, and for new tasks.", valueName: "name"),
    completion: .boardNames)
  var board: String?

  func run() throws {
    guard (0...65535).contains(port) else {
      Console.error("--port must be 0 to 65535, not \(port).")
      throw ExitCode(TackError.invalidInput("").exitCode)
    }
    var opened: BoardAccess?
    try running(global) { () throws(TackError) in
      if global.principalID != nil {
        throw .invalidInput(
          "tack serve acts as you (your git identity), not as a principal: drop --as (and TACK_PRINCIPAL)."
        )
      }
      let access = try BoardAccess.open(at: global.repositoryPath, as: nil)
      access.preferDurableWrites()
      access.packInBackground()
      if let board { _ = try access.board(board) }
      opened = access
    }
    guard let access = opened else { return }
    do {
      try WebServer.run(access: access, host: host, port: port, board: board) { url in
        Console.out(url)
        Console.info("Serving the board for you; open the URL above. Ctrl-C stops.")
      }
    } catch {
      Console.error(error.description)
      throw ExitCode(error.exitCode)
    }
  }
}

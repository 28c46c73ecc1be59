import ArgumentParser
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the board in a web browser, for you (your git identity).",
    discussion: """
      Prints on its first line the URL that signs you in (a one-time token, traded for a \
      session cookie). Listens on loopback unless --host says otherwise; stop it with Ctrl-C. \
      The server is the program tack-serve, installed next to tack. See docs/web.md.
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
    try running(global) { () throws(TackError) in
      guard (0...65535).contains(port) else {
        throw .invalidInput("--port must be 0 to 65535, not \(port).")
      }
      if global.principalID != nil {
        throw .invalidInput(
          "tack serve acts as you (your git identity), not as a principal: drop --as (and TACK_PRINCIPAL)."
        )
      }
      // The server lives in its own program, so that Hummingbird's Foundation and SwiftNIO
      // are loaded by `tack serve` only, not by every command (docs/architecture.md).
      let server = Self.serverProgram()
      var arguments = [
        server, "--repo", global.repositoryPath, "--host", host, "--port", String(port),
      ]
      if let board { arguments += ["--board", board] }
      let argv = arguments.map { strdup($0) } + [nil]
      execv(server, argv)
      throw .invalidInput(
        "cannot start \(server): \(String(cString: strerror(errno))). tack serve needs the tack-serve program next to tack (swift build builds both)."
      )
    }
  }

  /// `tack-serve` in the folder of the running `tack`.
  static func serverProgram() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return "tack-serve" }
    let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
      .joined(separator: "/")
    return folder + "/tack-serve"
  }
}

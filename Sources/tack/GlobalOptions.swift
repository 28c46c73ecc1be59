import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Options every command takes, before or after its name.
struct GlobalOptions: ParsableArguments {
  static let names: Set<String> = ["--repo", "--json", "--as"]
  static let namesWithValue: Set<String> = ["--repo", "--as"]

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The board repository (default: TACK_REPO, else the repository containing the current folder).",
      valueName: "path"))
  var repo: String?

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  @Option(
    name: .customLong("as"),
    help: ArgumentHelp(
      "Act as this principal of .tack/scopes.json (default: TACK_PRINCIPAL, else your git identity).",
      valueName: "id"))
  var principal: String?

  /// --as, then TACK_PRINCIPAL; `nil` means the local git identity.
  var principalID: String? {
    if let principal { return principal }
    if let env = getenv("TACK_PRINCIPAL"), env.pointee != 0 { return String(cString: env) }
    return nil
  }

  /// Where to look for the repository: --repo, then TACK_REPO, then the current folder.
  var repositoryPath: String {
    if let repo { return repo }
    if let env = getenv("TACK_REPO"), env.pointee != 0 { return String(cString: env) }
    return "."
  }

  func open() throws(TackError) -> BoardAccess {
    let access = try BoardAccess.open(at: repositoryPath, as: principalID)
    Opened.keep(access)
    return access
  }
}

/// What a command opened stays referenced until the process exits: freeing a read index of
/// thousands of records just before `exit` is measurable work for nothing.
enum Opened {
  nonisolated(unsafe) private static var objects: [AnyObject] = []

  static func keep(_ object: AnyObject) { objects.append(object) }
}

/// Runs a command body, turning a `TackError` into a message on stderr and its exit code. With
/// `global`, a mistyped board or status gets a "did you mean" hint (see `Suggestion`).
func running(_ global: GlobalOptions? = nil, _ body: () throws(TackError) -> Void) throws {
  do {
    try body()
  } catch {
    let hint = Suggestion.hint(for: error, global: global)
    Console.error(error.description + (hint.map { " " + $0 } ?? ""))
    throw ExitCode(error.exitCode)
  }
}

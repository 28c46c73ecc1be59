import ArgumentParser
import TackAccess
import TackCore

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Make this folder a Tack board repository (git init if needed); safe to repeat.")

  @OptionGroup var global: GlobalOptions

  @Option(help: ArgumentHelp("Name of the first (default) board.", valueName: "name"))
  var board: String?

  @Option(
    help: ArgumentHelp(
      "Keep the board on a branch of its own (e.g. tack), leaving the checked-out branch, index and files alone.",
      valueName: "branch"))
  var branch: String?

  @Flag(help: "Put the board on the checked-out branch even though it holds other files.")
  var here = false

  func run() throws {
    try running(global) { () throws(TackError) in
      if branch != nil && here {
        throw .invalidInput("give --branch NAME or --here, not both.")
      }
      let (access, outcome) = try BoardAccess.initialize(
        at: global.repositoryPath, board: board, branch: branch, here: here,
        as: global.principalID)
      // Plain git merges task files with Tack's rules in this clone (local config only).
      try? access.installMergeDriver(command: runningBinary())
      if global.json {
        Console.json([
          "repository": .string(access.location),
          "createdRepository": .bool(outcome.createdRepository),
          "addedFiles": .array(outcome.addedFiles.map { .string($0) }),
          "defaultBoard": .string(outcome.defaultBoard),
          "branch": .string(access.branchName),
        ])
        return
      }
      if outcome.createdRepository {
        Console.out("Initialized a git repository in \(access.location)")
      }
      if let board, board != outcome.defaultBoard {
        Console.warning(
          "this repository's default board is \(outcome.defaultBoard); --board \(board) was not applied (use 'tack board add \(board)')."
        )
      }
      if outcome.addedFiles.isEmpty {
        Console.out(
          "Already a Tack board repository (default board: \(outcome.defaultBoard)); nothing to do."
        )
      } else {
        Console.out(
          "Tack board \(outcome.defaultBoard) ready in \(access.location) (\(outcome.addedFiles.count) files committed)."
            + (branch != nil
              ? " It lives on branch \(access.branchName): every tack command reads and writes it from any branch or worktree."
              : "")
        )
        Console.out(
          """
          Try next:
            tack add "My first task"     create a task; prints its id
            tack board                   the board, a column per status
            tack --help                  every command
          """)
      }
    }
  }
}

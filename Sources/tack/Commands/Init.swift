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

  func run() throws {
    try running(global) { () throws(TackError) in
      let (access, outcome) = try BoardAccess.initialize(
        at: global.repositoryPath, board: board, as: global.principalID)
      // Plain git merges task files with Tack's rules in this clone (local config only).
      try? access.installMergeDriver(command: runningBinary())
      if global.json {
        Console.json([
          "repository": .string(access.location),
          "createdRepository": .bool(outcome.createdRepository),
          "addedFiles": .array(outcome.addedFiles.map { .string($0) }),
          "defaultBoard": .string(outcome.defaultBoard),
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

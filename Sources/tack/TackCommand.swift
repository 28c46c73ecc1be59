import ArgumentParser
import TackCore

struct TackCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tack",
    abstract: "A task board that lives in a git repository.",
    discussion: """
      Tasks are JSON files on the current branch; every change is one git commit. \
      Ids may be shortened to any unique prefix (like git's hashes).

      Exit codes: 0 ok, 1 git or internal failure, 2 not found, 3 ambiguous short id, \
      4 invalid input, 5 refused by the board's rules, 6 conflict or uncommitted changes \
      in the way, 7 not a board repository, 8 a file that does not parse, 9 not allowed \
      (unknown principal or missing grant), 64 bad usage.

      The state machine of a board: tack board show --statuses. Who may do what: tack scope \
      and docs/scoping.md. Agents over MCP: tack mcp and docs/mcp.md. A walk from install to \
      an agent working a board: docs/guide.md.
      """,
    version: TackVersion.current,
    // Aliases: `ls` (list), `new` (add), `close` (done); `tack help` lists them with the rest.
    subcommands: [
      Init.self, BoardCommand.self, Add.self, List.self, Show.self, Move.self, Start.self,
      Done.self, Fail.self, Cancel.self, Note.self, Edit.self, Ask.self, Answer.self, Claim.self,
      Release.self, Reopen.self, Undo.self, Log.self, Import.self, Export.self, GC.self,
      MergeDriver.self, InstallMergeDriver.self, Sync.self, Check.self, Ready.self, Next.self,
      Dep.self,
      ScopeCommand.self, TokenCommand.self,
      MCPCommand.self,
      ServeCommand.self,
    ]
  )
}

extension TackCommand {
  /// Every word that names a command here: names, aliases, and `help`.
  static var commandWords: [String] {
    configuration.subcommands.flatMap {
      [$0.configuration.commandName ?? ""] + $0.configuration.aliases
    }
      + ["help"]
  }

  /// The message for a first word that is no command (nil when it is one, or an option):
  /// "unknown command 'lsit'. Did you mean 'list'?", so a typo costs no trip to --help.
  static func unknownCommand(_ word: String) -> String? {
    guard !word.hasPrefix("-"), !commandWords.contains(word) else { return nil }
    let shown = String(word.prefix(40)).terminalSafe()
    var message = "unknown command '\(shown)'."
    if let close = Suggestion.closest(to: word, among: commandWords) {
      message += " Did you mean '\(close)'?"
    } else {
      message += " 'tack --help' lists the commands."
    }
    return message
  }
}

import ArgumentParser
import TackAccess
import TackCore

struct BoardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "board", abstract: "List, show and add boards.",
    subcommands: [ListBoards.self, AddBoard.self, ShowBoard.self],
    defaultSubcommand: ListBoards.self)

  struct ListBoards: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the boards.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
      try running { () throws(TackError) in
        let access = try global.open()
        let (boards, problems) = try access.boards()
        for problem in problems { Console.warning("skipped \(problem.path): \(problem.reason)") }
        let defaultBoard = try access.config().defaultBoard
        if global.json {
          Console.json(["boards": .array(boards.map { boardJSON($0, default: defaultBoard) })])
          return
        }
        for board in boards {
          Console.out(board.name + (board.name == defaultBoard ? " (default)" : ""))
        }
      }
    }
  }

  struct AddBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add a board with the default statuses.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The board's name: lowercase letters, digits, '-' and '_'.") var name: String

    func run() throws {
      try running { () throws(TackError) in
        let board = try global.open().addBoard(name)
        if global.json {
          Console.json(boardJSON(board, default: nil))
        } else {
          Console.out("Added board \(board.name).")
        }
      }
    }
  }

  struct ShowBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Show a board's statuses and transitions.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The board (default: the default board).") var name: String?

    func run() throws {
      try running { () throws(TackError) in
        let board = try global.open().board(name)
        if global.json { Console.json(boardJSON(board, default: nil)); return }
        Console.out(
          "Board \(board.name)" + (board.description.isEmpty ? "" : ": \(board.description)"))
        Console.out("New tasks start in \(board.initialStatus).")
        if !board.labels.isEmpty { Console.out("Labels: \(board.labels.joined(separator: ", "))") }
        for status in board.statuses {
          let next = status.terminal ? "terminal" : "→ " + status.next.joined(separator: ", ")
          Console.out("  \(status.name.padding(16))\(next)   (MCP: \(status.mcpStatus))")
        }
      }
    }
  }
}

func boardJSON(_ board: Board, default defaultBoard: String?) -> JSONValue {
  guard case .object(var object) = board.json else { return board.json }
  object["name"] = .string(board.name)
  if let defaultBoard { object["default"] = .bool(board.name == defaultBoard) }
  return .object(object)
}

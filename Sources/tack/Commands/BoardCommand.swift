import ArgumentParser
import TackAccess
import TackCore

struct BoardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "board", abstract: "Show a board's tasks (the default), list and add boards.",
    subcommands: [ShowBoard.self, ListBoards.self, AddBoard.self],
    defaultSubcommand: ShowBoard.self)

  struct ListBoards: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the boards.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
      try running(global) { () throws(TackError) in
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
      try running(global) { () throws(TackError) in
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
      commandName: "show",
      abstract: "Show a board's tasks in a column per status (--statuses: its statuses and moves).",
      discussion: """
        The view fits the terminal's width (else COLUMNS, else 80). Terminal statuses get a \
        column when there is room, else a summary line; their columns show the \
        \(BoardView.terminalRows) most recently updated tasks. Colour only on a terminal \
        and when NO_COLOR is unset.
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The board (default: the default board).", completion: .boardNames)
    var name: String?
    @Flag(help: "Show the board's statuses and where each may move, instead of its tasks.")
    var statuses = false
    @Flag(help: "Draw the board again whenever the branch moves, until Ctrl-C.")
    var watch = false

    func validate() throws {
      if watch && (statuses || global.json) {
        throw ValidationError("--watch draws the task view: leave out --statuses and --json.")
      }
    }

    func run() throws {
      try running(global) { () throws(TackError) in
        let access = try global.open()
        if statuses { return try showStatuses(access.board(name)) }
        if watch { try BoardWatch(access: access, board: name).run() }
        let view = try boardView(access, name)
        if global.json {
          Console.json(view.json)
        } else {
          Console.out(view.rendered(width: Terminal.width, color: Terminal.usesColor))
        }
      }
    }

    private func showStatuses(_ board: Board) {
      if global.json { return Console.json(boardJSON(board, default: nil)) }
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

/// The board named (default: the default board) with its tasks, read for the board view.
func boardView(_ access: BoardAccess, _ name: String?) throws(TackError) -> BoardView {
  let board = try access.board(name)
  let (tasks, problems) = try access.summaries(TaskFilter(board: board.name))
  for problem in problems { Console.warning("skipped \(problem.path): \(problem.reason)") }
  return BoardView(board: board, tasks: tasks, shortIDs: try access.shortIDs())
}

func boardJSON(_ board: Board, default defaultBoard: String?) -> JSONValue {
  guard case .object(var object) = board.json else { return board.json }
  object["name"] = .string(board.name)
  if let defaultBoard { object["default"] = .bool(board.name == defaultBoard) }
  return .object(object)
}

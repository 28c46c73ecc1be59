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
        The view fits the terminal's width (else COLUMNS, else 80). Only statuses that hold \
        tasks get a column, as wide as their cards need; the others are counted on an \
        "Also:" line, and so are the terminal statuses when their columns do not fit. A \
        terminal column shows its \(BoardView.terminalRows) most recently updated tasks; a \
        title wraps onto \(BoardView.titleLines) lines. --watch keeps the view to the \
        terminal's height (else LINES, else 24). Colour only on a terminal and when NO_COLOR \
        is unset.
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The board (default: the default board).", completion: .boardNames)
    var name: String?
    @Option(
      name: .customLong("board"),
      help: ArgumentHelp("The board, as other commands take it (same as NAME).", valueName: "name"),
      completion: .boardNames)
    var boardOption: String?
    @Flag(name: .customLong("all"), help: "Every board you can see, one after the other.")
    var allBoards = false
    @Flag(help: "Show the board's statuses and where each may move, instead of its tasks.")
    var statuses = false
    @Flag(help: "Draw the board again whenever the branch moves, until Ctrl-C.")
    var watch = false

    func validate() throws {
      if watch && (statuses || global.json) {
        throw ValidationError("--watch draws the task view: leave out --statuses and --json.")
      }
      if let name, let boardOption, name != boardOption {
        throw ValidationError(
          "two boards given (\(name) and --board \(boardOption)): give one of them.")
      }
      if allBoards && (name != nil || boardOption != nil || statuses) {
        throw ValidationError(
          "--all shows every board's tasks: leave out the board and --statuses.")
      }
    }

    func run() throws {
      try running(global) { () throws(TackError) in
        let access = try global.open()
        let board = name ?? boardOption
        if statuses { return try showStatuses(access.board(board)) }
        if watch { try BoardWatch(access: access, board: board, allBoards: allBoards).run() }
        let views = try boardViews(access, board, all: allBoards)
        if global.json {
          Console.json(allBoards ? ["boards": .array(views.map(\.json))] : views[0].json)
        } else {
          Console.out(
            BoardView.rendered(
              views, width: Terminal.width, color: Terminal.usesColor, height: nil))
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

/// The board named (default: the default board), or with `all` every board the principal
/// sees, with its tasks, read for the board view.
func boardViews(_ access: BoardAccess, _ name: String?, all: Bool) throws(TackError) -> [BoardView]
{
  let boards = all ? try access.boards().boards : [try access.board(name)]
  let (tasks, problems) = try access.summaries(TaskFilter(board: all ? nil : boards[0].name))
  for problem in problems { Console.warning("skipped \(problem.path): \(problem.reason)") }
  let shortIDs = try access.shortIDs()
  let blocked = try access.blocked(tasks)
  return boards.map {
    BoardView(board: $0, tasks: tasks, shortIDs: shortIDs, blocked: Set(blocked.keys))
  }
}

func boardJSON(_ board: Board, default defaultBoard: String?) -> JSONValue {
  guard case .object(var object) = board.json else { return board.json }
  object["name"] = .string(board.name)
  if let defaultBoard { object["default"] = .bool(board.name == defaultBoard) }
  return .object(object)
}

import ArgumentParser
import TackAccess
import TackCore

struct Add: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Create a task; prints its id (or the task with --json).", aliases: ["new"])
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp(
      "The task's title (one line; several words need no quotes).", valueName: "title"))
  var words: [String]
  @Option(
    help: ArgumentHelp("Board (default: the repository's default board).", valueName: "name"),
    completion: .boardNames)
  var board: String?
  @Option(
    name: .customLong("label"), help: ArgumentHelp("A label; repeat for more.", valueName: "label"))
  var labels: [String] = []
  @Option(help: "A longer description.") var description: String = ""
  @OptionGroup var plan: PlanOptions

  func run() throws {
    try running(global) { () throws(TackError) in
      let title = words.joined(separator: " ")
      let task = try global.open().create(
        title: title, board: board, description: description, labels: labels,
        plan: try plan.change())
      if global.json { Console.json(task.json) } else { Console.out(task.taskId.rawValue) }
    }
  }
}

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List tasks, oldest first; filters combine (labels: all must match).",
    discussion: """
      The table leaves out finished tasks (terminal statuses) unless --all or --status names \
      them; --json and --fields list every status unless filtered. --status open is every \
      status that is not terminal on the task's board.
      """,
    aliases: ["ls"])
  @OptionGroup var global: GlobalOptions
  @Option(
    help: ArgumentHelp("Only this board (default: all boards).", valueName: "name"),
    completion: .boardNames)
  var board: String?
  @Option(
    name: .customLong("status"),
    help: ArgumentHelp(
      "Only this status ('open': every non-terminal one); repeat for any of several.",
      valueName: "status"),
    completion: .statuses)
  var statuses: [String] = []
  @Option(
    name: .customLong("label"),
    help: ArgumentHelp(
      "Only tasks with this label; repeat (or separate with commas) to require several.",
      valueName: "label")
  )
  var labels: [String] = []
  @Option(
    help: ArgumentHelp(
      "Only tasks assigned to this id, a unique beginning of one, the part of an email before @, or 'me' ('' for unassigned).",
      valueName: "id"))
  var assignee: String?
  @Flag(help: "Only tasks assigned to you (--assignee me).") var mine = false
  @Flag(help: "Finished (terminal) tasks too.") var all = false
  @Option(
    help: ArgumentHelp(
      "Only tasks whose title, description or notes contain this text.", valueName: "text"))
  var text: String?
  @Option(
    help: ArgumentHelp(
      "For scripts: print these fields, tab-separated, one task a line, no header (\(ListField.allNames)).",
      valueName: "fields"))
  var fields: String?

  func run() throws {
    try running(global) { () throws(TackError) in
      let columns = try fields.map { (text) throws(TackError) in try ListField.parse(text) }
      let access = try global.open()
      let selection = ListSelection(
        board: board, statuses: statuses, labels: labels, assignee: assignee, mine: mine,
        text: text, all: all, forPeople: !global.json && columns == nil)
      let (tasks, problems, note) = try selection.tasks(access)
      LeftAtExit.keep(tasks)
      for problem in problems { Console.warning("skipped \(problem.path): \(problem.reason)") }
      if let note { Console.info(note.text) }
      if global.json {
        TaskSummary.writeJSONDocument(key: "tasks", tasks, to: Console.write)
        return
      }
      if let columns {
        for task in tasks {
          Console.out(columns.map { $0.value(of: task).terminalSafe() }.joined(separator: "\t"))
        }
        return
      }
      if tasks.isEmpty {
        if note?.explainsEmpty == true { return }
        Console.info(
          selection.hidesFinished
            ? "No open tasks match (--all lists finished ones too)." : "No tasks match.")
        return
      }
      let showBoard = board == nil && Set(tasks.map(\.board)).count > 1
      Console.out(
        TaskText.table(
          tasks, shortIDs: try access.shortIDs(), showBoard: showBoard, width: Terminal.width))
    }
  }
}

/// The fields `tack list --fields` prints.
enum ListField: String, CaseIterable {
  case id, board, status, assignee, labels, title, created, updated

  static var allNames: String { allCases.map(\.rawValue).joined(separator: ",") }

  static func parse(_ text: String) throws(TackError) -> [ListField] {
    var result: [ListField] = []
    for name in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let field = ListField(rawValue: String(name)) else {
        throw .invalidInput(
          "--fields: unknown field \"\(name.prefix(40))\"; use some of \(allNames).")
      }
      result.append(field)
    }
    return result
  }

  func value(of task: TaskSummary) -> String {
    switch self {
    case .id: task.taskId.rawValue
    case .board: task.board
    case .status: task.status
    case .assignee: task.assignee ?? ""
    case .labels: task.labels.joined(separator: ",")
    case .title: task.title
    case .created: task.createdAt.description
    case .updated: task.updatedAt.description
    }
  }
}

struct Show: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show one task (--json: exactly as stored).")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String

  func run() throws {
    try running(global) { () throws(TackError) in
      let access = try global.open()
      let task = try access.task(id)
      if global.json {
        Console.json(task.json)
      } else {
        let blockers = task.blockers.isEmpty ? [] : try access.dependencies(id).blockers
        Console.out(TaskText.page(task, board: try? access.board(task.board), blockers: blockers))
      }
    }
  }
}

/// Prints what a write did: the task with --json, else one line led by its full id (a short
/// form would need every id on the board read to be sure it is unique — `tack list` shows them).
func report(_ task: BoardTask, _ text: String, json: Bool) {
  if json { return Console.json(task.json) }
  Console.out("\(task.taskId) \(text)")
}

struct Move: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "move",
    abstract: "Move a task to another status, if its board allows it.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Argument(help: "The new status.", completion: .statuses) var status: String
  @Option(help: "A note to record with the move.") var note: String?

  func run() throws { try moveTask(global, id, to: status, note: note) }
}

func moveTask(_ global: GlobalOptions, _ id: String, to status: String, note: String?) throws {
  try running(global) { () throws(TackError) in
    let access = try global.open()
    let before = try access.task(id).status
    let task = try access.transition(id, to: status, note: note)
    report(task, "\(before) → \(task.status)", json: global.json)
  }
}

/// `start`, `done`, `fail`, `cancel`: `move` to a fixed status, for one task or several
/// (each its own commit; see `SeveralTasks`).
protocol MoveShortcut: ParsableCommand {
  static var status: String { get }
  var global: GlobalOptions { get }
  var ids: [String] { get }
  var note: String? { get }
}

extension MoveShortcut {
  func run() throws {
    try SeveralTasks.run(global, ids, verb: "moved to \(Self.status)") {
      (access, id) throws(TackError) in
      let before = try access.task(id).status
      let task = try access.transition(id, to: Self.status, note: note)
      return (task, "\(before) → \(task.status)")
    }
  }
}

struct Start: MoveShortcut {
  static let configuration = CommandConfiguration(
    commandName: "start", abstract: "Move a task to working.")
  static let status = StatusName.working
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]
  @Option(help: "A note to record with the move.") var note: String?
}

struct Done: MoveShortcut {
  static let configuration = CommandConfiguration(
    commandName: "done", abstract: "Move a task to completed.", aliases: ["close"])
  static let status = StatusName.completed
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]
  @Option(help: "A note to record with the move.") var note: String?
}

struct Fail: MoveShortcut {
  static let configuration = CommandConfiguration(
    commandName: "fail", abstract: "Move a task to failed.")
  static let status = StatusName.failed
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]
  @Option(help: "A note to record with the move.") var note: String?
}

struct Cancel: MoveShortcut {
  static let configuration = CommandConfiguration(
    commandName: "cancel", abstract: "Move a task to cancelled.")
  static let status = StatusName.cancelled
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]
  @Option(help: "A note to record with the move.") var note: String?
}

struct Note: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "note",
    abstract: "Add a note to a task (terminal tasks too).")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Argument(
    help: ArgumentHelp(
      "The note's text (several words need no quotes); - reads it from standard input; none opens $VISUAL or $EDITOR.",
      valueName: "text"))
  var words: [String] = []

  func run() throws {
    if words.isEmpty { return try NoteInput.fromEditor(global: global, id: id) }
    try running(global) { () throws(TackError) in
      let text = words == ["-"] ? try NoteInput.fromStandardInput() : words.joined(separator: " ")
      let access = try global.open()
      report(try access.addNote(id, text: text), "note added", json: global.json)
    }
  }
}

struct Edit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "edit",
    abstract: "Change a task's title, description or labels (no flags: in your editor).",
    discussion: """
      Without flags, opens the task in $VISUAL or $EDITOR (else vi): a Title: line, a \
      Labels: line, a blank line, then the description; lines starting with # are ignored. \
      Saving commits the fields that changed, in one commit. When the text cannot be \
      applied, it is kept in a temporary file whose path is printed (exit 4).
      """)
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Option(help: "New title.") var title: String?
  @Option(help: "New description.") var description: String?
  @Option(
    name: .customLong("add-label"),
    help: ArgumentHelp("Label to add; repeatable.", valueName: "label"))
  var addLabels: [String] = []
  @Option(
    name: .customLong("remove-label"),
    help: ArgumentHelp("Label to remove; repeatable.", valueName: "label"))
  var removeLabels: [String] = []
  @OptionGroup var plan: PlanOptions

  func run() throws {
    let editsText =
      title != nil || description != nil || !addLabels.isEmpty || !removeLabels.isEmpty
    if !editsText && plan.isEmpty {
      return try EditorSession(global: global, id: id).run()
    }
    try running(global) { () throws(TackError) in
      let access = try global.open()
      var (task, changed) = (try access.task(id), false)
      if editsText {
        (task, changed) = try access.edit(
          id, title: title, description: description, addLabels: addLabels,
          removeLabels: removeLabels)
      }
      if !plan.isEmpty {
        let planned = try access.plan(id, try plan.change())
        (task, changed) = (planned.task, changed || planned.changed)
      }
      report(
        task, changed ? "edited" : "unchanged (nothing to commit)", json: global.json)
    }
  }
}

struct Claim: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "claim",
    abstract: "Claim a task: assign it to you with a lease (renews your own claim).")
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]
  @Option(help: ArgumentHelp("How long the claim holds, e.g. 30m, 2h, 1d.", valueName: "duration"))
  var lease: String = "30m"

  func run() throws {
    var seconds: Int64 = 0
    try running(global) { () throws(TackError) in seconds = try DurationText.seconds(lease) }
    try SeveralTasks.run(global, ids, verb: "claimed") { (access, id) throws(TackError) in
      let task = try access.claim(id, leaseSeconds: seconds)
      return (
        task,
        "claimed by \(task.assignee ?? "?") until \(task.lease?.expiresAt.description ?? "?")"
      )
    }
  }
}

struct Release: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "release", abstract: "Give back a claimed task.")
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: ArgumentHelp("Task ids or unique short ids (each its own commit).", valueName: "id"),
    completion: .taskIDs)
  var ids: [String]

  func run() throws {
    try SeveralTasks.run(global, ids, verb: "released") { (access, id) throws(TackError) in
      let task = try access.release(id)
      return (task, "released (\(task.status))")
    }
  }
}

struct Undo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "undo",
    abstract: "Take back your latest change to a task, as a new commit.",
    discussion: """
      Reverts the title, description, labels, assignee and lease, the notes that change \
      added, and the status (only where the board allows the move back, and never out of a \
      terminal status). Refused when the task changed after your change (nobody's later \
      work is lost), when your change created the task (cancel it instead), was an undo, or \
      asked or answered questions. Without an id: the task of your latest change.
      """)
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: "Task id or unique short id (default: your latest change's task).", completion: .taskIDs)
  var id: String?

  func run() throws {
    try running(global) { () throws(TackError) in
      let (task, undone) = try global.open().undo(id)
      report(task, "undone: \(undone)", json: global.json)
    }
  }
}

struct Reopen: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reopen",
    abstract: "Take up a finished task again: a new task that links back; prints its id.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "The finished task's id or unique short id.", completion: .taskIDs)
  var id: String
  @Option(help: "A title for the new task (default: the old one's).") var title: String?

  func run() throws {
    try running(global) { () throws(TackError) in
      let task = try global.open().reopen(id, title: title)
      if global.json { Console.json(task.json) } else { Console.out(task.taskId.rawValue) }
    }
  }
}

struct Log: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "A task's history from git: when, who, what changed.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Option(help: "Show at most this many commits.") var limit: Int?

  func run() throws {
    try running(global) { () throws(TackError) in
      if let limit, limit < 1 { throw .invalidInput("--limit must be 1 or more.") }
      let entries = try global.open().history(id, limit: limit)
      if global.json {
        Console.json(["history": .array(entries.map(\.json))])
      } else {
        Console.out(TaskText.history(entries))
      }
    }
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Report every board or task file that does not parse, is misplaced or repeats an id.",
    discussion:
      "Exits 8 when it finds a problem. --fix moves task files that sit in the wrong folder to where their id says (one commit; admin); it reports the rest."
  )
  @OptionGroup var global: GlobalOptions
  @Flag(help: "Repair what can be repaired safely (misplaced task files), as one commit.")
  var fix = false

  func run() throws {
    var found = 0
    try running(global) { () throws(TackError) in
      let access = try global.open()
      var fixed: [Problem] = []
      var problems: [Problem]
      if fix { (fixed, problems) = try access.repair() } else { problems = try access.check() }
      found = problems.count
      let rows = { (list: [Problem]) -> JSONValue in
        .array(list.map { ["path": .string($0.path), "reason": .string($0.reason)] })
      }
      if global.json {
        Console.json(
          fix ? ["fixed": rows(fixed), "problems": rows(problems)] : ["problems": rows(problems)])
        return
      }
      for problem in fixed { Console.out("fixed \(problem.path): \(problem.reason)") }
      if problems.isEmpty {
        Console.out("All board and task files are valid.")
      } else {
        for problem in problems { Console.out("\(problem.path): \(problem.reason)") }
      }
    }
    if found > 0 { throw ExitCode(TackError.corruptFile(path: "", reason: "").exitCode) }
  }
}

import ArgumentParser
import TackAccess
import TackCore

/// `--priority`, `--due`, `--blocked-by`: shared by `add` and `edit`.
struct PlanOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Priority: 0-4 or critical, high, medium, low, backlog (0 is the most urgent; default 2).",
      valueName: "priority"))
  var priority: String?
  @Option(
    help: ArgumentHelp(
      "Due date: a day (YYYY-MM-DD) or a moment (RFC 3339); with edit, 'none' clears it.",
      valueName: "date"))
  var due: String?
  @Option(
    name: .customLong("blocked-by"),
    help: ArgumentHelp("A task this one waits for (id or short id); repeatable.", valueName: "id"),
    completion: .taskIDs)
  var blockedBy: [String] = []

  var isEmpty: Bool { priority == nil && due == nil && blockedBy.isEmpty }

  func change() throws(TackError) -> Store.PlanChange {
    Store.PlanChange(
      priority: try priority.map { (text) throws(TackError) in try Priority.parse(text) },
      due: try due.map { (text) throws(TackError) in
        text == "none" ? "" : try DueDate.parse(text)
      },
      addBlockers: blockedBy)
  }
}

struct Dep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dep",
    abstract: "A task's dependencies: the tasks it waits for before it is ready.",
    subcommands: [DepAdd.self, DepRemove.self, DepList.self])
}

struct DepAdd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Make a task wait for others (a cycle is refused, named); one commit.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "The task that waits.", completion: .taskIDs) var id: String
  @Argument(help: "The tasks it waits for.", completion: .taskIDs) var blockers: [String]

  func validate() throws {
    if blockers.isEmpty { throw ValidationError("give at least one task to wait for.") }
  }

  func run() throws {
    try running(global) { () throws(TackError) in
      let (task, changed) = try global.open().plan(id, .init(addBlockers: blockers))
      report(
        task,
        changed ? "waits for \(task.blockers.count) task(s)" : "unchanged (nothing to commit)",
        json: global.json)
    }
  }
}

struct DepRemove: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Stop a task waiting for others; one commit.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "The task that waits.", completion: .taskIDs) var id: String
  @Argument(help: "The tasks it should no longer wait for.", completion: .taskIDs)
  var blockers: [String]

  func validate() throws {
    if blockers.isEmpty { throw ValidationError("give at least one task to stop waiting for.") }
  }

  func run() throws {
    try running(global) { () throws(TackError) in
      let (task, _) = try global.open().plan(id, .init(removeBlockers: blockers))
      report(task, "waits for \(task.blockers.count) task(s)", json: global.json)
    }
  }
}

struct DepList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "What a task waits for, and what waits for it.")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String

  func run() throws {
    try running(global) { () throws(TackError) in
      let access = try global.open()
      let (task, blockers, blocks) = try access.dependencies(id)
      if global.json {
        Console.json([
          "taskId": .string(task.taskId.rawValue),
          "blockedBy": .array(
            blockers.map { dependency in
              [
                "taskId": .string(dependency.taskId),
                "status": JSONValue(dependency.task?.status),
                "title": JSONValue(dependency.task?.title),
                "open": .bool(dependency.isOpen),
              ]
            }),
          "blocks": .array(
            blocks.map { ["taskId": .string($0.taskId.rawValue), "status": .string($0.status)] }),
        ])
        return
      }
      let short = try access.shortIDs()
      let name = { (id: String) in TaskID(id).flatMap { short[$0] } ?? id }
      Console.out("\(name(task.taskId.rawValue)) \(task.title)")
      Console.out(blockers.isEmpty ? "waits for nothing" : "waits for:")
      for dependency in blockers {
        let state =
          dependency.task.map { "\($0.status)\(dependency.isOpen ? "" : ", done")" }
          ?? "not visible to you: counts as open"
        Console.out(
          "  \(name(dependency.taskId)) \(dependency.task?.title.terminalSafe() ?? "") (\(state))")
      }
      if !blocks.isEmpty { Console.out("blocks:") }
      for other in blocks {
        Console.out(
          "  \(name(other.taskId.rawValue)) \(other.title.terminalSafe()) (\(other.status))")
      }
    }
  }
}

/// `--board`, `--label`: the filters `ready` and `next` share with `list`.
struct QueueFilter: ParsableArguments {
  @Option(
    help: ArgumentHelp("Only this board (default: all boards).", valueName: "name"),
    completion: .boardNames)
  var board: String?
  @Option(
    name: .customLong("label"),
    help: ArgumentHelp("Only tasks with this label; repeat to require several.", valueName: "label")
  )
  var labels: [String] = []

  func filter() throws(TackError) -> TaskFilter {
    for label in labels { try Names.validate(label, as: "label") }
    return TaskFilter(board: board, labels: labels)
  }
}

struct Ready: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ready",
    abstract: "The tasks you could start now, most urgent first.",
    discussion: """
      Ready: in its board's initial status, every task it waits for finished (a blocker you \
      cannot see counts as open), and no live lease held by someone else. Ordered by \
      priority (0 first), then due date (undated last), then age.
      """)
  @OptionGroup var global: GlobalOptions
  @OptionGroup var queue: QueueFilter

  func run() throws {
    try running(global) { () throws(TackError) in
      let access = try global.open()
      let tasks = try access.ready(try queue.filter())
      if global.json {
        TaskSummary.writeJSONDocument(key: "tasks", tasks.map(\.summary), to: Console.write)
        return
      }
      if tasks.isEmpty {
        Console.info("Nothing is ready.")
        return
      }
      Console.out(Self.table(tasks, shortIDs: try access.shortIDs(), showBoard: queue.board == nil))
    }
  }

  static func table(
    _ tasks: [Store.ReadyTask], shortIDs: [TaskID: String], showBoard: Bool
  )
    -> String
  {
    let showBoard = showBoard && Set(tasks.map(\.summary.board)).count > 1
    var rows = [(showBoard ? ["ID", "BOARD"] : ["ID"]) + ["PRI", "DUE", "TITLE"]]
    for task in tasks {
      let summary = task.summary
      let id = shortIDs[summary.taskId] ?? String(summary.taskId.ulid)
      rows.append(
        (showBoard ? [id, summary.board] : [id])
          + [Priority.names[task.priority], task.due ?? "-", summary.title.terminalSafe()])
    }
    let columns = rows[0].count
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
    }
    var lines: [String] = []
    for row in rows {
      var cells: [String] = []
      for (column, cell) in row.enumerated() {
        let last = column == columns - 1
        cells.append(
          last ? cell : cell + String(repeating: " ", count: widths[column] - cell.count))
      }
      lines.append(cells.joined(separator: "  "))
    }
    return lines.joined(separator: "\n")
  }
}

struct Next: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "next",
    abstract: "Claim the most urgent ready task for you, atomically; prints it.",
    discussion: """
      Several callers at once each get a different task: a task someone else claimed or \
      started meanwhile is skipped for the next one. Exits 10 when nothing is ready.
      """)
  @OptionGroup var global: GlobalOptions
  @OptionGroup var queue: QueueFilter
  @Option(help: ArgumentHelp("How long the claim holds, e.g. 30m, 2h, 1d.", valueName: "duration"))
  var lease: String = "30m"

  static let nothingReady: Int32 = 10

  func run() throws {
    var found = true
    try running(global) { () throws(TackError) in
      let seconds = try DurationText.seconds(lease)
      let access = try global.open()
      guard let task = try access.claimNext(try queue.filter(), leaseSeconds: seconds) else {
        found = false
        if global.json { Console.json(["task": .null]) } else { Console.info("Nothing is ready.") }
        return
      }
      if global.json { return Console.json(["task": task.json]) }
      let short = (try? access.shortIDs()[task.taskId]) ?? String(task.taskId.ulid)
      Console.out(
        "\(short) \(task.title.terminalSafe()) (claimed until \(task.lease?.expiresAt.description ?? "?"))"
      )
    }
    if !found { throw ExitCode(Self.nothingReady) }
  }
}

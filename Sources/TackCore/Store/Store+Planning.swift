import TackGit

extension Store {
  /// What `plan` changes; every field left `nil` stays as it is.
  public struct PlanChange: Sendable {
    /// A new priority (0…4).
    public var priority: Int?
    /// A new due date (as `DueDate.parse` keeps it), or `""` to clear it.
    public var due: String?
    /// Tasks this one now waits for, and tasks it no longer waits for (ids as typed).
    public var addBlockers: [String]
    public var removeBlockers: [String]

    public init(
      priority: Int? = nil, due: String? = nil, addBlockers: [String] = [],
      removeBlockers: [String] = []
    ) {
      self.priority = priority
      self.due = due
      self.addBlockers = addBlockers
      self.removeBlockers = removeBlockers
    }

    var isEmpty: Bool {
      priority == nil && due == nil && addBlockers.isEmpty && removeBlockers.isEmpty
    }
  }

  /// Sets a task's priority, due date and dependencies (the `edit` verb). A blocker is named
  /// like any task the principal reads (a task out of scope is "no task", as everywhere); a
  /// task cannot wait for itself or for a task that (through others) waits for it: the
  /// cycle is refused, named. Returns `changed: false` (nothing committed) when nothing
  /// would change.
  public func plan(
    _ id: String, _ change: PlanChange, actor: Actor
  ) throws(TackError) -> (task: BoardTask, changed: Bool) {
    guard !change.isEmpty else {
      throw .invalidInput("nothing to change: give a priority, a due date or a dependency.")
    }
    if let priority = change.priority, !Priority.range.contains(priority) {
      _ = try Priority.parse(String(priority))
    }
    if let due = change.due, !due.isEmpty { _ = try DueDate.parse(due) }
    var changed = false
    let task = try mutate(
      id, .edit, actor: actor,
      reading: {
        (task, board, _, view) throws(TackError) in
        try Self.refuseTerminal(task, board)
        var fields: [String] = []
        if let priority = change.priority, priority != task.priority {
          task.priority = priority
          fields.append("priority \(priority)")
        }
        if let due = change.due {
          let value = due.isEmpty ? nil : try DueDate.parse(due)
          if value != task.due {
            task.due = value
            fields.append(value.map { "due \($0)" } ?? "no due date")
          }
        }
        for text in change.removeBlockers {
          let blocker = try view.resolve(text).rawValue
          guard task.blockers.contains(blocker) else {
            throw .invalidInput("task \(task.taskId) does not wait for \(blocker).")
          }
          task.links.removeAll { $0.rel == BoardTask.Link.blockedBy && $0.taskId == blocker }
          fields.append("unblocked by \(TaskID(blocker)?.ulid.prefix(8) ?? "")")
        }
        for text in change.addBlockers {
          let blocker = try view.resolve(text)
          guard blocker != task.taskId else {
            throw .invalidInput("task \(task.taskId) cannot wait for itself.")
          }
          guard !task.blockers.contains(blocker.rawValue) else { continue }
          if let cycle = try Self.dependencyPath(from: blocker, to: task.taskId, in: view) {
            var names: [String] = []
            for id in [task.taskId] + cycle {
              let title = id == task.taskId ? task.title : try view.task(id)?.task.title ?? ""
              names.append("\(id) (\(CommitMessage.clip(title)))")
            }
            throw .invalidInput(
              "that would make a dependency cycle: \(names.joined(separator: " waits for ")); nothing was written."
            )
          }
          guard task.links.count < Limits.linksPerTask else {
            throw .invalidInput("a task carries at most \(Limits.linksPerTask) links.")
          }
          task.links.append(.init(rel: BoardTask.Link.blockedBy, taskId: blocker.rawValue))
          fields.append("blocked by \(blocker.ulid.prefix(8))")
        }
        changed = !fields.isEmpty
        guard changed else { return nil }
        return Outcome(what: fields.joined(separator: ", "), body: nil, action: "plan")
      })
    return (task, changed)
  }

  /// The chain of blockers leading from `start` to `goal` (`start` first, `goal` last), if
  /// `start` waits for `goal` directly or through others. Only tasks the view shows are
  /// followed.
  static func dependencyPath(
    from start: TaskID, to goal: TaskID, in view: View
  ) throws(TackError)
    -> [TaskID]?
  {
    var cameFrom: [TaskID: TaskID] = [:]
    var queue = [start]
    var seen: Set<TaskID> = [start]
    while !queue.isEmpty {
      let current = queue.removeFirst()
      if current == goal {
        var path = [current]
        while let previous = cameFrom[path[0]] { path.insert(previous, at: 0) }
        return path
      }
      guard let found = try view.task(current) else { continue }
      for text in found.task.blockers {
        guard let next = TaskID(text), !seen.contains(next) else { continue }
        seen.insert(next)
        cameFrom[next] = current
        queue.append(next)
      }
    }
    return nil
  }

  /// A dependency as the principal sees it: the blocker's status when it can read it.
  public struct Dependency: Sendable {
    public var taskId: String
    /// The blocker, or `nil` when it is gone or out of the principal's scope (both read the
    /// same: never an oracle) — such a blocker counts as open.
    public var task: BoardTask?
    public var isOpen: Bool
  }

  /// The tasks `id` waits for, and the tasks (in scope) waiting for it.
  public func dependencies(
    _ id: String
  ) throws(TackError) -> (
    task: BoardTask, blockers: [Dependency], blocks: [BoardTask]
  ) {
    let view = try view()
    _ = try view.config()
    let taskID = try view.resolve(id)
    guard let found = try view.task(taskID) else { throw .taskNotFound(id) }
    let blockers = try found.task.blockers.map { (text) throws(TackError) in
      try Self.dependency(text, in: view)
    }
    var blocks: [BoardTask] = []
    for summary in try summaries(TaskFilter()).tasks {
      // Only a task whose file names this id can wait for it.
      guard summary.json.firstRange(of: Array(taskID.rawValue.utf8)) != nil else { continue }
      let task = try summary.task()
      if task.blockers.contains(taskID.rawValue) { blocks.append(task) }
    }
    return (found.task, blockers, blocks)
  }

  static func dependency(_ text: String, in view: View) throws(TackError) -> Dependency {
    guard let id = TaskID(text), let found = try view.task(id) else {
      return Dependency(taskId: text, task: nil, isOpen: true)
    }
    return Dependency(
      taskId: text, task: found.task, isOpen: !found.board.isTerminal(found.task.status))
  }

  /// The tasks among `tasks` (not finished) that wait for an open blocker, with those
  /// blockers' ids: what the board view marks. Only files that name a dependency are read.
  public func blocked(_ tasks: [TaskSummary]) throws(TackError) -> [TaskID: [String]] {
    let view = try view()
    var terminal: [String: Set<String>] = [:]
    for board in try boards().boards {
      terminal[board.name] = Set(board.statusNames.filter(board.isTerminal))
    }
    var open: [String: Bool] = [:]
    var blocked: [TaskID: [String]] = [:]
    for summary in tasks where terminal[summary.board]?.contains(summary.status) != true {
      guard summary.json.firstRange(of: Array("\"blocked-by\"".utf8)) != nil else { continue }
      var waiting: [String] = []
      for blocker in try summary.task().blockers {
        if open[blocker] == nil { open[blocker] = try Self.dependency(blocker, in: view).isOpen }
        if open[blocker] == true { waiting.append(blocker) }
      }
      if !waiting.isEmpty { blocked[summary.taskId] = waiting }
    }
    return blocked
  }

  /// One task of the ready queue, with what orders it.
  public struct ReadyTask: Sendable {
    public let summary: TaskSummary
    public let priority: Int
    public let due: String?
    let dueMoment: Timestamp?

    /// Priority, then due date (undated last), then age.
    static func precedes(_ a: ReadyTask, _ b: ReadyTask) -> Bool {
      if a.priority != b.priority { return a.priority < b.priority }
      switch (a.dueMoment, b.dueMoment) {
      case (let x?, let y?) where x != y: return x < y
      case (.some, nil): return true
      case (nil, .some): return false
      default:
        let (x, y) = (a.summary, b.summary)
        return x.createdAt == y.createdAt ? x.taskId < y.taskId : x.createdAt < y.createdAt
      }
    }
  }

  /// The ready queue: tasks `filter` selects that can be started now — in their board's
  /// initial status, no open blocker, no live lease held by someone other than `actor` —
  /// most urgent first (priority, due date, age). It reads what `list --status` reads; only
  /// a task whose file mentions a lease, a priority, a due date or a dependency is parsed.
  public func ready(
    _ filter: TaskFilter = TaskFilter(), actor: Actor
  ) throws(TackError)
    -> [ReadyTask]
  {
    let now = self.now()
    let view = try view()
    var initial: [String: String] = [:]
    for board in try boards().boards { initial[board.name] = board.initialStatus }
    // Whether a blocker is still open, by id; one gone or out of scope counts as open.
    var open: [String: Bool] = [:]
    func isOpen(_ id: String) throws(TackError) -> Bool {
      if let known = open[id] { return known }
      let state = try Self.dependency(id, in: view).isOpen
      open[id] = state
      return state
    }
    var ready: [ReadyTask] = []
    // Only initial statuses can be ready: the read index skips every other task unread.
    var scan = filter
    scan.open = false
    scan.statuses = Array(Set(initial.values)).sorted()
    if let board = filter.board { scan.statuses = initial[board].map { [$0] } ?? [] }
    for summary in try summaries(scan).tasks where summary.status == initial[summary.board] {
      guard summary.mentionsPlanningOrLease else {
        ready.append(
          ReadyTask(summary: summary, priority: Priority.normal, due: nil, dueMoment: nil))
        continue
      }
      let task = try summary.task()
      if let lease = task.lease, lease.holder != actor.id, lease.expiresAt > now { continue }
      var blocked = false
      for blocker in task.blockers where try isOpen(blocker) {
        blocked = true
        break
      }
      if blocked { continue }
      ready.append(
        ReadyTask(
          summary: summary, priority: task.effectivePriority, due: task.due,
          dueMoment: task.due.flatMap(DueDate.moment)))
    }
    return ready.sorted(by: ReadyTask.precedes)
  }

  /// Claims the first ready task for `actor`, atomically: each candidate is claimed only if
  /// it is still in its initial status with no live lease of someone else, so two callers
  /// never get the same task; a candidate lost to another caller is skipped for the next.
  /// `nil` when nothing is ready.
  public func claimNext(
    _ filter: TaskFilter = TaskFilter(), leaseSeconds: Int64, actor: Actor
  ) throws(TackError) -> BoardTask? {
    for candidate in try ready(filter, actor: actor) {
      do {
        return try claim(
          candidate.summary.taskId.rawValue, leaseSeconds: leaseSeconds, actor: actor,
          onlyIfReady: true)
      } catch {
        switch error {
        case .leaseHeld, .terminalTask, .conflict: continue
        default: throw error
        }
      }
    }
    return nil
  }
}

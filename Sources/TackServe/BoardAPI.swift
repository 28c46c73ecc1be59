import TackAccess
import TackCore

/// The JSON API, free of any HTTP library: a method, the path's parts after `/api/` and the
/// parsed body in; a status code and a JSON value out. Every read and write goes through
/// `BoardAccess` as the signed-in principal, so the scoping rules hold as in the CLI.
struct BoardAPI {
  let state: ServeState

  struct Reply {
    var status: Int
    var json: JSONValue
  }

  func handle(method: String, path: [String], body: JSONValue?) -> Reply {
    do {
      switch (method, path.count, path.first) {
      case ("GET", 1, "boards"): return Reply(status: 200, json: try boards())
      case ("GET", 2, "board"): return Reply(status: 200, json: try board(path[1]))
      case ("GET", 2, "task"): return Reply(status: 200, json: try task(path[1]))
      case ("POST", 1, "tasks"): return Reply(status: 201, json: try create(body))
      case ("POST", 3, "task"): return Reply(status: 200, json: try write(path[2], path[1], body))
      default:
        return Self.failure(404, "no such API: \(method) /api/\(path.joined(separator: "/")).")
      }
    } catch {
      return Reply(
        status: Self.httpStatus(for: error),
        json: ["error": .string(error.description), "exitCode": .int(Int64(error.exitCode))])
    }
  }

  static func failure(_ status: Int, _ message: String) -> Reply {
    Reply(status: status, json: ["error": .string(message), "exitCode": .int(4)])
  }

  /// 4xx for what the user can change, 5xx for the repository's own trouble.
  static func httpStatus(for error: TackError) -> Int {
    switch error {
    case .taskNotFound, .boardNotFound: 404
    case .invalidName, .invalidInput, .unknownStatus: 400
    case .ambiguousTaskID, .boardExists, .illegalTransition, .terminalTask, .leaseHeld,
      .noPendingRequest, .conflict, .uncommittedChanges:
      409
    case .unknownPrincipal, .forbidden, .noIdentity: 403
    default: 500
    }
  }

  // MARK: Reads

  private func boards() throws(TackError) -> JSONValue {
    try state.withAccess { access throws(TackError) in
      let boards = try access.boards().boards
      let fallback = state.defaultBoard ?? (try? access.config().defaultBoard)
      return [
        "principal": .string(access.principal.id),
        "defaultBoard": fallback.map { .string($0) } ?? .null,
        "boards": .array(
          boards.map {
            ["name": .string($0.name), "description": .string($0.description)]
          }),
      ]
    }
  }

  private func board(_ name: String) throws(TackError) -> JSONValue {
    try state.withAccess { access throws(TackError) in
      let board = try access.board(name)
      let filter = TaskFilter(board: board.name)
      let tasks = try access.list(filter).tasks
      let blocked = try access.blocked(try access.summaries(filter).tasks)
      let ready = Set(try access.ready(filter).map(\.summary.taskId))
      let short = try access.shortIDs()
      let columns: [JSONValue] = board.statuses.map { status in
        let cards = tasks.filter { $0.status == status.name }.map { task in
          card(
            task, short: short[task.taskId], blockedBy: blocked[task.taskId],
            ready: ready.contains(task.taskId))
        }
        return [
          "name": .string(status.name), "terminal": .bool(status.terminal),
          "next": .array(status.next.map { .string($0) }), "count": .int(Int64(cards.count)),
          "tasks": .array(cards),
        ]
      }
      return [
        "board": .string(board.name), "description": .string(board.description),
        "initialStatus": .string(board.initialStatus),
        "labels": .array(board.labels.map { .string($0) }),
        "revision": (try access.revision()).map { .string($0) } ?? .null,
        "columns": .array(columns),
      ]
    }
  }

  private func card(
    _ task: BoardTask, short: String?, blockedBy: [String]?, ready: Bool
  ) -> JSONValue {
    [
      "id": .string(task.taskId.description),
      "shortId": .string(short ?? task.taskId.description),
      "title": .string(task.title), "status": .string(task.status),
      "labels": .array(task.labels.map { .string($0) }),
      "assignee": task.assignee.map { .string($0) } ?? .null,
      "leaseExpiresAt": task.lease.map { .string($0.expiresAt.description) } ?? .null,
      "priority": task.priority.map { .int(Int64($0)) } ?? .null,
      "blockedBy": .array((blockedBy ?? []).map { .string($0) }),
      "ready": .bool(ready),
      "pendingInput": .array(task.pendingInputKeys.map { .string($0) }),
    ]
  }

  private func task(_ id: String) throws(TackError) -> JSONValue {
    try state.withAccess { access throws(TackError) in
      let task = try access.task(id)
      let board = try access.board(task.board)
      let short = try access.shortIDs()[task.taskId]
      let history = try access.history(task.taskId.description, limit: 100)
      return [
        "task": task.json, "shortId": short.map { .string($0) } ?? .null,
        "next": .array((board.status(task.status)?.next ?? []).map { .string($0) }),
        "history": .array(history.map(\.json)),
      ]
    }
  }

  // MARK: Writes

  private func create(_ body: JSONValue?) throws(TackError) -> JSONValue {
    let title = try Self.text(body, "title", required: true) ?? ""
    let board = try Self.text(body, "board") ?? state.defaultBoard
    let description = try Self.text(body, "description") ?? ""
    let labels = try Self.texts(body, "labels")
    return try state.withAccess { access throws(TackError) in
      let task = try access.create(
        title: title, board: board, description: description, labels: labels)
      return ["task": task.json]
    }
  }

  private func write(
    _ verb: String, _ id: String, _ body: JSONValue?
  ) throws(TackError)
    -> JSONValue
  {
    let task: BoardTask
    switch verb {
    case "move":
      let status = try Self.text(body, "status", required: true) ?? ""
      let note = try Self.text(body, "note")
      task = try state.withAccess { access throws(TackError) in
        try access.transition(id, to: status, note: note)
      }
    case "note":
      let text = try Self.text(body, "text", required: true) ?? ""
      task = try state.withAccess { access throws(TackError) in try access.addNote(id, text: text) }
    case "claim":
      let seconds = body?["leaseSeconds"]?.intValue ?? Limits.defaultLeaseSeconds
      task = try state.withAccess { access throws(TackError) in
        try access.claim(id, leaseSeconds: seconds)
      }
    case "release":
      task = try state.withAccess { access throws(TackError) in try access.release(id) }
    case "answer":
      guard let responses = body?["responses"]?.objectValue, !responses.isEmpty else {
        throw .invalidInput(
          "answer needs {\"responses\": {\"KEY\": value}}: one value per pending input request.")
      }
      task = try state.withAccess { access throws(TackError) in
        try access.answer(id, responses: responses)
      }
    case "edit":
      let title = try Self.text(body, "title")
      let description = try Self.text(body, "description")
      let add = try Self.texts(body, "addLabels")
      let remove = try Self.texts(body, "removeLabels")
      let priority = body?["priority"]?.intValue.map { Int($0) }
      let editsText = title != nil || description != nil || !add.isEmpty || !remove.isEmpty
      guard editsText || priority != nil else {
        throw .invalidInput(
          "nothing to change: give a title, description, labels or priority.")
      }
      task = try state.withAccess { access throws(TackError) in
        var task = try access.task(id)
        if editsText {
          task = try access.edit(
            id, title: title, description: description, addLabels: add, removeLabels: remove
          ).task
        }
        if let priority, priority != task.priority {
          task = try access.plan(id, Store.PlanChange(priority: priority)).task
        }
        return task
      }
    default:
      throw .invalidInput(
        "no action \(verb) on a task: use move, note, claim, release, answer or edit.")
    }
    return ["task": task.json]
  }

  private static func text(
    _ body: JSONValue?, _ key: String, required: Bool = false
  )
    throws(TackError) -> String?
  {
    guard let value = body?[key], !value.isNull else {
      if required { throw .invalidInput("the request body needs a \"\(key)\" string.") }
      return nil
    }
    guard let text = value.stringValue else {
      throw .invalidInput("\"\(key)\" must be a string.")
    }
    return text
  }

  private static func texts(_ body: JSONValue?, _ key: String) throws(TackError) -> [String] {
    guard let value = body?[key], !value.isNull else { return [] }
    guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
      throw .invalidInput("\"\(key)\" must be a list of strings.")
    }
    return items.compactMap(\.stringValue)
  }
}

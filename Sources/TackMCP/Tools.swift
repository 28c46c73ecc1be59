import TackAccess
import TackCore

/// The board tools. Descriptions and schemas are short on purpose: an agent's context is
/// precious. Every body calls `BoardAccess`, never the store.
enum Tools {
  static let all: [Tool] = [
    listBoards, listTasks, getTask, createTask, updateTask, transitionTask, addNote, claimTask,
    releaseTask, requestInput, answerInput, taskHistory, requestApproval, nextTask,
  ]
  static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

  // MARK: Schema pieces

  static let taskIdProperty: JSONValue = [
    "type": "string", "description": "Task id (task_…) or a unique prefix of its 26 characters.",
  ]
  static let taskOutput: [String: JSONValue] = ["task": ["type": "object"]]
  static func text(_ description: String) -> JSONValue {
    ["type": "string", "description": .string(description)]
  }
  /// A string argument with the store's limit on it (`maxLength` counts characters, the
  /// store bytes: the schema never refuses what the store would take).
  static func text(_ description: String, max: Int) -> JSONValue {
    ["type": "string", "description": .string(description), "maxLength": .int(Int64(max))]
  }
  static let name: JSONValue = ["type": "string", "maxLength": .int(Int64(Names.maxLength))]
  static let labelList: JSONValue = [
    "type": "array", "items": name, "maxItems": .int(Int64(Limits.labelsPerTask)),
  ]
  static let title = text("One line.", max: Limits.titleBytes)
  static let details = text("Longer text.", max: Limits.descriptionBytes)
  static let priority: JSONValue = [
    "type": "integer", "minimum": .int(Int64(Priority.range.lowerBound)),
    "maximum": .int(Int64(Priority.range.upperBound)),
    "description": "0 most urgent … 4 backlog; default 2.",
  ]
  static let due = text("A day (YYYY-MM-DD) or an RFC 3339 moment; \"\" clears it.", max: 40)
  static let blockedBy: JSONValue = [
    "type": "array", "items": ["type": "string", "maxLength": 40],
    "maxItems": .int(Int64(Limits.linksPerTask)),
    "description": "Task ids this task waits for.",
  ]
  static let labelFilter: JSONValue = [
    "type": "array", "items": name, "description": "All of these labels.",
    "maxItems": .int(Int64(Limits.labelsPerTask)),
  ]
  static let leaseSeconds: JSONValue = [
    "type": "integer", "minimum": .int(Limits.leaseSeconds.lowerBound),
    "maximum": .int(Limits.leaseSeconds.upperBound),
    "description": .string("Default \(Limits.defaultLeaseSeconds)."),
  ]

  /// `priority`, `due`, `blockedBy` as a plan change (blockers to add).
  static func planChange(_ arguments: Arguments) throws(RPCError) -> Store.PlanChange {
    Store.PlanChange(
      priority: try arguments.optionalInt(
        "priority", in: Int64(Priority.range.lowerBound)...Int64(Priority.range.upperBound)
      ).map { Int($0) },
      due: try arguments.optionalString("due"),
      addBlockers: try arguments.strings("blockedBy") ?? [])
  }

  // MARK: Tools

  static let listBoards = Tool(
    name: "list_boards", title: "List boards",
    description: "The boards you can see, with their statuses and allowed moves.",
    properties: [:], required: [], output: ["boards": ["type": "array"]], readOnly: true
  ) { context, _ throws(ToolFailure) in
    let (boards, _) = try attempt { () throws(TackError) in try context.access.boards() }
    let defaultBoard = try? context.access.config().defaultBoard
    return [
      "boards": .array(
        boards.map { board in
          guard case .object(var object) = board.json else { return board.json }
          object["name"] = .string(board.name)
          object["default"] = .bool(board.name == (context.defaultBoard ?? defaultBoard))
          object["schemaVersion"] = nil
          return .object(object)
        })
    ]
  }

  static let listTasks = Tool(
    name: "list_tasks", title: "List tasks",
    description:
      "Tasks you can see, oldest first. Filters combine; labels must all match. Pages of `limit` (default 50); pass nextCursor back as cursor for more.",
    properties: [
      "board": text("Only this board."),
      "status": [
        "type": "array", "items": name, "description": "Any of these statuses.",
        "maxItems": .int(Int64(Names.maxLength)),
      ],
      "label": labelFilter,
      "assignee": text("Assigned to this id; \"\" for unassigned."),
      "text": text(
        "Text in the title, description or notes (case-insensitive).", max: Limits.searchTextBytes),
      "limit": [
        "type": "integer", "minimum": .int(Int64(Limits.pageSize.lowerBound)),
        "maximum": .int(Int64(Limits.pageSize.upperBound)),
      ],
      "cursor": text("From a previous call's nextCursor."),
      "brief": [
        "type": "boolean",
        "description": "Only taskId, board, title, status, labels, assignee, updatedAt.",
      ],
      "ready": [
        "type": "boolean",
        "description":
          "Only tasks you could start now (no open blocker, no one else's lease), most urgent first; one page.",
      ],
      "priority": [
        "type": "integer", "minimum": .int(Int64(Priority.range.lowerBound)),
        "maximum": .int(Int64(Priority.range.upperBound)),
        "description": "Only this priority or more urgent (0 most urgent; unset counts as 2).",
      ],
      "dueBefore": text("Only tasks due before this day (YYYY-MM-DD) or RFC 3339 moment.", max: 40),
    ],
    required: [],
    output: [
      "tasks": ["type": "array", "items": ["type": "object"]], "nextCursor": ["type": "string"],
    ],
    readOnly: true
  ) { context, arguments throws(ToolFailure) in
    let (filter, limit, cursor, brief, ready, planning) = try argument { () throws(RPCError) in
      let filter = TaskFilter(
        board: try arguments.optionalString("board") ?? context.defaultBoard,
        statuses: try arguments.strings("status") ?? [],
        labels: try arguments.strings("label") ?? [],
        assignee: try arguments.optionalString("assignee"),
        text: try arguments.optionalString("text"))
      let limit = Int(
        try arguments.optionalInt("limit", in: 1...Int64(Limits.pageSize.upperBound))
          ?? Int64(Limits.defaultPageSize))
      let ready = try arguments.optionalBool("ready") ?? false
      if ready, !filter.statuses.isEmpty {
        throw .invalidParams("list_tasks: ready and status do not combine; give one of them")
      }
      let priority = try arguments.optionalInt(
        "priority", in: Int64(Priority.range.lowerBound)...Int64(Priority.range.upperBound))
      var planning = PlanningFilter(atMostPriority: priority.map { Int($0) })
      if let due = try arguments.optionalString("dueBefore") {
        guard let moment = DueDate.moment(due) else {
          throw .invalidParams(
            "list_tasks: dueBefore must be a day (YYYY-MM-DD) or an RFC 3339 moment, not \(due.prefix(40))"
          )
        }
        planning.dueBefore = moment
      }
      return (
        filter, limit, try arguments.optionalString("cursor"),
        try arguments.optionalBool("brief") ?? false, ready, planning
      )
    }
    for label in filter.labels {
      try attempt { () throws(TackError) in try Names.validate(label, as: "label") }
    }
    if ready {
      return try attempt { () throws(TackError) in
        // The queue's order is by urgency, which moves as tasks change: one page, no cursor.
        if cursor != nil {
          throw .invalidInput(
            "list_tasks with ready gives one page, the most urgent first: leave cursor out.")
        }
        var items: [JSONValue] = []
        let queue = try context.access.ready(filter).filter {
          planning.matches(priority: $0.priority, due: $0.due.flatMap(DueDate.moment))
        }
        for item in queue.prefix(limit) {
          items.append(brief ? item.summary.brief : try item.summary.task().json)
        }
        return ["tasks": .array(items)]
      }
    }
    // Only the page is parsed; the rest of the list comes from the read index.
    return try attempt { () throws(TackError) in
      let tasks = try planning.apply(
        context.access.summaries(filter, stop: context.isCancelled).tasks)
      let list = PageCursor.list(
        "list_tasks", query: filter.query + (planning.isEmpty ? "" : "\u{0}" + planning.query))
      let (page, next) = try ListPosition.page(tasks, list: list, cursor: cursor, limit: limit)
      var items: [JSONValue] = []
      for summary in page { items.append(brief ? summary.brief : try summary.task().json) }
      var result: [String: JSONValue] = ["tasks": .array(items)]
      if let next { result["nextCursor"] = .string(next) }
      return .object(result)
    }
  }

  static let getTask = Tool(
    name: "get_task", title: "Get a task", description: "One task, as stored.",
    properties: ["taskId": taskIdProperty], required: ["taskId"], output: taskOutput,
    readOnly: true
  ) { context, arguments throws(ToolFailure) in
    let id = try argument { () throws(RPCError) in try arguments.string("taskId") }
    return ["task": try attempt { () throws(TackError) in try context.access.task(id).json }]
  }

  static let createTask = Tool(
    name: "create_task", title: "Create a task",
    description: "A new task in the board's initial status.",
    properties: [
      "title": title, "board": text("Default: the server's board."),
      "description": details, "labels": labelList, "priority": priority, "due": due,
      "blockedBy": blockedBy,
    ],
    required: ["title"], output: taskOutput, readOnly: false, taskSupport: "optional",
    needs: [.create]
  ) { context, arguments throws(ToolFailure) in
    let (title, board, description, labels, plan) = try argument { () throws(RPCError) in
      (
        try arguments.string("title"),
        try arguments.optionalString("board") ?? context.defaultBoard,
        try arguments.optionalString("description") ?? "", try arguments.strings("labels") ?? [],
        try planChange(arguments)
      )
    }
    let task = try attempt { () throws(TackError) in
      try context.access.create(
        title: title, board: board, description: description, labels: labels, plan: plan)
    }
    return ["task": task.json]
  }

  static let updateTask = Tool(
    name: "update_task", title: "Update a task",
    description:
      "Change the title, description, labels, priority, due date or dependencies (labels and blockedBy replace the whole set).",
    properties: [
      "taskId": taskIdProperty, "title": title, "description": details,
      "labels": labelList, "priority": priority, "due": due, "blockedBy": blockedBy,
    ],
    required: ["taskId"], output: taskOutput, readOnly: false, needs: [.edit], destructive: true,
    idempotent: true
  ) { context, arguments throws(ToolFailure) in
    let (id, title, description, labels, plan) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"), try arguments.optionalString("title"),
        try arguments.optionalString("description"), try arguments.strings("labels"),
        try planChange(arguments)
      )
    }
    let wantsBlockers = arguments.values["blockedBy"].map { $0 != .null } ?? false
    let task = try attempt { () throws(TackError) in
      let current = labels == nil && !wantsBlockers ? nil : try context.access.task(id)
      var task = current
      if title != nil || description != nil || labels != nil {
        let add =
          labels.map { wanted in wanted.filter { !(current?.labels.contains($0) ?? false) } } ?? []
        let remove =
          labels.map { wanted in current?.labels.filter { !wanted.contains($0) } ?? [] } ?? []
        task =
          try context.access.edit(
            id, title: title, description: description, addLabels: add, removeLabels: remove
          ).task
      }
      var change = plan
      if wantsBlockers, let current {
        // `blockedBy` is the whole set: resolve what was given, then add and remove the rest.
        let wanted = try plan.addBlockers.map { (text) throws(TackError) in
          try context.access.resolve(text).rawValue
        }
        change.addBlockers = wanted.filter { !current.blockers.contains($0) }
        change.removeBlockers = current.blockers.filter { !wanted.contains($0) }
      }
      if change.priority != nil || change.due != nil || !change.addBlockers.isEmpty
        || !change.removeBlockers.isEmpty
      {
        task = try context.access.plan(id, change).task
      }
      guard let task else {
        throw .invalidInput(
          "update_task: nothing to change; give title, description, labels, priority, due or blockedBy."
        )
      }
      return task
    }
    return ["task": task.json]
  }

  static let transitionTask = Tool(
    name: "transition_task", title: "Move a task",
    description: "Move a task to another status, if its board allows the move.",
    properties: [
      "taskId": taskIdProperty, "status": text("The new status."),
      "note": text("Why (optional).", max: Limits.noteBytes),
    ],
    required: ["taskId", "status"], output: taskOutput, readOnly: false, needs: [.transition],
    destructive: true
  ) { context, arguments throws(ToolFailure) in
    let (id, status, note) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"), try arguments.string("status"),
        try arguments.optionalString("note")
      )
    }
    let task = try attempt { () throws(TackError) in
      try context.access.transition(id, to: status, note: note)
    }
    return ["task": task.json]
  }

  static let addNote = Tool(
    name: "add_note", title: "Add a note",
    description: "Record progress on a task (terminal tasks too).",
    properties: ["taskId": taskIdProperty, "text": text("The note.", max: Limits.noteBytes)],
    required: ["taskId", "text"], output: taskOutput, readOnly: false, needs: [.comment]
  ) { context, arguments throws(ToolFailure) in
    let (id, note) = try argument { () throws(RPCError) in
      (try arguments.string("taskId"), try arguments.string("text"))
    }
    return [
      "task": try attempt { () throws(TackError) in try context.access.addNote(id, text: note).json
      }
    ]
  }

  static let claimTask = Tool(
    name: "claim_task", title: "Claim a task",
    description:
      "Assign the task to you with a lease (starts a todo task). Renew by claiming again; others are refused until it expires.",
    properties: ["taskId": taskIdProperty, "leaseSeconds": leaseSeconds],
    required: ["taskId"], output: taskOutput, readOnly: false, needs: [.claim]
  ) { context, arguments throws(ToolFailure) in
    let (id, seconds) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"),
        try arguments.optionalInt("leaseSeconds", in: Limits.leaseSeconds)
          ?? Limits.defaultLeaseSeconds
      )
    }
    return [
      "task": try attempt { () throws(TackError) in
        try context.access.claim(id, leaseSeconds: seconds).json
      }
    ]
  }

  static let releaseTask = Tool(
    name: "release_task", title: "Release a task",
    description: "Give back a claimed task (working goes back to todo).",
    properties: ["taskId": taskIdProperty], required: ["taskId"], output: taskOutput,
    readOnly: false, needs: [.claim]
  ) { context, arguments throws(ToolFailure) in
    let id = try argument { () throws(RPCError) in try arguments.string("taskId") }
    return ["task": try attempt { () throws(TackError) in try context.access.release(id).json }]
  }

  static let requestInput = Tool(
    name: "request_input", title: "Ask for input",
    description:
      "Ask a person: the task waits in input_required until every request is answered. A confirmation can name onConfirm/onDecline statuses (an approval: completed/failed); text can name next.",
    properties: [
      "taskId": taskIdProperty,
      "inputRequests": [
        "type": "object",
        "description":
          "Requests by key, e.g. {\"approve\": {\"type\": \"confirmation\", \"message\": \"Ship?\"}}.",
        "additionalProperties": [
          "type": "object",
          "properties": [
            "type": ["type": "string", "enum": ["confirmation", "text"]],
            "message": ["type": "string", "maxLength": .int(Int64(Limits.noteBytes))],
            "next": ["type": "string"], "onConfirm": ["type": "string"],
            "onDecline": ["type": "string"],
          ],
          "required": ["type", "message"],
        ],
      ],
    ],
    required: ["taskId", "inputRequests"], output: taskOutput, readOnly: false, needs: [.transition]
  ) { context, arguments throws(ToolFailure) in
    let (id, requests) = try argument { () throws(RPCError) in
      let id = try arguments.string("taskId")
      var requests: [String: BoardTask.InputRequest] = [:]
      for (key, value) in try arguments.object("inputRequests") {
        let fields = try Arguments(
          value.objectValue ?? [:], allowed: ["type", "message", "next", "onConfirm", "onDecline"],
          tool: "request_input: inputRequests.\(key)")
        guard value.objectValue != nil else {
          throw .invalidParams("request_input: inputRequests.\(key) must be an object")
        }
        guard let kind = BoardTask.InputRequest.Kind(rawValue: try fields.string("type")) else {
          throw .invalidParams(
            "request_input: inputRequests.\(key).type must be confirmation or text")
        }
        requests[key] = BoardTask.InputRequest(
          type: kind, message: try fields.string("message"),
          next: try fields.optionalString("next"),
          onConfirm: try fields.optionalString("onConfirm"),
          onDecline: try fields.optionalString("onDecline"))
      }
      return (id, requests)
    }
    return [
      "task": try attempt { () throws(TackError) in
        try context.access.requestInput(id, requests: requests).json
      }
    ]
  }

  static let answerInput = Tool(
    name: "answer_input", title: "Answer input requests",
    description:
      "Answer pending requests by key: a confirmation takes true/false (or {\"confirmed\": bool}), text a string (or {\"text\": str}).",
    properties: ["taskId": taskIdProperty, "inputResponses": ["type": "object"]],
    required: ["taskId", "inputResponses"], output: taskOutput, readOnly: false, needs: [.answer],
    destructive: true
  ) { context, arguments throws(ToolFailure) in
    let (id, responses) = try argument { () throws(RPCError) in
      let responses = try arguments.object("inputResponses").mapValues(\.storedAnswer)
      return (try arguments.string("taskId"), responses)
    }
    return [
      "task": try attempt { () throws(TackError) in
        try context.access.answer(id, responses: responses).json
      }
    ]
  }

  static let nextTask = Tool(
    name: "next_task", title: "Claim the next ready task",
    description:
      "Claim the most urgent task you could start now (no open blocker, no one else's lease), with a lease; task is null when nothing is ready. Callers at once never get the same task.",
    properties: [
      "board": text("Only this board."),
      "label": labelFilter,
      "leaseSeconds": leaseSeconds,
    ],
    required: [], output: ["task": ["type": ["object", "null"]]], readOnly: false, needs: [.claim]
  ) { context, arguments throws(ToolFailure) in
    let (filter, seconds) = try argument { () throws(RPCError) in
      (
        TaskFilter(
          board: try arguments.optionalString("board") ?? context.defaultBoard,
          labels: try arguments.strings("label") ?? []),
        try arguments.optionalInt("leaseSeconds", in: Limits.leaseSeconds)
          ?? Limits.defaultLeaseSeconds
      )
    }
    return try attempt { () throws(TackError) in
      for label in filter.labels { try Names.validate(label, as: "label") }
      let task = try context.access.claimNext(filter, leaseSeconds: seconds)
      return ["task": task?.json ?? .null]
    }
  }

  static let requestApproval = Tool(
    name: "request_approval", title: "Ask a person for approval",
    description:
      "Runs as a task: creates a board task waiting for a yes/no from a person (tack answer, or you via elicitation). Approved → completed, declined → failed; the result carries the answer.",
    properties: [
      "title": text("What needs approving (one line).", max: Limits.titleBytes),
      "message": text("The question; default: the title.", max: Limits.noteBytes),
      "key": text("The request's key; default approve."),
      "board": text("Default: the server's board."),
      "description": details, "labels": labelList,
    ],
    required: ["title"], output: taskOutput, readOnly: false, taskSupport: "required",
    needs: [.create, .transition]
  ) { context, arguments throws(ToolFailure) in
    let (title, message, key, board, description, labels) = try argument { () throws(RPCError) in
      (
        try arguments.string("title"), try arguments.optionalString("message"),
        try arguments.optionalString("key") ?? "approve",
        try arguments.optionalString("board") ?? context.defaultBoard,
        try arguments.optionalString("description") ?? "", try arguments.strings("labels") ?? []
      )
    }
    let request = BoardTask.InputRequest.approval(message: message ?? title)
    let task = try attempt { () throws(TackError) in
      try context.access.create(
        title: title, board: board, description: description, labels: labels,
        inputRequests: [key: request])
    }
    return ["task": task.json]
  }

  static let taskHistory = Tool(
    name: "task_history", title: "Task history",
    description: "The commits that changed a task, newest first: when, who, what changed.",
    properties: [
      "taskId": taskIdProperty,
      "limit": [
        "type": "integer", "minimum": .int(Int64(Limits.historyEntries.lowerBound)),
        "maximum": .int(Int64(Limits.historyEntries.upperBound)),
      ],
    ],
    required: ["taskId"], output: ["history": ["type": "array", "items": ["type": "object"]]],
    readOnly: true
  ) { context, arguments throws(ToolFailure) in
    let (id, limit) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"),
        try arguments.optionalInt(
          "limit",
          in: Int64(Limits.historyEntries.lowerBound)...Int64(Limits.historyEntries.upperBound))
      )
    }
    let history = try attempt { () throws(TackError) in
      try context.access.history(id, limit: limit.map(Int.init))
    }
    return ["history": .array(history.map(\.json))]
  }
}

extension TaskSummary {
  /// A task in a few fields (`list_tasks` with `brief`, the board resource): read from the
  /// read index, no task file parsed.
  var brief: JSONValue {
    [
      "taskId": .string(taskId.rawValue), "board": .string(board), "title": .string(title),
      "status": .string(status), "labels": .array(labels.map { .string($0) }),
      "assignee": JSONValue(assignee), "updatedAt": .string(updatedAt.description),
    ]
  }
}

import TackAccess
import TackCore

/// The board tools. Descriptions and schemas are short on purpose: an agent's context is
/// precious. Every body calls `BoardAccess`, never the store.
enum Tools {
  static let all: [Tool] = [
    listBoards, listTasks, getTask, createTask, updateTask, transitionTask, addNote, claimTask,
    releaseTask, requestInput, answerInput, taskHistory, requestApproval,
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
  static let labelList: JSONValue = ["type": "array", "items": ["type": "string"]]

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
        "type": "array", "items": ["type": "string"], "description": "Any of these statuses.",
      ],
      "label": [
        "type": "array", "items": ["type": "string"], "description": "All of these labels.",
      ],
      "assignee": text("Assigned to this id; \"\" for unassigned."),
      "text": text("Text in the title, description or notes (case-insensitive)."),
      "limit": [
        "type": "integer", "minimum": .int(Int64(Limits.pageSize.lowerBound)),
        "maximum": .int(Int64(Limits.pageSize.upperBound)),
      ],
      "cursor": text("From a previous call's nextCursor."),
      "brief": [
        "type": "boolean",
        "description": "Only taskId, board, title, status, labels, assignee, updatedAt.",
      ],
    ],
    required: [],
    output: [
      "tasks": ["type": "array", "items": ["type": "object"]], "nextCursor": ["type": "string"],
    ],
    readOnly: true
  ) { context, arguments throws(ToolFailure) in
    let (filter, limit, cursor, brief) = try argument { () throws(RPCError) in
      let filter = TaskFilter(
        board: try arguments.optionalString("board") ?? context.defaultBoard,
        statuses: try arguments.strings("status") ?? [],
        labels: try arguments.strings("label") ?? [],
        assignee: try arguments.optionalString("assignee"),
        text: try arguments.optionalString("text"))
      let limit = Int(
        try arguments.optionalInt("limit", in: 1...Int64(Limits.pageSize.upperBound))
          ?? Int64(Limits.defaultPageSize))
      return (
        filter, limit, try arguments.optionalString("cursor"),
        try arguments.optionalBool("brief") ?? false
      )
    }
    for label in filter.labels {
      try attempt { () throws(TackError) in try Names.validate(label, as: "label") }
    }
    // Only the page is parsed; the rest of the list comes from the read index.
    return try attempt { () throws(TackError) in
      let tasks = try context.access.summaries(filter).tasks
      let list = PageCursor.list("list_tasks", query: filter.query)
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
      "title": text("One line."), "board": text("Default: the server's board."),
      "description": text("Longer text."), "labels": labelList,
    ],
    required: ["title"], output: taskOutput, readOnly: false, taskSupport: "optional"
  ) { context, arguments throws(ToolFailure) in
    let (title, board, description, labels) = try argument { () throws(RPCError) in
      (
        try arguments.string("title"),
        try arguments.optionalString("board") ?? context.defaultBoard,
        try arguments.optionalString("description") ?? "", try arguments.strings("labels") ?? []
      )
    }
    let task = try attempt { () throws(TackError) in
      try context.access.create(
        title: title, board: board, description: description, labels: labels)
    }
    return ["task": task.json]
  }

  static let updateTask = Tool(
    name: "update_task", title: "Update a task",
    description: "Change the title, description or labels (labels replaces the whole set).",
    properties: [
      "taskId": taskIdProperty, "title": text("New title."),
      "description": text("New description."),
      "labels": labelList,
    ],
    required: ["taskId"], output: taskOutput, readOnly: false
  ) { context, arguments throws(ToolFailure) in
    let (id, title, description, labels) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"), try arguments.optionalString("title"),
        try arguments.optionalString("description"), try arguments.strings("labels")
      )
    }
    let task = try attempt { () throws(TackError) in
      let current = labels == nil ? nil : try context.access.task(id)
      let add =
        labels.map { wanted in wanted.filter { !(current?.labels.contains($0) ?? false) } } ?? []
      let remove =
        labels.map { wanted in current?.labels.filter { !wanted.contains($0) } ?? [] } ?? []
      return try context.access.edit(
        id, title: title, description: description, addLabels: add, removeLabels: remove
      ).task
    }
    return ["task": task.json]
  }

  static let transitionTask = Tool(
    name: "transition_task", title: "Move a task",
    description: "Move a task to another status, if its board allows the move.",
    properties: [
      "taskId": taskIdProperty, "status": text("The new status."), "note": text("Why (optional)."),
    ],
    required: ["taskId", "status"], output: taskOutput, readOnly: false
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
    properties: ["taskId": taskIdProperty, "text": text("The note.")],
    required: ["taskId", "text"], output: taskOutput, readOnly: false
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
    properties: [
      "taskId": taskIdProperty,
      "leaseSeconds": [
        "type": "integer", "minimum": 1, "maximum": 31_622_400, "description": "Default 1800.",
      ],
    ],
    required: ["taskId"], output: taskOutput, readOnly: false
  ) { context, arguments throws(ToolFailure) in
    let (id, seconds) = try argument { () throws(RPCError) in
      (
        try arguments.string("taskId"),
        try arguments.optionalInt("leaseSeconds", in: 1...31_622_400) ?? 1800
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
    readOnly: false
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
            "message": ["type": "string"],
            "next": ["type": "string"], "onConfirm": ["type": "string"],
            "onDecline": ["type": "string"],
          ],
          "required": ["type", "message"],
        ],
      ],
    ],
    required: ["taskId", "inputRequests"], output: taskOutput, readOnly: false
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
    required: ["taskId", "inputResponses"], output: taskOutput, readOnly: false
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

  static let requestApproval = Tool(
    name: "request_approval", title: "Ask a person for approval",
    description:
      "Runs as a task: creates a board task waiting for a yes/no from a person (tack answer, or you via elicitation). Approved → completed, declined → failed; the result carries the answer.",
    properties: [
      "title": text("What needs approving (one line)."),
      "message": text("The question; default: the title."),
      "key": text("The request's key; default approve."),
      "board": text("Default: the server's board."),
      "description": text("Details."), "labels": labelList,
    ],
    required: ["title"], output: taskOutput, readOnly: false, taskSupport: "required"
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
      "taskId": taskIdProperty, "limit": ["type": "integer", "minimum": 1, "maximum": 1000],
    ],
    required: ["taskId"], output: ["history": ["type": "array", "items": ["type": "object"]]],
    readOnly: true
  ) { context, arguments throws(ToolFailure) in
    let (id, limit) = try argument { () throws(RPCError) in
      (try arguments.string("taskId"), try arguments.optionalInt("limit", in: 1...1000))
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

import TackAccess
import TackCore

/// Boards and tasks as read-only JSON resources: `tack://board/<name>`, `tack://task/<id>`.
enum Resources {
  static let boardPrefix = "tack://board/"
  static let taskPrefix = "tack://task/"

  static func list(_ access: BoardAccess) throws(RPCError) -> JSONValue {
    let boards: [Board]
    do { boards = try access.boards().boards } catch {
      throw RPCError(code: RPCError.internalError, message: error.description)
    }
    return [
      "resources": .array(
        boards.map { board in
          [
            "uri": .string(boardPrefix + board.name), "name": .string(board.name),
            "title": .string("Board \(board.name)"), "mimeType": "application/json",
            "description": .string("The board's statuses and a summary of its tasks."),
          ]
        })
    ]
  }

  static let templates: JSONValue = [
    "resourceTemplates": [
      [
        "uriTemplate": "tack://task/{taskId}", "name": "task", "title": "A task",
        "mimeType": "application/json", "description": "One task, as stored.",
      ],
      [
        "uriTemplate": "tack://board/{name}", "name": "board", "title": "A board",
        "mimeType": "application/json", "description": "A board and a summary of its tasks.",
      ],
    ]
  ]

  static func read(
    _ params: [String: JSONValue], _ access: BoardAccess
  ) throws(RPCError) -> JSONValue {
    guard case .string(let uri)? = params["uri"] else {
      throw .invalidParams("resources/read needs uri (a string)")
    }
    let notFound = RPCError(
      code: RPCError.resourceNotFound, message: "Resource not found: \(uri)",
      data: ["uri": .string(uri)])
    let value: JSONValue
    do {
      if uri.hasPrefix(boardPrefix) {
        let board = try access.board(String(uri.dropFirst(boardPrefix.count)))
        let tasks = try access.summaries(TaskFilter(board: board.name)).tasks
        value = [
          "board": board.json, "name": .string(board.name),
          "tasks": .array(
            tasks.map { task in
              [
                "taskId": .string(task.taskId.rawValue), "title": .string(task.title),
                "status": .string(task.status), "labels": .array(task.labels.map { .string($0) }),
                "assignee": JSONValue(task.assignee),
              ]
            }),
        ]
      } else if uri.hasPrefix(taskPrefix) {
        value = try access.task(String(uri.dropFirst(taskPrefix.count))).json
      } else {
        throw notFound
      }
    } catch let error as RPCError {
      throw error
    } catch {
      throw notFound
    }
    return [
      "contents": [
        [
          "uri": .string(uri), "mimeType": "application/json",
          "text": .string(value.serialized(pretty: true)),
        ]
      ]
    ]
  }
}

import TackAccess
import TackCore

/// Boards and tasks as read-only JSON resources: `tack://board/<name>`, `tack://task/<id>`.
enum Resources {
  static let boardPrefix = "tack://board/"
  static let taskPrefix = "tack://task/"
  /// Tasks per page of a board resource; `next` names the URI of the next page.
  static let boardPage = 200

  static func list(
    _ access: BoardAccess, _ params: [String: JSONValue]
  ) throws(RPCError) -> JSONValue {
    let all: [Board]
    do { all = try access.boards().boards } catch {
      throw RPCError(code: RPCError.internalError, message: AgentMessage.text(error))
    }
    let (boards, next) = try MCPServer.page(all, key: \.name, params, list: "resources/list")
    var result: [String: JSONValue] = [
      "resources": .array(
        boards.map { board in
          [
            "uri": .string(boardPrefix + board.name), "name": .string(board.name),
            "title": .string("Board \(board.name)"), "mimeType": "application/json",
            "description": .string("The board's statuses and a summary of its tasks."),
          ]
        })
    ]
    if let next { result["nextCursor"] = .string(next) }
    return .object(result)
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

  /// One resource; `nil` when the client cancelled the request while its board was scanned.
  static func read(
    _ params: [String: JSONValue], _ access: BoardAccess, stop: () -> Bool = { false }
  ) throws(RPCError) -> JSONValue? {
    guard case .string(let uri)? = params["uri"] else {
      throw .invalidParams("resources/read needs uri (a string)")
    }
    let notFound = RPCError(
      code: RPCError.resourceNotFound, message: "Resource not found: \(uri)",
      data: ["uri": .string(uri)])
    let value: JSONValue
    do {
      if uri.hasPrefix(boardPrefix) {
        // `tack://board/NAME`, or a later page: `tack://board/NAME?cursor=…`.
        let rest = uri.dropFirst(boardPrefix.count)
        let parts = rest.split(separator: "?", maxSplits: 1)
        var cursor: String?
        if parts.count == 2 {
          guard parts[1].hasPrefix("cursor=") else { throw notFound }
          cursor = String(parts[1].dropFirst("cursor=".count))
        }
        let board = try access.board(parts.isEmpty ? "" : String(parts[0]))
        let tasks = try access.summaries(TaskFilter(board: board.name), stop: stop).tasks
        let list = PageCursor.list("board", query: board.name)
        let (page, next) = try ListPosition.page(
          tasks, list: list, cursor: cursor, limit: boardPage)
        var object: [String: JSONValue] = [
          "board": board.json, "name": .string(board.name),
          "tasks": .array(page.map(\.brief)),
        ]
        if let next {
          object["nextCursor"] = .string(next)
          object["next"] = .string("\(boardPrefix)\(board.name)?cursor=\(next)")
        }
        value = .object(object)
      } else if uri.hasPrefix(taskPrefix) {
        value = try access.task(String(uri.dropFirst(taskPrefix.count))).json
      } else {
        throw notFound
      }
    } catch let error as RPCError {
      throw error
    } catch TackError.cancelled {
      return nil
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

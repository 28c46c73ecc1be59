/// One task as lists read it from the read index: the fields lists filter and show, and the
/// whole task as JSON, without parsing its file again.
public struct TaskSummary: Sendable {
  // The fields live in one immutable object, so that sorting and handing out thousands of
  // summaries moves one reference each, not ten.
  private final class Fields: Sendable {
    let taskId: TaskID
    let board: String
    let title: String
    let status: String
    let labels: [String]
    let assignee: String?
    let createdAt: Timestamp
    let updatedAt: Timestamp
    let json: ArraySlice<UInt8>

    init(
      taskId: TaskID, board: String, title: String, status: String, labels: [String],
      assignee: String?, createdAt: Timestamp, updatedAt: Timestamp, json: ArraySlice<UInt8>
    ) {
      self.taskId = taskId
      self.board = board
      self.title = title
      self.status = status
      self.labels = labels
      self.assignee = assignee
      self.createdAt = createdAt
      self.updatedAt = updatedAt
      self.json = json
    }
  }

  private let fields: Fields
  /// Where the file is (set by the list that found it; the index itself is keyed by content).
  public var path: String = ""

  public var taskId: TaskID { fields.taskId }
  public var board: String { fields.board }
  public var title: String { fields.title }
  public var status: String { fields.status }
  public var labels: [String] { fields.labels }
  public var assignee: String? { fields.assignee }
  public var createdAt: Timestamp { fields.createdAt }
  public var updatedAt: Timestamp { fields.updatedAt }
  /// The task as `BoardTask.json` serializes it, pretty-printed, without the final newline.
  public var json: ArraySlice<UInt8> { fields.json }

  init(_ task: BoardTask) {
    self.init(
      taskId: task.taskId, board: task.board, title: task.title, status: task.status,
      labels: task.labels, assignee: task.assignee, createdAt: task.createdAt,
      updatedAt: task.updatedAt, json: task.fileContents.dropLast())
  }

  init(
    taskId: TaskID, board: String, title: String, status: String, labels: [String],
    assignee: String?, createdAt: Timestamp, updatedAt: Timestamp, json: ArraySlice<UInt8>
  ) {
    fields = Fields(
      taskId: taskId, board: board, title: title, status: status, labels: labels,
      assignee: assignee, createdAt: createdAt, updatedAt: updatedAt, json: json)
  }

  /// The whole task (parsed from `json`).
  public func task() throws(TackError) -> BoardTask {
    try BoardTask(fileContents: Array(json), path: path)
  }

  /// `{"tasks": [...]}` pretty-printed, byte for byte what `JSONValue.serialized` gives for
  /// the same tasks, built from the stored JSON without parsing it: a task nested two levels
  /// deep is its own pretty form with four more spaces after each line break.
  public static func jsonDocument(key: String, _ tasks: [TaskSummary]) -> [UInt8] {
    guard !tasks.isEmpty else {
      return JSONValue.object([key: .array([])]).serializedBytes(pretty: true)
    }
    var output = JSONValue.string(key).serializedBytes(pretty: false)
    output = Array("{\n  ".utf8) + output + Array(": [\n    ".utf8)
    output.reserveCapacity(tasks.reduce(output.count) { $0 + $1.json.count * 9 / 8 + 8 })
    for (index, task) in tasks.enumerated() {
      if index > 0 { output += Array(",\n    ".utf8) }
      // A JSON string never holds a raw line break, so every one is indentation.
      var rest = task.json
      while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
        output.append(contentsOf: rest[...newline])
        for _ in 0..<4 { output.append(UInt8(ascii: " ")) }
        rest = rest[(newline + 1)...]
      }
      output.append(contentsOf: rest)
    }
    output += Array("\n  ]\n}\n".utf8)
    return output
  }
}

import TackGit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
    let leaseExpiresAt: Timestamp?
    let createdAt: Timestamp
    let updatedAt: Timestamp
    /// Where the task's JSON is: in the mapped read index, or a copy of its own.
    let json: (bytes: Bytes, range: Range<Int>)

    init(
      taskId: TaskID, board: String, title: String, status: String, labels: [String],
      assignee: String?, leaseExpiresAt: Timestamp?, createdAt: Timestamp, updatedAt: Timestamp,
      json: (bytes: Bytes, range: Range<Int>)
    ) {
      self.leaseExpiresAt = leaseExpiresAt
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
  /// Where the file is: a summary is only made of a task in its right place.
  public var path: String { Store.taskPath(taskId, board: board) }

  public var taskId: TaskID { fields.taskId }
  public var board: String { fields.board }
  public var title: String { fields.title }
  public var status: String { fields.status }
  public var labels: [String] { fields.labels }
  public var assignee: String? { fields.assignee }
  /// When the task's lease runs out (or ran out: a lease past this time is expired, and
  /// anyone may claim the task); `nil` without a lease.
  public var leaseExpiresAt: Timestamp? { fields.leaseExpiresAt }
  public var createdAt: Timestamp { fields.createdAt }
  public var updatedAt: Timestamp { fields.updatedAt }
  /// The task as `BoardTask.json` serializes it, pretty-printed, without the final newline.
  public var json: [UInt8] { fields.json.bytes[fields.json.range] }

  func withJSON<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    body(UnsafeRawBufferPointer(rebasing: fields.json.bytes.buffer[fields.json.range]))
  }

  init(_ task: BoardTask) {
    self.init(
      taskId: task.taskId, board: task.board, title: task.title, status: task.status,
      labels: task.labels, assignee: task.assignee, leaseExpiresAt: task.lease?.expiresAt,
      createdAt: task.createdAt,
      updatedAt: task.updatedAt, json: Self.ownBytes(task.fileContents.dropLast()))
  }

  private static func ownBytes(_ json: ArraySlice<UInt8>) -> (bytes: Bytes, range: Range<Int>) {
    (Bytes(copying: json), 0..<json.count)
  }

  init(
    taskId: TaskID, board: String, title: String, status: String, labels: [String],
    assignee: String?, leaseExpiresAt: Timestamp? = nil, createdAt: Timestamp,
    updatedAt: Timestamp, json: (bytes: Bytes, range: Range<Int>)
  ) {
    fields = Fields(
      taskId: taskId, board: board, title: title, status: status, labels: labels,
      assignee: assignee, leaseExpiresAt: leaseExpiresAt, createdAt: createdAt,
      updatedAt: updatedAt, json: json)
  }

  /// Whether the stored JSON may hold a live lease, a priority, a due date or a dependency:
  /// when not, the ready queue needs no more than the summary. (Keys are searched as the
  /// pretty form writes them; text inside a string is escaped, so a title cannot hide one,
  /// and a false alarm only costs a parse.)
  var mentionsPlanningOrLease: Bool {
    withJSON { json in
      Self.planningKeys.contains { Self.find($0, in: json) } || !Self.find(Self.noLease, in: json)
    }
  }

  /// Whether `needle` occurs in `haystack`: `memchr` to each candidate first byte, then a
  /// compare.
  private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Bool {
    guard let base = haystack.baseAddress, !needle.isEmpty, haystack.count >= needle.count
    else { return false }
    return needle.withUnsafeBytes { pattern in
      var start = 0
      let last = haystack.count - needle.count
      while start <= last,
        let found = memchr(base + start, Int32(needle[0]), last - start + 1)
      {
        let offset = base.distance(to: UnsafeRawPointer(found))
        if memcmp(base + offset, pattern.baseAddress!, needle.count) == 0 { return true }
        start = offset + 1
      }
      return false
    }
  }

  private static let planningKeys: [[UInt8]] = [
    Array("\"priority\": ".utf8), Array("\"due\": ".utf8), Array("\"blocked-by\"".utf8),
  ]
  private static let noLease = Array("\"lease\": null".utf8)

  /// The whole task (parsed from `json`).
  public func task() throws(TackError) -> BoardTask {
    try BoardTask(fileContents: json, path: path)
  }

  /// `{"tasks": [...]}` pretty-printed, byte for byte what `JSONValue.serialized` gives for
  /// the same tasks, built from the stored JSON without parsing it: a task nested two levels
  /// deep is its own pretty form with four more spaces after each line break. Handed to
  /// `output` in pieces of about 64 KiB, so a long list never sits in memory twice.
  public static func writeJSONDocument(
    key: String, _ tasks: [TaskSummary], to output: ([UInt8]) -> Void
  ) {
    guard !tasks.isEmpty else {
      return output(JSONValue.object([key: .array([])]).serializedBytes(pretty: true))
    }
    let pieceSize = 64 * 1024
    var head = Array("{\n  ".utf8) + JSONValue.string(key).serializedBytes(pretty: false)
    head += Array(": [\n    ".utf8)
    // Filled through a pointer: at 100k tasks a list copies a million lines, and an array's
    // append cost more than the copying.
    var capacity = pieceSize + head.count + 4096
    var piece = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
    defer { piece.deallocate() }
    var used = 0
    func add(_ bytes: UnsafeRawPointer, _ count: Int) {
      if used + count > capacity {
        capacity = max(capacity * 2, used + count)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        grown.copyMemory(from: piece, byteCount: used)
        piece.deallocate()
        piece = grown
      }
      (piece + used).copyMemory(from: bytes, byteCount: count)
      used += count
    }
    func flush() {
      output(Array(UnsafeRawBufferPointer(start: piece, count: used)))
      used = 0
    }
    head.withUnsafeBytes { add($0.baseAddress!, $0.count) }
    for (index, task) in tasks.enumerated() {
      if index > 0 { Self.separator.withUnsafeBytes { add($0.baseAddress!, $0.count) } }
      // A JSON string never holds a raw line break, so every one is indentation.
      task.withJSON { json in
        let base = json.baseAddress!
        var start = 0
        while let found = memchr(base + start, 0x0A, json.count - start) {
          let newline = base.distance(to: found)
          add(base + start, newline + 1 - start)
          Self.indent.withUnsafeBytes { add($0.baseAddress!, $0.count) }
          start = newline + 1
        }
        add(base + start, json.count - start)
      }
      if used >= pieceSize { flush() }
    }
    Array("\n  ]\n}\n".utf8).withUnsafeBytes { add($0.baseAddress!, $0.count) }
    flush()
  }

  private static let indent: [UInt8] = Array("    ".utf8)
  private static let separator: [UInt8] = Array(",\n    ".utf8)

  /// `writeJSONDocument` as one array.
  public static func jsonDocument(key: String, _ tasks: [TaskSummary]) -> [UInt8] {
    var document: [UInt8] = []
    writeJSONDocument(key: key, tasks) { document += $0 }
    return document
  }
}

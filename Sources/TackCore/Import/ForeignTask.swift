/// A task read from another tool's export, in Tack's terms, before it is placed on a board:
/// what `tack import --from TOOL` maps, and what it had to drop.
public struct ForeignTask: Sendable, Equatable {
  /// Where a status lands on the board: its initial status, working, or a terminal one.
  public enum Stage: String, Sendable {
    case open, started, completed, cancelled
  }

  /// `tool:id` — kept in the task's `source` field, so that importing again updates.
  public var source: String
  public var title: String
  public var description: String = ""
  public var stage: Stage = .open
  public var labels: [String] = []
  public var assignee: String?
  public var priority: Int?
  public var due: String?
  public var createdAt: Timestamp?
  public var notes: [BoardTask.Note] = []
  /// The `source` of each task this one waits for.
  public var blockers: [String] = []
  /// What the source had that Tack does not keep, one short phrase each ("urgency",
  /// "a related link to bd-9").
  public var dropped: [String] = []

  public init(source: String, title: String) {
    self.source = source
    self.title = title
  }

  /// Adds `text` as a label when it can be made one (lower case, other characters as `-`);
  /// otherwise notes it as dropped.
  mutating func addLabel(_ text: String) {
    var label = ""
    for scalar in text.lowercased().unicodeScalars {
      switch scalar {
      case "a"..."z", "0"..."9", "_", "-": label.unicodeScalars.append(scalar)
      default: if !label.isEmpty, !label.hasSuffix("-") { label += "-" }
      }
    }
    while label.hasSuffix("-") { label.removeLast() }
    while let first = label.first, first == "-" || first == "_" { label.removeFirst() }
    if label.isEmpty || label.utf8.count > Names.maxLength {
      dropped.append("label \"\(text)\"")
    } else if !labels.contains(label) {
      labels.append(label)
    }
  }

  /// A title fit for Tack: the first line, cut to the limit (the rest goes to the
  /// description).
  mutating func fitTitle() {
    var lines = title.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var first = lines.isEmpty ? "" : lines.removeFirst()
    first = first.trimmingSpaces()
    if first.utf8.count > Limits.titleBytes {
      var cut = ""
      for character in first {
        if cut.utf8.count + String(character).utf8.count > Limits.titleBytes - 3 { break }
        cut.append(character)
      }
      lines.insert(first, at: 0)
      first = cut + "…"
    }
    if first.isEmpty { first = "(untitled \(source))" }
    title = first
    let rest = lines.joined(separator: "\n").trimmingSpaces()
    if !rest.isEmpty { description = rest + (description.isEmpty ? "" : "\n\n" + description) }
  }
}

extension String {
  func trimmingSpaces() -> String {
    let scalars = unicodeScalars
    let isSpace = { (scalar: Unicode.Scalar) in
      scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }
    guard let start = scalars.firstIndex(where: { !isSpace($0) }),
      let end = scalars.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(scalars[start...end])
  }
}

/// The tools `tack import --from` reads.
public enum ForeignFormat: String, Sendable, CaseIterable {
  case taskwarrior, beads, github, backlog

  /// Reads a whole export (`backlog` reads a folder: see `BacklogFormat`).
  public func read(_ bytes: [UInt8]) throws(TackError) -> [ForeignTask] {
    switch self {
    case .taskwarrior: try TaskwarriorFormat.read(bytes)
    case .beads: try BeadsFormat.read(bytes)
    case .github: try GitHubFormat.read(bytes)
    case .backlog: try BacklogFormat.read(files: [("task.md", bytes)])
    }
  }
}

/// Field access with messages that name the record, for the readers below.
struct ForeignRecord {
  let object: [String: JSONValue]
  let name: String

  init(_ value: JSONValue, name: String) throws(TackError) {
    guard case .object(let object) = value else {
      throw .invalidInput("\(name): expected a JSON object.")
    }
    self.object = object
    self.name = name
  }

  func string(_ key: String) throws(TackError) -> String? {
    switch object[key] {
    case nil, .null?: return nil
    case .string(let text)?: return text
    default: throw .invalidInput("\(name): \(key) must be a string.")
    }
  }

  func required(_ key: String) throws(TackError) -> String {
    guard let text = try string(key), !text.isEmpty else {
      throw .invalidInput("\(name): \(key) is missing.")
    }
    return text
  }

  func array(_ key: String) throws(TackError) -> [JSONValue] {
    switch object[key] {
    case nil, .null?: return []
    case .array(let items)?: return items
    default: throw .invalidInput("\(name): \(key) must be an array.")
    }
  }

  func strings(_ key: String) throws(TackError) -> [String] {
    try array(key).map { (item) throws(TackError) in
      guard let text = item.stringValue else {
        throw .invalidInput("\(name): \(key) must hold strings.")
      }
      return text
    }
  }

  /// A time in RFC 3339, or in the compact form `20261224T170000Z` Taskwarrior writes.
  func time(_ key: String) throws(TackError) -> Timestamp? {
    guard let text = try string(key) else { return nil }
    if let moment = Timestamp(rfc3339: text) { return moment }
    let b = Array(text.utf8)
    if b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") {
      let s = String(decoding: b, as: UTF8.self)
      let expanded =
        "\(s.prefix(4))-\(s.dropFirst(4).prefix(2))-\(s.dropFirst(6).prefix(2))T\(s.dropFirst(9).prefix(2)):\(s.dropFirst(11).prefix(2)):\(s.dropFirst(13).prefix(2))Z"
      if let moment = Timestamp(rfc3339: expanded) { return moment }
    }
    throw .invalidInput("\(name): \(key) is not a time (\(text.prefix(40))).")
  }

  /// The keys this reader does not map, as dropped.
  func unmapped(_ known: Set<String>) -> [String] {
    object.keys.filter { !known.contains($0) }.sorted()
  }
}

/// Parses one JSON document or JSON lines into values.
enum ForeignJSON {
  static func lines(_ bytes: [UInt8], what: String) throws(TackError) -> [(Int, JSONValue)] {
    var values: [(Int, JSONValue)] = []
    var number = 0
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
      do { values.append((number, try JSONValue.parse(Array(line)))) } catch {
        throw .invalidInput("\(what) line \(number): invalid JSON (\(error.description)).")
      }
    }
    return values
  }

  static func document(_ bytes: [UInt8], what: String) throws(TackError) -> JSONValue {
    do { return try JSONValue.parse(bytes) } catch {
      throw .invalidInput("\(what): invalid JSON (\(error.description)).")
    }
  }
}

/// `task export` (Taskwarrior 2.x and 3.x): a JSON array (or JSON lines) of tasks.
enum TaskwarriorFormat {
  static let known: Set<String> = [
    "uuid", "id", "description", "status", "priority", "due", "tags", "annotations", "depends",
    "entry", "modified", "start", "end", "project", "urgency",
  ]

  static func read(_ bytes: [UInt8]) throws(TackError) -> [ForeignTask] {
    let trimmed = bytes.drop { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
    let values: [(Int, JSONValue)]
    if trimmed.first == UInt8(ascii: "[") {
      let document = try ForeignJSON.document(bytes, what: "taskwarrior export")
      values = (document.arrayValue ?? []).enumerated().map { ($0.offset + 1, $0.element) }
    } else {
      values = try ForeignJSON.lines(bytes, what: "taskwarrior export")
    }
    var tasks: [ForeignTask] = []
    for (number, value) in values {
      let record = try ForeignRecord(value, name: "taskwarrior task \(number)")
      let status = try record.string("status") ?? "pending"
      if status == "recurring" { continue }  // a template: its instances are the tasks
      var task = ForeignTask(
        source: "taskwarrior:" + (try record.required("uuid")),
        title: try record.required("description"))
      switch status {
      case "completed": task.stage = .completed
      case "deleted": task.stage = .cancelled
      default: task.stage = record.object["start"] == nil ? .open : .started
      }
      switch try record.string("priority") {
      case "H"?: task.priority = 1
      case "M"?: task.priority = 2
      case "L"?: task.priority = 3
      case nil: break
      case let other?: task.dropped.append("priority \(other)")
      }
      task.due = try record.time("due")?.description
      for tag in try record.strings("tags") { task.addLabel(tag) }
      if let project = try record.string("project") { task.addLabel(project) }
      for (index, item) in try record.array("annotations").enumerated() {
        let note = try ForeignRecord(item, name: "\(record.name) annotation \(index + 1)")
        task.notes.append(
          BoardTask.Note(
            at: try note.time("entry") ?? Timestamp(milliseconds: 0), by: "taskwarrior",
            text: try note.required("description")))
      }
      switch record.object["depends"] {
      case .string(let list)?:  // 2.x: "uuid,uuid"
        task.blockers = list.split(separator: ",").map {
          "taskwarrior:" + String($0).trimmingSpaces()
        }
      case .array?:  // 3.x: ["uuid", ...]
        task.blockers = try record.strings("depends").map { "taskwarrior:" + $0 }
      default: break
      }
      task.createdAt = try record.time("entry")
      task.dropped += record.unmapped(known)
      if record.object["urgency"] != nil { task.dropped.append("urgency") }
      task.fitTitle()
      tasks.append(task)
    }
    return tasks
  }
}

/// beads' issues JSONL (`.beads/issues.jsonl`): one issue a line.
enum BeadsFormat {
  static let known: Set<String> = [
    "id", "title", "description", "status", "priority", "issue_type", "labels", "assignee",
    "dependencies", "comments", "created_at", "updated_at", "closed_at",
  ]

  static func read(_ bytes: [UInt8]) throws(TackError) -> [ForeignTask] {
    var tasks: [ForeignTask] = []
    for (number, value) in try ForeignJSON.lines(bytes, what: "beads issues") {
      let record = try ForeignRecord(value, name: "beads issue (line \(number))")
      let id = try record.required("id")
      var task = ForeignTask(source: "beads:" + id, title: try record.required("title"))
      task.description = try record.string("description") ?? ""
      switch try record.string("status") ?? "open" {
      case "in_progress": task.stage = .started
      case "closed": task.stage = .completed
      case "open", "blocked": task.stage = .open  // blocked: its dependencies say why
      case let other: throw .invalidInput("\(record.name): unknown status \(other).")
      }
      switch record.object["priority"] {
      case nil, .null?: break
      case let value?:
        guard let number = value.intValue, Priority.range.contains(Int(number)) else {
          throw .invalidInput("\(record.name): priority must be 0 to 4.")
        }
        task.priority = Int(number)
      }
      if let type = try record.string("issue_type") { task.addLabel(type) }
      for label in try record.strings("labels") { task.addLabel(label) }
      task.assignee = try record.string("assignee").flatMap { $0.isEmpty ? nil : $0 }
      for (index, item) in try record.array("dependencies").enumerated() {
        let link = try ForeignRecord(item, name: "\(record.name) dependency \(index + 1)")
        let target = try link.required("depends_on_id")
        switch try link.string("type") ?? "blocks" {
        case "blocks": task.blockers.append("beads:" + target)
        case let type: task.dropped.append("a \(type) link to \(target)")
        }
      }
      for (index, item) in try record.array("comments").enumerated() {
        let comment = try ForeignRecord(item, name: "\(record.name) comment \(index + 1)")
        task.notes.append(
          BoardTask.Note(
            at: try comment.time("created_at") ?? Timestamp(milliseconds: 0),
            by: try comment.string("author") ?? "beads", text: try comment.required("text")))
      }
      task.createdAt = try record.time("created_at")
      task.dropped += record.unmapped(known)
      task.fitTitle()
      tasks.append(task)
    }
    return tasks
  }
}

/// `gh issue list --json number,title,body,state,labels,assignees,createdAt,comments`.
enum GitHubFormat {
  static let known: Set<String> = [
    "number", "title", "body", "state", "labels", "assignees", "createdAt", "comments", "url",
  ]

  static func read(_ bytes: [UInt8]) throws(TackError) -> [ForeignTask] {
    let document = try ForeignJSON.document(bytes, what: "gh issue list output")
    guard let issues = document.arrayValue else {
      throw .invalidInput("gh issue list output: expected a JSON array of issues.")
    }
    var tasks: [ForeignTask] = []
    for (index, value) in issues.enumerated() {
      let record = try ForeignRecord(value, name: "GitHub issue \(index + 1)")
      guard let number = record.object["number"]?.intValue else {
        throw .invalidInput("\(record.name): number is missing.")
      }
      var task = ForeignTask(source: "github:#\(number)", title: try record.required("title"))
      task.description = try record.string("body") ?? ""
      switch (try record.string("state") ?? "OPEN").uppercased() {
      case "OPEN": task.stage = .open
      case "CLOSED": task.stage = .completed
      case let other: throw .invalidInput("\(record.name): unknown state \(other).")
      }
      for label in try record.array("labels") {
        if let name = label["name"]?.stringValue { task.addLabel(name) }
      }
      let assignees = try record.array("assignees").compactMap { $0["login"]?.stringValue }
      task.assignee = assignees.first
      if assignees.count > 1 { task.dropped.append("assignees after the first") }
      for (position, item) in try record.array("comments").enumerated() {
        let comment = try ForeignRecord(item, name: "\(record.name) comment \(position + 1)")
        task.notes.append(
          BoardTask.Note(
            at: try comment.time("createdAt") ?? Timestamp(milliseconds: 0),
            by: comment.object["author"]?["login"]?.stringValue ?? "github",
            text: try comment.required("body")))
      }
      task.createdAt = try record.time("createdAt")
      task.dropped += record.unmapped(known)
      task.fitTitle()
      tasks.append(task)
    }
    return tasks
  }
}

/// Backlog.md: a folder of markdown tasks, each with YAML front matter (`id`, `title`,
/// `status`, `assignee`, `labels`, `dependencies`, `priority`, `created_date`) and the
/// description as its body. Only the front matter's simple forms are read: scalars (plain or
/// quoted), `[a, b]` lists and `- item` lists.
public enum BacklogFormat {
  /// The folders of a Backlog.md project (under `backlog/`) that hold task files.
  public static let taskFolders = ["tasks", "completed"]

  static let known: Set<String> = [
    "id", "title", "status", "assignee", "labels", "dependencies", "priority", "created_date",
    "updated_date", "reporter",
  ]

  /// Reads the task files (name and bytes); files without front matter are skipped.
  public static func read(
    files: [(name: String, bytes: [UInt8])]
  ) throws(TackError)
    -> [ForeignTask]
  {
    var tasks: [ForeignTask] = []
    for (name, bytes) in files.sorted(by: { $0.name < $1.name }) {
      guard let (fields, body) = try frontMatter(String(decoding: bytes, as: UTF8.self), name: name)
      else { continue }
      func scalar(_ key: String) -> String? { fields[key]?.first }
      guard let id = scalar("id"), !id.isEmpty, let title = scalar("title") else {
        throw .invalidInput("\(name): the front matter needs id and title.")
      }
      var task = ForeignTask(source: "backlog:" + id.lowercased(), title: title)
      switch (scalar("status") ?? "To Do").lowercased() {
      case "done", "completed": task.stage = .completed
      case "in progress", "in-progress", "doing": task.stage = .started
      case "to do", "todo", "": task.stage = .open
      case let other:
        task.stage = .open
        task.dropped.append("status \"\(other)\" (read as to do)")
      }
      switch scalar("priority")?.lowercased() {
      case "high"?: task.priority = 1
      case "medium"?: task.priority = 2
      case "low"?: task.priority = 3
      case nil, ""?: break
      case let other?: task.dropped.append("priority \(other)")
      }
      for label in fields["labels"] ?? [] { task.addLabel(label) }
      let assignees = (fields["assignee"] ?? []).map {
        $0.hasPrefix("@") ? String($0.dropFirst()) : $0
      }
      task.assignee = assignees.first
      if assignees.count > 1 { task.dropped.append("assignees after the first") }
      task.blockers = (fields["dependencies"] ?? []).map { "backlog:" + $0.lowercased() }
      if let created = scalar("created_date") {
        let day = String(created.prefix(10))
        let time = created.count >= 16 ? String(created.dropFirst(11).prefix(5)) : "00:00"
        task.createdAt = Timestamp(rfc3339: "\(day)T\(time):00Z")
      }
      task.description = body.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !($0.hasPrefix("<!-- SECTION:") && $0.hasSuffix("-->")) }
        .joined(separator: "\n").trimmingSpaces()
      task.dropped += fields.keys.filter { !known.contains($0) }.sorted()
      task.fitTitle()
      tasks.append(task)
    }
    return tasks
  }

  /// The front matter's fields (each a list of values; a scalar is a list of one) and the
  /// body after it; `nil` when the text does not start with `---`.
  static func frontMatter(
    _ text: String, name: String
  ) throws(TackError)
    -> (fields: [String: [String]], body: String)?
  {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
    guard lines.first == "---" else { return nil }
    guard let end = lines.dropFirst().firstIndex(of: "---") else {
      throw .invalidInput("\(name): the front matter has no closing ---.")
    }
    var fields: [String: [String]] = [:]
    var current: String?
    for line in lines[1..<end] {
      let trimmed = line.trimmingSpaces()
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      if trimmed.hasPrefix("- "), let key = current, line.first == " " || line.first == "-" {
        fields[key, default: []].append(unquote(String(trimmed.dropFirst(2))))
        continue
      }
      guard let colon = line.firstIndex(of: ":"), line.first != " " else {
        throw .invalidInput("\(name): cannot read front matter line \"\(line.prefix(60))\".")
      }
      let key = String(line[..<colon]).trimmingSpaces()
      let value = String(line[line.index(after: colon)...]).trimmingSpaces()
      current = key
      if value.hasPrefix("["), value.hasSuffix("]") {
        fields[key] = value.dropFirst().dropLast().split(separator: ",").map {
          unquote(String($0).trimmingSpaces())
        }.filter { !$0.isEmpty }
      } else {
        fields[key] = value.isEmpty ? [] : [unquote(value)]
      }
    }
    return (fields, lines[(end + 1)...].joined(separator: "\n"))
  }

  static func unquote(_ text: String) -> String {
    for quote in ["'", "\""] where text.count >= 2 && text.hasPrefix(quote) && text.hasSuffix(quote)
    {
      return String(text.dropFirst().dropLast())
    }
    return text
  }
}

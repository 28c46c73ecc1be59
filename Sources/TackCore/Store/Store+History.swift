import TackGit

/// One commit in a task's life, as `tack log` shows it.
public struct HistoryEntry: Sendable {
  public var commit: String
  public var at: Timestamp
  public var authorName: String
  public var authorEmail: String
  /// `Tack-Actor` of the commit (`person:...`, `agent:...`), or `nil` for a plain git commit.
  public var actor: String?
  /// `Tack-Action` of the commit, or `nil` for a plain git commit (a hand edit).
  public var action: String?
  /// The task's status after this commit (`nil` when the file was deleted or does not parse).
  public var status: String?
  public var subject: String
  /// What changed in the file, field by field (`status: todo → working`, `note: <text>`,
  /// `labels +a -b`, ...).
  public var changes: [String]

  public var json: JSONValue {
    .object([
      "commit": .string(commit), "at": .string(at.description),
      "author": .object(["name": .string(authorName), "email": .string(authorEmail)]),
      "actor": JSONValue(actor), "action": JSONValue(action), "status": JSONValue(status),
      "subject": .string(subject), "changes": .array(changes.map { .string($0) }),
    ])
  }
}

extension Store {
  /// The commits that changed the task's file, newest first.
  public func history(_ idText: String, limit: Int? = nil) throws(TackError) -> [HistoryEntry] {
    let view = try view()
    _ = try view.config()
    let id = try view.resolve(idText)
    guard let (_, path) = try view.locate(id), let tip = view.commit else {
      throw .taskNotFound(idText)
    }
    do {
      let index = HistoryIndexKey(branch: branch, folder: Self.boardsFolder)
      return try repository.history(of: path, from: tip, limit: limit, index: index).map {
        (change) throws(GitError) in
        let after = try change.blob.map { (blob) throws(GitError) in try repository.blob(blob) }
        let before = try change.previousBlob.map { (blob) throws(GitError) in
          try repository.blob(blob)
        }
        let afterValue = after.flatMap { try? JSONValue.parse($0) }
        return HistoryEntry(
          commit: change.commit.hex,
          at: Timestamp(milliseconds: (change.author.time ?? 0) * 1000),
          authorName: change.author.name, authorEmail: change.author.email,
          actor: CommitMessage.trailer("Tack-Actor", in: change.message),
          action: CommitMessage.trailer("Tack-Action", in: change.message),
          status: afterValue?["status"]?.stringValue,
          subject: String(change.message.prefix { $0 != "\n" }),
          changes: Self.fieldChanges(before: before, after: after))
      }
    } catch { throw TackError(error) }
  }

  /// `text` on one line of at most `limit` characters: its first line, `…` when cut.
  static func oneLine(_ text: String, _ limit: Int) -> String {
    let first = text.prefix { $0 != "\n" }
    let clipped = CommitMessage.clip(String(first), limit)
    return clipped.count < text.count && !clipped.hasSuffix("…") ? clipped + " …" : clipped
  }

  /// A short account of what differs between two versions of a task file: fields with
  /// their old and new values (cut to one short line), each added note's text, `created`.
  static func fieldChanges(before: [UInt8]?, after: [UInt8]?) -> [String] {
    guard let after else { return ["deleted"] }
    guard case .object(let new)? = try? JSONValue.parse(after) else {
      return ["file does not parse"]
    }
    guard let before else { return ["created"] }
    guard case .object(let old)? = try? JSONValue.parse(before) else {
      return ["repaired (the previous version did not parse)"]
    }
    var changes: [String] = []
    for key in Set(old.keys).union(new.keys).sorted() where key != "updatedAt" {
      let was = old[key] ?? .null
      let now = new[key] ?? .null
      guard was != now else { continue }
      switch (key, was, now) {
      case ("notes", .array(let a), .array(let b))
      where b.count > a.count && Array(b.prefix(a.count)) == a:
        for note in b.dropFirst(a.count) {
          changes.append("note: " + Self.oneLine(note["text"]?.stringValue ?? "", 100))
        }
      case ("description", _, _):
        changes.append("description")
      case (_, .string(let a), .string(let b)):
        changes.append("\(key): \(Self.oneLine(a, 40)) → \(Self.oneLine(b, 40))")
      case (_, .null, .string(let b)):
        changes.append("\(key): → \(Self.oneLine(b, 40))")
      case (_, .string(let a), .null):
        changes.append("\(key): \(Self.oneLine(a, 40)) →")
      case ("labels", .array(let a), .array(let b)):
        let added = b.filter { !a.contains($0) }.compactMap(\.stringValue)
        let removed = a.filter { !b.contains($0) }.compactMap(\.stringValue)
        changes.append(
          "labels" + added.map { " +\($0)" }.joined() + removed.map { " -\($0)" }.joined())
      default:
        changes.append(key)
      }
    }
    return changes
  }
}

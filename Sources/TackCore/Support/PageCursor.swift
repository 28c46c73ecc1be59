/// Opaque cursors for paged lists: a position in a list's stable order (never an offset, so
/// a task that leaves the filter between pages shifts nothing), bound to the list it came
/// from, with a check that refuses a cursor this code did not make.
public enum PageCursor {
  /// The cursor that resumes `list` after `key`.
  public static func make(list: String, after key: String) -> String {
    let payload = Array("\(list)\u{0}\(key)".utf8)
    return "c1" + hex(payload) + hex32(check(payload))
  }

  /// The key a cursor resumes after, or `nil` for one this code did not make for `list`.
  public static func key(_ cursor: String, list: String) -> String? {
    let text = Array(cursor.utf8)
    guard text.count > 10, text.count <= 4096, cursor.hasPrefix("c1"), text.count % 2 == 0,
      let bytes = unhex(text[2...])
    else { return nil }
    let payload = Array(bytes.dropLast(4))
    let given = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    guard given == check(payload), let text = String(validating: payload, as: UTF8.self)
    else { return nil }
    let parts = text.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0] == list else { return nil }
    return String(parts[1])
  }

  /// A list's name bound to the query that selects it (filters), so a cursor from one query
  /// is refused by another.
  public static func list(_ name: String, query: String) -> String {
    "\(name)#\(hex32(check(Array(query.utf8))))"
  }

  /// One page of `items` in their stable order by `key` (unique, ascending): those after
  /// the cursor's key, at most `limit`, and the cursor for the next page when more follow.
  public static func page<T>(
    _ items: [T], key: (T) -> String, list: String, cursor: String?, limit: Int
  ) -> (page: ArraySlice<T>, next: String?)? {
    var start = items.startIndex
    if let cursor {
      guard let after = Self.key(cursor, list: list) else { return nil }
      start = items.firstIndex { key($0) > after } ?? items.endIndex
    }
    let page = items[start...].prefix(limit)
    let next =
      page.endIndex < items.endIndex ? page.last.map { make(list: list, after: key($0)) } : nil
    return (page, next)
  }

  /// FNV-1a over the payload and a fixed salt: not a secret, a guard against garbage.
  private static func check(_ bytes: [UInt8]) -> UInt32 {
    var hash: UInt32 = 0x811c_9dc5
    for byte in Array("tack-cursor".utf8) + bytes {
      hash = (hash ^ UInt32(byte)) &* 0x0100_0193
    }
    return hash
  }

  private static let digits = Array("0123456789abcdef".utf8)

  private static func hex(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func hex32(_ value: UInt32) -> String {
    hex([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
  }

  private static func unhex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
    var out: [UInt8] = []
    var high: UInt8?
    for char in text {
      guard let nibble = digits.firstIndex(of: char).map(UInt8.init) else { return nil }
      if let h = high {
        out.append(h << 4 | nibble)
        high = nil
      } else {
        high = nibble
      }
    }
    return out
  }
}

/// A task's place in the order lists use (oldest first, ties by id), as a cursor key.
public struct ListPosition: Sendable, Comparable {
  let createdAt: Int64
  let id: TaskID

  public init(_ summary: TaskSummary) {
    createdAt = summary.createdAt.milliseconds
    id = summary.taskId
  }

  init?(key: String) {
    let parts = key.split(separator: " ")
    guard parts.count == 2, let milliseconds = Int64(parts[0]),
      let id = TaskID(String(parts[1]))
    else { return nil }
    createdAt = milliseconds
    self.id = id
  }

  public var key: String { "\(createdAt) \(id.rawValue)" }

  public static func < (a: ListPosition, b: ListPosition) -> Bool {
    let (x, y) = (a.id.orderKey, b.id.orderKey)
    return (a.createdAt, x.0, x.1, x.2, x.3) < (b.createdAt, y.0, y.1, y.2, y.3)
  }

  public static func == (a: ListPosition, b: ListPosition) -> Bool {
    a.createdAt == b.createdAt && a.id == b.id
  }

  /// One page of `tasks` (in list order): those after the cursor's position, at most
  /// `limit`, and the cursor for the next page when more follow. A cursor this code did not
  /// make for `list` is refused.
  public static func page(
    _ tasks: [TaskSummary], list: String, cursor: String?, limit: Int
  ) throws(TackError) -> (page: ArraySlice<TaskSummary>, next: String?) {
    var start = tasks.startIndex
    if let cursor {
      guard let key = PageCursor.key(cursor, list: list), let after = ListPosition(key: key)
      else {
        throw .invalidInput(
          "cursor is not one this server gave for this list: pass the nextCursor of an earlier call with the same filters, or leave cursor out for the first page."
        )
      }
      start = tasks.firstIndex { ListPosition($0) > after } ?? tasks.endIndex
    }
    let page = tasks[start...].prefix(limit)
    let next =
      page.endIndex < tasks.endIndex
      ? page.last.map { PageCursor.make(list: list, after: ListPosition($0).key) } : nil
    return (page, next)
  }
}

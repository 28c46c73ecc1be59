import TackGit

/// What a list learned about one version of one board's tasks folder, so that the next list
/// of the same version reads one table instead of walking a thousand trees: the blob of each
/// task file that reads as a task in its right place, with where the read index holds its
/// record, and the path and blob of every file that does not (reported again on each list).
///
/// Keyed by the tasks tree's id, a table describes exactly that tree, whoever committed it;
/// a new version of the board gets a new table. Scope and filters are applied when it is
/// read, never stored. Where a record is (`hint`) is checked on use against the record's own
/// tag and blob id: a read index rewritten since only sends the read the slow way.
struct BoardTable {
  struct Task {
    var blob: OID
    /// Offset of the blob's record in the read index file; 0 when not known.
    var hint: UInt32
  }

  var board: String
  var tree: OID
  var tasks: [Task] = []
  var problems: [(path: String, blob: OID)] = []

  /// Bump when what a table holds changes.
  static let format = "board-tables 1 (tack \(TackVersion.current))"

  func write(to writer: inout ByteWriter) {
    writer.string(board)
    writer.oid(tree)
    writer.uint32(UInt32(tasks.count))
    for task in tasks {
      writer.oid(task.blob)
      writer.uint32(task.hint)
    }
    writer.uint32(UInt32(problems.count))
    for problem in problems {
      writer.string(problem.path)
      writer.oid(problem.blob)
    }
  }

  /// `nil` when the bytes are not a whole table.
  init?(from reader: inout ByteReader) {
    guard let board = reader.string(), let tree = reader.oid(), let count = reader.uint32(),
      count <= reader.remaining / 24
    else { return nil }
    self.board = board
    self.tree = tree
    tasks.reserveCapacity(Int(count))
    for _ in 0..<count {
      guard let blob = reader.oid(), let hint = reader.uint32() else { return nil }
      tasks.append(Task(blob: blob, hint: hint))
    }
    guard let problemCount = reader.uint32(), problemCount <= reader.remaining / 24 else {
      return nil
    }
    for _ in 0..<problemCount {
      guard let path = reader.string(), let blob = reader.oid() else { return nil }
      problems.append((path, blob))
    }
  }

  init(board: String, tree: OID) {
    self.board = board
    self.tree = tree
  }
}

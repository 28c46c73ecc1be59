import TackGit

/// The read index: what lists need of every task file, kept in the git directory
/// (`tack/read-index`) and keyed by git object ids — tree id → its entries, blob id → the
/// parsed task's summary. A list walks the board's tasks tree through it and reads from git
/// only the trees and blobs it has not seen (after a write: one blob and the two shard trees
/// above it), so it cannot return stale data, whoever made the commit (tack, plain git, a
/// merge): a changed file is a new blob id.
final class ReadIndex {
  /// Bump when what a record holds, or how a task file is read, changes.
  static let format = "read-index 2 (tack \(TackVersion.current))"

  private let repository: Repository
  private let file: CacheFile?
  private var mapped = false
  private var loaded = false
  private var trees: [OID: TreeRecord] = [:]
  private var records: [OID: Record] = [:]
  /// The file as loaded (mapped): records point into it. Loading only notes where each
  /// record is; one is decoded when first asked for (resolving a short id walks the trees
  /// and never decodes a task).
  private var stored = Bytes(copying: [])
  private var storedChunkRanges: [Range<Int>] = []
  private var storedTrees: [OID: Int] = [:]
  private var storedRecords: [OID: Int] = [:]
  /// Records read from the file, and whether its tail was damaged (then it is rewritten).
  private var storedCount = 0
  private var storedChunks = 0
  private var damaged = false
  /// How many records this process asked for (each marks itself `reached`): the live part
  /// of the file when a list walked every board.
  private var reachedCount = 0
  /// Records this object computed from git (not read from the file): in a long-lived process
  /// (the MCP server, `board --watch`) each write adds new versions, so the store starts a
  /// fresh index past `maximumComputed` rather than keep every old version in memory.
  private(set) var computedCount = 0
  var maximumComputed = 4096
  /// What this process computed and has not written yet, and where each task record is in
  /// it (for the board tables' hints).
  private var pending = ByteWriter()
  private var pendingCount = 0
  private var pendingRecords: [OID: Int] = [:]
  /// Where the task records this process appended are in the file (past what it mapped).
  private var appendedRecords: [OID: Int] = [:]
  /// The board tables (`tack/board-tables`): read once, rewritten when a list made or
  /// corrected one. A process that listed from a table did not mark what the table covers
  /// as reached, so it never compacts the read index.
  private let tableFile: CacheFile?
  private var tablesRead = false
  private var tables: [String: BoardTable] = [:]
  private var changedTables: Set<String> = []
  /// Boards whose tables had a hint that missed: every hint is set again at `save` (else
  /// only the unknown ones).
  private var staleTables: Set<String> = []
  private(set) var servedFromTables = false
  /// Boards parsed in this process, by the id of their `board.json`: every write checks its
  /// move against the board's rules, and the file rarely changes. Not saved.
  private var boards: [OID: Board] = [:]

  /// The board `name` whose `board.json` is the blob `id`, parsed by `parse` unless this
  /// process already did.
  func board(
    blob id: OID, name: String, parse: () throws(TackError) -> Board
  ) throws(TackError) -> Board {
    if let board = boards[id], board.name == name { return board }
    let board = try parse()
    if boards.count >= 64 { boards.removeAll() }
    boards[id] = board
    return board
  }

  /// A class, so that handing a record out retains one object, not each of its strings.
  final class Record {
    /// The task's summary, or why the file does not parse (without the path, which the
    /// index does not know).
    let content: Result<TaskSummary, Failure>
    var reached = false

    init(_ content: Result<TaskSummary, Failure>) { self.content = content }
  }

  final class TreeRecord {
    let entries: [Tree.Entry]
    var reached = false

    init(_ entries: [Tree.Entry]) { self.entries = entries }
  }

  struct Failure: Error { var reason: String }

  init(repository: Repository) {
    self.repository = repository
    file = repository.cacheDirectory.map { CacheFile(path: $0 + "read-index", format: Self.format) }
    tableFile = repository.cacheDirectory.map {
      CacheFile(path: $0 + "board-tables", format: BoardTable.format)
    }
  }

  /// Every blob below the tree `id`, with paths under `prefix`, depth first in tree order.
  func blobs(under id: OID, prefix: String) throws(GitError) -> [(path: String, id: OID)] {
    load()
    var found: [(path: String, id: OID)] = []
    try collect(id, prefix: prefix, into: &found)
    return found
  }

  private func collect(
    _ id: OID, prefix: String, into found: inout [(path: String, id: OID)]
  ) throws(GitError) {
    let tree = try treeRecord(id)
    if !tree.reached {
      tree.reached = true
      reachedCount += 1
    }
    for entry in tree.entries {
      switch entry.kind {
      case .blob: found.append((prefix + entry.name, entry.id))
      case .tree: try collect(entry.id, prefix: prefix + entry.name + "/", into: &found)
      case .other: continue
      }
    }
  }

  /// The entries of tree `id`, read from git on first sight. Without `fromFile` (a few
  /// trees wanted, not a walk), the file's records are not looked at unless already loaded:
  /// building its dictionary costs more than reading a few trees from git.
  private func treeRecord(_ id: OID, fromFile: Bool = true) throws(GitError) -> TreeRecord {
    if fromFile { load() }
    if let known = trees[id] ?? (loaded ? decodeTree(id) : nil) { return known }
    let tree = TreeRecord(try repository.treeEntries(id))
    trees[id] = tree
    Self.write(tree: tree.entries, id: id, to: &pending)
    pendingCount += 1
    computedCount += 1
    return tree
  }

  /// The blobs that changed from tree `old` to tree `new` (paths under `prefix`): what is
  /// gone and what is new, a changed file being both. Trees with the same id are skipped
  /// whole, so after one write this reads the few trees above the file.
  func changes(
    from old: OID, to new: OID, prefix: String
  ) throws(GitError) -> (removed: [(path: String, id: OID)], added: [(path: String, id: OID)]) {
    var removed: [(path: String, id: OID)] = []
    var added: [(path: String, id: OID)] = []
    func everything(
      _ entry: Tree.Entry, _ prefix: String, _ into: inout [(path: String, id: OID)]
    )
      throws(GitError)
    {
      switch entry.kind {
      case .blob: into.append((prefix + entry.name, entry.id))
      case .tree:
        for inner in try treeRecord(entry.id, fromFile: false).entries {
          try everything(inner, prefix + entry.name + "/", &into)
        }
      case .other: break
      }
    }
    func compare(_ old: OID, _ new: OID, _ prefix: String) throws(GitError) {
      guard old != new else { return }
      var before: [String: Tree.Entry] = [:]
      for entry in try treeRecord(old, fromFile: false).entries { before[entry.name] = entry }
      for entry in try treeRecord(new, fromFile: false).entries {
        guard let previous = before.removeValue(forKey: entry.name) else {
          try everything(entry, prefix, &added)
          continue
        }
        if previous.id == entry.id && previous.kind == entry.kind { continue }
        if previous.kind == .tree && entry.kind == .tree {
          try compare(previous.id, entry.id, prefix + entry.name + "/")
        } else {
          try everything(previous, prefix, &removed)
          try everything(entry, prefix, &added)
        }
      }
      for previous in before.values { try everything(previous, prefix, &removed) }
    }
    try compare(old, new, prefix)
    return (removed, added)
  }

  /// Whether the next save should rewrite the file (damaged, or too many chunks): lists then
  /// walk every board, so that the rewrite knows everything that is live.
  var rewriteDue: Bool {
    map()
    return damaged || storedChunks >= Self.maximumChunks
  }

  /// The record of the task file with blob `id`, parsing it on first sight. Without
  /// `fromFile`, as for trees above: a blob new since the last list is in no file anyway.
  func record(_ id: OID, fromFile: Bool = true) throws(GitError) -> Record {
    if fromFile { load() }
    if let known = records[id] ?? (loaded ? decodeRecord(id) : nil) {
      if !known.reached {
        known.reached = true
        reachedCount += 1
      }
      return known
    }
    let bytes = try repository.blob(id)
    let record: Record
    do {
      record = Record(.success(TaskSummary(try BoardTask(fileContents: bytes, path: ""))))
    } catch {
      record = Record(.failure(Failure(reason: error.reason)))
    }
    record.reached = true
    reachedCount += 1
    records[id] = record
    pendingRecords[id] = pending.bytes.count
    Self.write(record, id: id, to: &pending)
    pendingCount += 1
    computedCount += 1
    return record
  }

  /// Writes what this process learned: appended as one chunk, or — when the file has grown
  /// well past what is live (old versions of tasks) or was damaged — rewritten with only what
  /// this process reached. `complete` says it reached every board (else the rewrite would
  /// drop the boards it did not list). Then the board tables it made or corrected, with
  /// where their records now are.
  func save(complete: Bool) {
    var written: [OID: Int] = [:]
    var rewritten = false
    defer {
      saveTables(written: written, rewritten: rewritten)
      pending = ByteWriter()
      pendingCount = 0
      pendingRecords = [:]
    }
    guard let file, pendingCount > 0 || damaged else { return }
    // Each process appends at most a chunk per list, so past `maximumChunks` the file holds
    // many old versions of busy tasks: rewriting it costs one pass over what is live, rarely.
    let live = reachedCount
    if complete, loaded, !servedFromTables,
      damaged || storedCount + pendingCount > 2 * live + 1000
        || storedChunks >= Self.maximumChunks
    {
      var writer = ByteWriter()
      var positions: [OID: Int] = [:]
      for (id, tree) in trees where tree.reached {
        Self.write(tree: tree.entries, id: id, to: &writer)
      }
      for (id, record) in records where record.reached {
        positions[id] = writer.bytes.count
        Self.write(record, id: id, to: &writer)
      }
      guard let start = try? file.replace(with: [writer.bytes])[0] else { return }
      written = positions.mapValues { start + $0 }
      rewritten = true
      // Offsets into the old file mean nothing now: the next read maps the new one.
      (mapped, loaded, damaged) = (false, false, false)
      (storedTrees, storedRecords, appendedRecords) = ([:], [:], [:])
      (storedCount, storedChunks, storedChunkRanges) = (0, 0, [])
      return
    }
    if damaged { return }
    guard let start = try? file.append(pending.bytes) else { return }
    written = pendingRecords.mapValues { start + $0 }
    appendedRecords.merge(written) { $1 }
    storedCount += pendingCount
    storedChunks += 1
  }

  static let maximumChunks = 64

  // MARK: Board tables

  /// The latest table a list made of `board`, whatever tree it was for.
  func table(board: String) -> BoardTable? {
    readTables()
    return tables[board]
  }

  /// Keeps `table` for the next list: written at `save`, with where its records are by then.
  func remember(_ table: BoardTable) {
    readTables()
    tables[table.board] = table
    changedTables.insert(table.board)
  }

  /// The record of task file blob `id`, read at `hint` in the mapped file when it is there;
  /// else the slow way, and `board`'s table gets its hints corrected at `save`.
  func record(_ id: OID, hint: UInt32, board: String) throws(GitError) -> Record {
    map()
    if hint > 0, let record = hinted(id, at: Int(hint)) {
      servedFromTables = true
      return record
    }
    // A hint past what this process mapped, at a record it appended itself, is right.
    if hint == 0 {
      changedTables.insert(board)
    } else if appendedRecords[id] != Int(hint) {
      changedTables.insert(board)
      staleTables.insert(board)
    }
    // One this process computed (a file new since the table) needs no look at the file.
    return try record(id, fromFile: records[id] == nil)
  }

  /// Whether the task record at `hint` (a board table's place for blob `id`) has one of
  /// `statuses`, read in place without making a string: a list filtered by status passes
  /// over the tasks it leaves out without decoding them (half of a 100k board's records).
  /// `nil` when no task record of `id` is there: the caller reads it the usual way.
  func hintedStatus(_ id: OID, hint: UInt32, isIn statuses: [[UInt8]]) -> Bool? {
    map()
    guard hint > 0, inWholeChunk(Int(hint)) else { return nil }
    var reader = ByteReader(stored, from: Int(hint))
    // The tag, the blob id, then the task id, board and title before the status.
    guard reader.uint8() == Tag.task.rawValue, reader.oid() == id, reader.data() != nil,
      reader.data() != nil, reader.data() != nil, let status = reader.data()
    else { return nil }
    servedFromTables = true
    let bytes = UnsafeRawBufferPointer(rebasing: stored.buffer[status])
    return statuses.contains { $0.elementsEqual(bytes) }
  }

  /// The id of the task whose file is blob `id`, reading only the id at `hint` when the
  /// record is there (short ids need every id, not every summary); `nil` when the file is
  /// not a task.
  func taskID(_ id: OID, hint: UInt32, board: String) throws(GitError) -> TaskID? {
    map()
    if hint > 0, inWholeChunk(Int(hint)) {
      var reader = ByteReader(stored, from: Int(hint))
      if reader.uint8() == Tag.task.rawValue, reader.oid() == id, let text = reader.string(),
        text.utf8.count == 31
      {
        servedFromTables = true
        return TaskID(checked: text)
      }
    }
    guard case .success(let summary) = try record(id, hint: 0, board: board).content else {
      return nil
    }
    return summary.taskId
  }

  /// The record at `offset`, if it lies in a whole chunk of the mapped file and is blob
  /// `id`'s (its tag and id are checked, so a stale offset is only a miss).
  private func hinted(_ id: OID, at offset: Int) -> Record? {
    inWholeChunk(offset) ? decodeRecord(id, at: offset) : nil
  }

  /// Whether a record's tag and id at `offset` lie in one checked chunk.
  private func inWholeChunk(_ offset: Int) -> Bool {
    let chunks = storedChunkRanges
    var (low, high) = (0, chunks.count)
    while low < high {
      let middle = (low + high) / 2
      if chunks[middle].upperBound <= offset { low = middle + 1 } else { high = middle }
    }
    return low < chunks.count && chunks[low].contains(offset)
      && offset + 21 <= chunks[low].upperBound
  }

  private func readTables() {
    guard !tablesRead, let tableFile else { return }
    tablesRead = true
    // One chunk, replaced whole; a damaged file is as good as none.
    let (bytes, chunks, _) = tableFile.read()
    guard chunks.count == 1 else { return }
    var reader = ByteReader(bytes, from: chunks[0].lowerBound, to: chunks[0].upperBound)
    while !reader.isAtEnd {
      guard let table = BoardTable(from: &reader) else { return }
      tables[table.board] = table
    }
  }

  /// Rewrites the tables file when a list made or corrected a table, or the read index was
  /// rewritten (every hint moved): hints point where the records are now.
  private func saveTables(written: [OID: Int], rewritten: Bool) {
    guard let tableFile, tablesRead, rewritten || !changedTables.isEmpty else { return }
    for board in tables.keys where rewritten || changedTables.contains(board) {
      guard var table = tables[board] else { continue }
      let every = rewritten || staleTables.contains(board)
      for index in table.tasks.indices where every || table.tasks[index].hint == 0 {
        let blob = table.tasks[index].blob
        var offset = written[blob] ?? (rewritten ? nil : appendedRecords[blob])
        if offset == nil, !rewritten {
          load()  // a record that was in the file already
          offset = storedRecords[blob]
        }
        table.tasks[index].hint = offset.flatMap { UInt32(exactly: $0) } ?? 0
      }
      tables[board] = table
    }
    var writer = ByteWriter()
    for board in tables.keys.sorted() { tables[board]?.write(to: &writer) }
    _ = try? tableFile.replace(with: [writer.bytes])
    changedTables = []
    staleTables = []
  }

  private enum Tag: UInt8 { case tree = 1, task = 2, broken = 3 }

  private static func write(tree entries: [Tree.Entry], id: OID, to writer: inout ByteWriter) {
    writer.uint8(Tag.tree.rawValue)
    writer.oid(id)
    writer.uint32(UInt32(entries.count))
    for entry in entries {
      writer.uint8(entry.kind == .tree ? 1 : entry.kind == .blob ? 0 : 2)
      writer.oid(entry.id)
      writer.string(entry.name)
    }
  }

  private static func write(_ record: Record, id: OID, to writer: inout ByteWriter) {
    switch record.content {
    case .failure(let failure):
      writer.uint8(Tag.broken.rawValue)
      writer.oid(id)
      writer.string(failure.reason)
    case .success(let task):
      writer.uint8(Tag.task.rawValue)
      writer.oid(id)
      writer.string(task.taskId.rawValue)
      writer.string(task.board)
      writer.string(task.title)
      writer.string(task.status)
      writer.uint32(UInt32(task.labels.count))
      for label in task.labels { writer.string(label) }
      writer.uint8(task.assignee == nil ? 0 : 1)
      writer.string(task.assignee ?? "")
      writer.uint8(task.leaseExpiresAt == nil ? 0 : 1)
      writer.int64(task.leaseExpiresAt?.milliseconds ?? 0)
      writer.int64(task.createdAt.milliseconds)
      writer.int64(task.updatedAt.milliseconds)
      task.withJSON { writer.data($0) }
    }
  }

  /// Maps the file once per process (its chunks checked whole).
  private func map() {
    guard !mapped, let file else { return }
    mapped = true
    let (bytes, chunks, torn) = file.read()
    stored = bytes
    damaged = torn
    storedChunks = chunks.count
    storedChunkRanges = chunks
  }

  /// Notes where each record of the mapped file is; a record that does not read ends the
  /// loading (the rest is computed again) and marks the file for rewriting.
  private func load() {
    guard !loaded, file != nil else { return }
    loaded = true
    map()
    let chunks = storedChunkRanges
    // About one record per 600 bytes (a task's JSON dominates); growing a dictionary of
    // thousands step by step costs more than reading it.
    let size = chunks.reduce(0) { $0 + $1.count }
    storedRecords.reserveCapacity(size / 600)
    storedTrees.reserveCapacity(size / 6000)
    for chunk in chunks {
      var reader = ByteReader(stored, from: chunk.lowerBound, to: chunk.upperBound)
      while !reader.isAtEnd {
        let start = reader.offset
        guard let (tag, id) = Self.skipRecord(&reader) else {
          damaged = true
          return
        }
        if tag == .tree { storedTrees[id] = start } else { storedRecords[id] = start }
        storedCount += 1
      }
    }
  }

  /// Steps over one record, checking only that its parts are there.
  private static func skipRecord(_ reader: inout ByteReader) -> (Tag, OID)? {
    guard let tag = reader.uint8().flatMap(Tag.init(rawValue:)), let id = reader.oid() else {
      return nil
    }
    switch tag {
    case .tree:
      guard let count = reader.uint32() else { return nil }
      for _ in 0..<count {
        guard reader.uint8() != nil, reader.range(20) != nil, reader.data() != nil else {
          return nil
        }
      }
    case .broken:
      guard reader.data() != nil else { return nil }
    case .task:
      for _ in 0..<4 { guard reader.data() != nil else { return nil } }
      guard let labels = reader.uint32() else { return nil }
      for _ in 0..<labels { guard reader.data() != nil else { return nil } }
      // Assignee, lease (flag and end), created and updated, the JSON.
      guard reader.uint8() != nil, reader.data() != nil, reader.range(9) != nil,
        reader.range(16) != nil, reader.data() != nil
      else { return nil }
    }
    return (tag, id)
  }

  private func decodeTree(_ id: OID) -> TreeRecord? {
    guard let offset = storedTrees[id] else { return nil }
    var reader = ByteReader(stored, from: offset)
    guard reader.uint8() == Tag.tree.rawValue, reader.oid() == id, let count = reader.uint32()
    else { return nil }
    var entries: [Tree.Entry] = []
    entries.reserveCapacity(Int(count))
    for _ in 0..<count {
      guard let kind = reader.uint8(), let entryID = reader.oid(), let name = reader.string()
      else { return nil }
      entries.append(
        Tree.Entry(name: name, id: entryID, kind: kind == 1 ? .tree : kind == 0 ? .blob : .other))
    }
    let tree = TreeRecord(entries)
    trees[id] = tree
    return tree
  }

  private func decodeRecord(_ id: OID) -> Record? {
    guard let offset = storedRecords[id], let record = decodeRecord(id, at: offset) else {
      return nil
    }
    records[id] = record
    return record
  }

  /// The record at `offset` of the mapped file, if the record there is blob `id`'s.
  private func decodeRecord(_ id: OID, at offset: Int) -> Record? {
    var reader = ByteReader(stored, from: offset)
    guard let tag = reader.uint8().flatMap(Tag.init(rawValue:)), reader.oid() == id else {
      return nil
    }
    let record: Record
    switch tag {
    case .tree: return nil
    case .broken:
      guard let reason = reader.string() else { return nil }
      record = Record(.failure(Failure(reason: reason)))
    case .task:
      guard let idText = reader.string(), idText.utf8.count == 31,
        let board = reader.string(), let title = reader.string(), let status = reader.string(),
        let labelCount = reader.uint32()
      else { return nil }
      var labels: [String] = []
      for _ in 0..<labelCount {
        guard let label = reader.string() else { return nil }
        labels.append(label)
      }
      guard let hasAssignee = reader.uint8(), let assignee = reader.string(),
        let hasLease = reader.uint8(), let leaseEnd = reader.int64(),
        let created = reader.int64(), let updated = reader.int64(), let json = reader.data()
      else { return nil }
      record = Record(
        .success(
          TaskSummary(
            taskId: TaskID(checked: idText), board: board, title: title, status: status,
            labels: labels, assignee: hasAssignee == 1 ? assignee : nil,
            leaseExpiresAt: hasLease == 1 ? Timestamp(milliseconds: leaseEnd) : nil,
            createdAt: Timestamp(milliseconds: created),
            updatedAt: Timestamp(milliseconds: updated), json: (stored, json))))
    }
    return record
  }
}

import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract:
      "Add tasks from JSON lines: exported tasks (ids kept) or {\"title\", \"board\"?, \"status\"?, \"labels\"?, \"description\"?}.",
    discussion: """
      Every line is checked before anything is written; each batch is one commit, and a \
      batch with a bad line or an id that exists already writes nothing.
      """)
  @OptionGroup var global: GlobalOptions
  @Argument(
    help: "A file of JSON lines, or - for standard input (with --from backlog: a folder).")
  var file: String
  @Option(help: "Tasks per commit.") var batch: Int = 1000
  @Option(
    help: ArgumentHelp(
      "Read another tool's export: taskwarrior (task export), beads (issues.jsonl), github (gh issue list --json number,title,body,state,labels,assignees,createdAt,comments), backlog (a Backlog.md folder). One commit; importing again updates.",
      valueName: "tool"))
  var from: String?
  @Option(
    help: ArgumentHelp("With --from: the board (default: the default board).", valueName: "name"),
    completion: .boardNames)
  var board: String?

  func run() throws {
    if let from { return try importForeign(from) }
    try running { () throws(TackError) in
      guard (1...100_000).contains(batch) else {
        throw .invalidInput("--batch must be 1 to 100000.")
      }
      let access = try global.open()
      let bytes = try InputFile.read(file)
      var items: [Store.ImportItem] = []
      var lineNumber = 0
      for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        lineNumber += 1
        if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
        items.append(try Store.ImportItem(json: Array(line), line: lineNumber))
      }
      var imported = 0
      for start in stride(from: 0, to: items.count, by: batch) {
        let done = try access.importTasks(Array(items[start..<min(start + batch, items.count)]))
        imported += done.count
        if global.json { for task in done { Console.line(task.json) } }
      }
      if !global.json { Console.info("Imported \(imported) task\(imported == 1 ? "" : "s").") }
    }
  }
}

extension Import {
  func importForeign(_ name: String) throws {
    try running(global) { () throws(TackError) in
      guard let format = ForeignFormat(rawValue: name) else {
        throw .invalidInput(
          "--from \(name): Tack reads \(ForeignFormat.allCases.map(\.rawValue).joined(separator: ", "))."
        )
      }
      let tasks =
        format == .backlog
        ? try BacklogFormat.read(files: try BacklogFolder.files(file))
        : try format.read(try InputFile.read(file))
      let report = try global.open().importForeign(tasks, board: board)
      if global.json {
        Console.json([
          "created": .array(report.created.map { .string($0.taskId.rawValue) }),
          "updated": .array(report.updated.map { .string($0.taskId.rawValue) }),
          "unchanged": .int(Int64(report.unchanged)),
          "dropped": .object(report.dropped.mapValues { .int(Int64($0)) }),
        ])
        return
      }
      Console.out(
        "Imported \(tasks.count) task\(tasks.count == 1 ? "" : "s") from \(name): \(report.created.count) new, \(report.updated.count) updated, \(report.unchanged) unchanged."
      )
      Console.out("Mapped: \(format.mapping)")
      for (phrase, count) in report.dropped.sorted(by: { $0.key < $1.key }) {
        Console.out("Dropped: \(phrase) (\(count) task\(count == 1 ? "" : "s"))")
      }
    }
  }
}

extension ForeignFormat {
  /// What becomes what, for the import's summary.
  var mapping: String {
    switch self {
    case .taskwarrior:
      "description → title, status (pending → initial, started → working, completed, deleted → cancelled), priority H/M/L → 1/2/3, due, tags and project → labels, annotations → notes, depends → dependencies, uuid → source."
    case .beads:
      "title, description, status (open/blocked → initial, in_progress → working, closed → completed), priority, issue_type and labels → labels, assignee, blocks dependencies, comments → notes, id → source."
    case .github:
      "title, body → description, state (OPEN → initial, CLOSED → completed), labels, first assignee, comments → notes, number → source."
    case .backlog:
      "title, body → description, status (To Do → initial, In Progress → working, Done → completed), priority high/medium/low → 1/2/3, labels, first assignee, dependencies, id → source."
    }
  }
}

/// The markdown files of a Backlog.md folder: `backlog/tasks` and `backlog/completed` (or
/// `tasks` and `completed` of the folder given, or the folder itself).
enum BacklogFolder {
  static func files(_ path: String) throws(TackError) -> [(name: String, bytes: [UInt8])] {
    var root = path
    if isFolder(path + "/backlog") { root = path + "/backlog" }
    let folders = BacklogFormat.taskFolders.map { root + "/" + $0 }.filter(isFolder)
    var files: [(name: String, bytes: [UInt8])] = []
    for folder in folders.isEmpty ? [root] : folders {
      guard let handle = opendir(folder) else {
        throw .invalidInput("cannot read folder \(folder): \(String(cString: strerror(errno))).")
      }
      defer { closedir(handle) }
      while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard name.hasSuffix(".md"), !name.hasPrefix(".") else { continue }
        files.append((folder + "/" + name, try InputFile.read(folder + "/" + name)))
      }
    }
    if files.isEmpty { throw .invalidInput("no Backlog.md task files (*.md) in \(path).") }
    return files
  }

  static func isFolder(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }
}

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Print every task you can see as JSON lines (what tack import reads back).")
  @OptionGroup var global: GlobalOptions
  @Option(help: ArgumentHelp("Only this board.", valueName: "name")) var board: String?

  func run() throws {
    try running { () throws(TackError) in
      let (tasks, problems) = try global.open().list(TaskFilter(board: board))
      for problem in problems { Console.warning("skipped \(problem.path): \(problem.reason)") }
      for task in tasks { Console.line(task.json) }
    }
  }
}

/// Reads a whole file, or standard input for `-`.
enum InputFile {
  static func read(_ path: String) throws(TackError) -> [UInt8] {
    let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw .invalidInput("cannot read \(path): \(String(cString: strerror(errno))).")
    }
    defer { if fd != 0 { close(fd) } }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else {
        throw .invalidInput("cannot read \(path): \(String(cString: strerror(errno))).")
      }
      if count == 0 { return result }
      result.append(contentsOf: chunk[0..<count])
    }
  }
}

struct GC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gc",
    abstract:
      "Pack loose objects and older packs into one pack; safe while others write.",
    discussion:
      "Nothing is dropped: unreachable objects go into the new pack too (pruning is 'git gc''s job). Packs with a .keep, .promisor or .mtimes file stay as they are; a multi-pack-index that lists a replaced pack is removed, as git's repack does."
  )
  @OptionGroup var global: GlobalOptions

  func run() throws {
    try running { () throws(TackError) in
      let report = try global.open().pack()
      if global.json {
        Console.json([
          "packed": .int(Int64(report.packed)), "removedLoose": .int(Int64(report.removedLoose)),
          "keptLoose": .int(Int64(report.keptLoose)),
          "removedPacks": .int(Int64(report.removedPacks)),
          "removedMultiPackIndex": .bool(report.removedMultiPackIndex),
        ])
      } else {
        Console.out(
          "Packed \(report.packed) objects; removed \(report.removedLoose) loose copies and \(report.removedPacks) older packs, kept \(report.keptLoose) loose (written meanwhile)."
        )
        if report.removedMultiPackIndex {
          Console.out(
            "Removed the multi-pack-index, which listed a replaced pack; 'git multi-pack-index write' (or 'git maintenance run') makes a new one."
          )
        }
      }
    }
  }
}

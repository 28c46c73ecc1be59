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
  @Argument(help: "A file of JSON lines, or - for standard input.") var file: String
  @Option(help: "Tasks per commit.") var batch: Int = 1000

  func run() throws {
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

import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `git merge` calls this for task files (`merge=tack` in boards/.gitattributes): it writes
/// the merged task into OURS and exits 0, or 1 when both sides changed something
/// incompatibly (git then stops with a conflict; `tack check` lists the task).
struct MergeDriver: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge-driver",
    abstract:
      "Merge two edits of one task file field by field (git's merge driver; see install-merge-driver)."
  )
  @Argument(help: "The common ancestor's version (%O).") var base: String
  @Argument(help: "Our version, replaced by the result (%A).") var ours: String
  @Argument(help: "Their version (%B).") var theirs: String
  @Argument(help: "The file's path in the repository (%P).") var path: String

  func run() throws {
    var conflicts: [String] = []
    try running { () throws(TackError) in
      func parse(_ file: String) throws(TackError) -> JSONValue {
        do { return try JSONValue.parse(InputFile.read(file)) } catch let error as JSONError {
          throw .corruptFile(path: path, reason: "invalid JSON (\(error.description))")
        } catch {
          throw error as! TackError
        }
      }
      let (b, o, t) = (try parse(base), try parse(ours), try parse(theirs))
      let board = Self.board(for: path)
      let result = TaskMerge.merge(base: b, ours: o, theirs: t, board: board)
      conflicts = result.conflicts
      // Said in the words `tack sync` uses, on stderr (git shows it during the merge).
      if let told = OverruledTask.fromMerge(
        path: path, ours: o, result: result, holder: nil,
        isTerminal: { TaskMerge.isTerminal($0, on: board) })
      {
        Console.info("tack: " + told.line)
      }
      let bytes = result.merged.serializedBytes(pretty: true)
      // git takes OURS as the result when this exits 0: a short or failed write must fail the
      // merge, never pass for a merged file.
      let fd = open(ours, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        throw .invalidInput("cannot write \(ours): \(String(cString: strerror(errno)))")
      }
      let written = Console.writeAll(fd, bytes)
      let writeError = errno
      guard close(fd) == 0, written else {
        throw .invalidInput(
          "cannot write the merged \(path) to \(ours): \(String(cString: strerror(written ? errno : writeError))); the merge is not done"
        )
      }
      if !conflicts.isEmpty {
        Console.error(
          "\(path): both sides changed \(conflicts.joined(separator: ", ")); kept the base value and recorded both under mergeConflict — resolve with tack move/edit, then commit."
        )
      }
    }
    if !conflicts.isEmpty { throw ExitCode(1) }
  }

  /// The task's board, read from the working tree (`boards/<name>/board.json`).
  static func board(for path: String) -> Board? {
    let parts = path.split(separator: "/")
    guard parts.count > 2, parts[0] == "boards" else { return nil }
    let name = String(parts[1])
    let file = "boards/\(name)/board.json"
    guard let bytes = try? InputFile.read(file) else { return nil }
    return try? Board(fileContents: bytes, name: name, path: file)
  }
}

struct InstallMergeDriver: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install-merge-driver",
    abstract:
      "Make plain git merge task files with Tack's rules in this clone (sets merge.tack.driver).")
  @OptionGroup var global: GlobalOptions

  func run() throws {
    try running { () throws(TackError) in
      try global.open().installMergeDriver(command: runningBinary())
      Console.out(
        "git now merges task files with 'tack merge-driver' in \(try global.open().location).")
    }
  }
}

/// This binary's absolute path (quoted for the shell), so git runs the same tack that
/// installed the driver; `tack` when it cannot be told.
func runningBinary() -> String {
  var buffer = [CChar](repeating: 0, count: 4096)
  let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
  guard count > 0 else { return "tack" }
  let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  return "'"
    + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

struct Sync: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sync",
    abstract:
      "Fetch the board branch, merge it (task files field by field) and push; never forced.",
    discussion:
      "REMOTE defaults to the branch's upstream remote, else origin. SSH remotes authenticate through the ssh agent. When something cannot be merged automatically, nothing is written and the message says what to do."
  )
  @OptionGroup var global: GlobalOptions
  @Argument(help: "The remote (default: the upstream remote, else origin).") var remote: String?

  func run() throws {
    try running { () throws(TackError) in
      let report = try global.open().sync(remote: remote)
      if global.json {
        Console.json([
          "remote": .string(report.remote), "merge": .string(report.merge.rawValue),
          "mergedTasks": .array(report.mergedTasks.map { .string($0) }),
          "pushed": .bool(report.pushed),
          "overruled": .array(report.overruled.map(\.json)),
        ])
        return
      }
      var line = "Synced with \(report.remote): \(report.merge.rawValue)"
      if !report.mergedTasks.isEmpty {
        line += ", \(report.mergedTasks.count) task(s) merged field by field"
      }
      Console.out(line + (report.pushed ? ", pushed." : "."))
      for task in report.overruled { Console.out(task.line) }
    }
  }
}

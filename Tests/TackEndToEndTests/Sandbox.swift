import Foundation
import Testing

/// What a child process did.
struct Output: CustomStringConvertible, Sendable {
  var status: Int32
  var stdoutBytes: [UInt8]
  var stderr: String

  var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }

  /// The first line of stdout, without its newline.
  var line: String { String(stdout.prefix { $0 != "\n" }) }

  var description: String { "exit \(status)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)" }
}

struct SandboxError: Error, CustomStringConvertible {
  var description: String
}

/// Where the programs the tests run live.
enum Programs {
  /// The built `tack`: `TACK_BINARY`, else next to the test runner (`swift build
  /// --build-tests` puts both in `.build/<triple>/debug/`).
  static let tack: Result<String, SandboxError> = {
    if let path = ProcessInfo.processInfo.environment["TACK_BINARY"], !path.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: path) else {
        return .failure(SandboxError(description: "TACK_BINARY=\(path) is not an executable file"))
      }
      return .success(path)
    }
    let runner =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let folder = (runner as NSString).deletingLastPathComponent
    let path = folder + "/tack"
    guard !folder.isEmpty, FileManager.default.isExecutableFile(atPath: path) else {
      return .failure(
        SandboxError(
          description:
            "no tack binary at \(path) (next to the test runner \(runner)); run `swift build --build-tests` first or set TACK_BINARY"
        ))
    }
    return .success(path)
  }()

  static let git: Result<String, SandboxError> = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
      let candidate = "\(folder)/git"
      if FileManager.default.isExecutableFile(atPath: candidate) { return .success(candidate) }
    }
    return .failure(SandboxError(description: "git is not on PATH (\(path))"))
  }()

  static let shell = "/bin/sh"
}

/// A temporary folder with a git repository in it (made by code), in which the tests run the
/// real `tack` and the real `git`. Child processes get a HOME inside the folder and no
/// system git config, so the user's own settings never leak in. The folder is removed when
/// the sandbox goes away.
final class Sandbox {
  enum Setup {
    /// An empty folder `repo`; no git repository.
    case empty
    /// `git init` with a local identity, no `tack init`.
    case git
    /// `git init` and `tack init` (optionally with a default board name).
    case board(String? = nil)
  }

  static let name = "Ada Lövelace"
  static let email = "ada@example.com"
  static let actor = "person:ada@example.com"
  static let branch = "main"

  let root: String
  let home: String
  /// The repository: the working tree folder, or the bare repository's folder.
  let repo: String
  let bare: Bool
  private var outputCounter = 0

  init(_ setup: Setup = .board(), bare: Bool = false) throws {
    let base = FileManager.default.temporaryDirectory.path
    let template = base + "/tack-e2e-XXXXXX"
    var buffer = Array(template.utf8CString)
    guard let made = mkdtemp(&buffer) else {
      throw SandboxError(description: "mkdtemp failed in \(base)")
    }
    root = String(cString: made)
    home = root + "/home"
    repo = root + "/repo"
    self.bare = bare
    try FileManager.default.createDirectory(
      atPath: home + "/.config", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: root + "/io", withIntermediateDirectories: true)
    switch setup {
    case .empty:
      try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
    case .git:
      try makeRepository()
    case .board(let board):
      try makeRepository()
      try ok(["init"] + (board.map { ["--board", $0] } ?? []))
    }
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  private func makeRepository() throws {
    try git(["init", "-q", "-b", Self.branch] + (bare ? ["--bare"] : []) + [repo], in: root)
    try git(["config", "user.name", Self.name])
    try git(["config", "user.email", Self.email])
  }

  /// The environment of every child: the test's own minus anything git or tack would read.
  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment.filter {
      !$0.key.hasPrefix("GIT_") && !$0.key.hasPrefix("TACK_") && $0.key != "XDG_CONFIG_HOME"
    }
    environment["HOME"] = home
    environment["XDG_CONFIG_HOME"] = home + "/.config"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_TERMINAL_PROMPT"] = "0"
    environment["LC_ALL"] = "C"
    return environment
  }

  // MARK: Running programs

  /// Runs `tack` with `arguments` in `folder` (default: the repository).
  @discardableResult
  func tack(
    _ arguments: [String], env: [String: String] = [:], in folder: String? = nil,
    stdin: String? = nil
  ) throws
    -> Output
  {
    try start(Programs.tack.get(), arguments, env: env, in: folder ?? repo, stdin: stdin).wait()
  }

  /// Runs `tack` and requires exit 0; returns stdout.
  @discardableResult
  func ok(
    _ arguments: [String], env: [String: String] = [:], in folder: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    let output = try tack(arguments, env: env, in: folder)
    try #require(
      output.status == 0, "tack \(arguments) failed:\n\(output)", sourceLocation: sourceLocation)
    return output.stdout
  }

  /// `tack add` and returns the new task's full id.
  func add(
    _ title: String, _ options: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    let id = try ok(["add", title] + options, sourceLocation: sourceLocation)
      .trimmingCharacters(in: .newlines)
    try #require(
      Self.isTaskID(id), "tack add printed \(id.debugDescription), not a task id",
      sourceLocation: sourceLocation)
    return id
  }

  /// Runs git with `arguments` in `folder` (default: the repository); requires exit 0.
  @discardableResult
  func git(
    _ arguments: [String], in folder: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    let output = try gitOutput(arguments, in: folder)
    try #require(
      output.status == 0, "git \(arguments) failed:\n\(output)", sourceLocation: sourceLocation)
    return output.stdout
  }

  func gitOutput(_ arguments: [String], in folder: String? = nil) throws -> Output {
    try run(Programs.git.get(), arguments, env: [:], in: folder ?? repo)
  }

  /// Starts `program` without waiting for it; stdout and stderr go to files.
  func start(
    _ program: String, _ arguments: [String], env: [String: String] = [:], in folder: String,
    stdin: String? = nil
  ) throws -> Running {
    outputCounter += 1
    let stem = "\(root)/io/\(outputCounter)"
    _ = FileManager.default.createFile(atPath: stem + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: stem + ".err", contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    process.environment = environment.merging(env) { $1 }
    if let stdin {
      _ = FileManager.default.createFile(atPath: stem + ".in", contents: Data(stdin.utf8))
      process.standardInput = FileHandle(forReadingAtPath: stem + ".in")
    } else {
      process.standardInput = FileHandle.nullDevice
    }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + ".out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stem + ".err"))
    process.standardOutput = out
    process.standardError = err
    try process.run()
    try out.close()
    try err.close()
    return Running(process: process, stem: stem)
  }

  func run(
    _ program: String, _ arguments: [String], env: [String: String] = [:], in folder: String
  ) throws -> Output {
    try start(program, arguments, env: env, in: folder).wait()
  }

  struct Running {
    let process: Process
    let stem: String

    func wait() throws -> Output {
      process.waitUntilExit()
      let out = try Data(contentsOf: URL(fileURLWithPath: stem + ".out"))
      let err = try Data(contentsOf: URL(fileURLWithPath: stem + ".err"))
      return Output(
        status: process.terminationStatus, stdoutBytes: Array(out),
        stderr: String(decoding: err, as: UTF8.self))
    }
  }

  // MARK: Looking at the repository with git

  /// `git rev-list --count main`.
  func commitCount() throws -> Int {
    let text = try git(["rev-list", "--count", Self.branch]).trimmingCharacters(in: .whitespaces)
    guard let count = Int(text.trimmingCharacters(in: .newlines)) else {
      throw SandboxError(description: "rev-list printed \(text)")
    }
    return count
  }

  func tip() throws -> String {
    try git(["rev-parse", Self.branch]).trimmingCharacters(in: .newlines)
  }

  /// The bytes of `path` in the tip of main (`git show main:<path>`), or nil if absent.
  func committed(_ path: String) throws -> [UInt8]? {
    let output = try gitOutput(["show", "\(Self.branch):\(path)"])
    return output.status == 0 ? output.stdoutBytes : nil
  }

  /// The bytes of `path` in the working tree, or nil if absent.
  func onDisk(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: repo + "/" + path).map { Array($0) }
  }

  func write(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: repo + "/" + path))
  }

  /// `git status --porcelain` (untracked files included).
  func status() throws -> String {
    try git(["status", "--porcelain", "--untracked-files=all"])
  }

  /// Every file in the tip of main.
  func trackedFiles() throws -> [String] {
    try git(["ls-tree", "-r", "--name-only", Self.branch]).split(separator: "\n").map(String.init)
  }

  /// `git fsck --strict` must exit 0 and report no error or warning.
  func expectFsckClean(sourceLocation: SourceLocation = #_sourceLocation) throws {
    let output = try gitOutput(["fsck", "--strict", "--no-progress"])
    #expect(output.status == 0, "git fsck failed:\n\(output)", sourceLocation: sourceLocation)
    let problems = (output.stdout + output.stderr).split(separator: "\n").filter {
      !$0.hasPrefix("dangling ")
    }
    #expect(problems.isEmpty, "git fsck reported:\n\(output)", sourceLocation: sourceLocation)
  }

  /// The last commit on main: subject, trailers (parsed by git), author and committer.
  func lastCommit() throws -> Commit {
    try commit(Self.branch)
  }

  func commit(_ revision: String) throws -> Commit {
    let header = try git(
      ["log", "-1", "--format=%H%n%P%n%an%n%ae%n%cn%n%ce%n%s", revision]
    ).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let body = try git(["log", "-1", "--format=%B", revision])
    let trailerText = try git(["log", "-1", "--format=%(trailers:only,unfold)", revision])
    var trailers: [String: [String]] = [:]
    for line in trailerText.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = String(line[..<colon])
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      trailers[key, default: []].append(value)
    }
    let files = try git(["show", "--format=", "--name-only", revision]).split(separator: "\n")
      .map(String.init)
    return Commit(
      hash: header[0], parents: header[1].split(separator: " ").map(String.init),
      authorName: header[2], authorEmail: header[3], committerName: header[4],
      committerEmail: header[5], subject: header[6], message: body, trailers: trailers,
      files: files)
  }

  struct Commit {
    var hash: String
    var parents: [String]
    var authorName: String
    var authorEmail: String
    var committerName: String
    var committerEmail: String
    var subject: String
    var message: String
    var trailers: [String: [String]]
    var files: [String]

    func trailer(_ key: String) -> String? {
      guard let values = trailers[key], values.count == 1 else { return nil }
      return values[0]
    }
  }

  // MARK: Tasks

  static func isTaskID(_ text: String) -> Bool {
    let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    return text.hasPrefix("task_") && text.count == 31
      && text.dropFirst(5).allSatisfy {
        crockford.contains($0)
      }
  }

  /// `boards/<board>/tasks/<last char>/<second-last char>/<id>.json`.
  static func taskPath(_ id: String, board: String = "main") -> String {
    let characters = Array(id)
    return
      "boards/\(board)/tasks/\(characters[characters.count - 1])/\(characters[characters.count - 2])/\(id).json"
  }

  /// The task as stored at the tip of main.
  func storedTask(_ id: String, board: String = "main") throws -> JSON {
    let bytes = try #require(try committed(Self.taskPath(id, board: board)))
    return try JSON.parse(bytes)
  }

  /// `tack show ID --json`, parsed.
  func shownTask(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
    try JSON.parse(ok(["show", id, "--json"], sourceLocation: sourceLocation))
  }
}

import Foundation
import TestSupport

@testable import TackGit

/// A random commit graph written into a fixture with `git fast-import`: several branches,
/// merges of two or three parents, extra root commits merged in later, files that become
/// folders and back, contents that return to earlier values, and committer times with many
/// ties and some clock skew (a commit older than its parent) — what makes the order of a
/// topological + time walk depend on its details.
struct RandomHistory {
  /// Paths the commits write (some are files in one commit and folders in another).
  static let paths = [
    "boards/a/t1.json", "boards/a/t2.json", "boards/a/sub/t3.json", "boards/b/x",
    "boards/b/x/y.json",
    "boards/c.json", "README.md", "other/z.txt", "boards/a/sub",
  ]
  /// Paths worth asking about: the written ones, folders, and ones never written.
  static let queries =
    paths + [
      "boards", "boards/a", "boards/b", "boards/missing.json", "other", "boards//a/t1.json",
      "boards/a/t1.json/",
    ]

  /// Commit ids in the order they were made.
  private(set) var commits: [OID] = []
  /// Which commits are the current head of each branch, for choosing tips.
  private(set) var heads: [OID] = []
  private var states: [[String: String]] = []
  private var branchHeads: [Int] = []
  private var generator: SplitMix64
  private var clock: Int64 = 1_700_000_000
  private var stream = ""
  private var pendingMarks: [Int] = []

  init(seed: UInt64) { generator = SplitMix64(seed: seed) }

  /// Adds `count` random commits to the fixture; `main` points to the first branch's head.
  mutating func grow(_ fixture: GitFixture, by count: Int) throws {
    stream = ""
    pendingMarks = []
    for _ in 0..<count { addCommit() }
    let marks = fixture.path + "/.git/test-marks"
    let input = fixture.path + "/.git/import-stream"
    try Data(stream.utf8).write(to: URL(fileURLWithPath: input))
    try GitFixture.runFastImport(in: fixture.path, input: input, marks: marks)
    let table = try String(contentsOfFile: marks, encoding: .utf8)
    var byMark: [Int: OID] = [:]
    for line in table.split(separator: "\n") {
      let parts = line.split(separator: " ")
      byMark[Int(parts[0].dropFirst())!] = OID(hex: String(parts[1]))!
    }
    for mark in pendingMarks { commits.append(byMark[mark]!) }
    heads = branchHeads.map { commits[$0] }
    let main = commits[branchHeads[0]].hex
    try fixture.git(["update-ref", "refs/heads/main", main])
  }

  private mutating func random(_ upper: Int) -> Int { Int(generator.next() % UInt64(upper)) }

  private mutating func addCommit() {
    let index = states.count
    var parents: [Int] = []
    var branch = 0
    if branchHeads.isEmpty || random(25) == 0 {
      // A new root on a new branch (the first commit, or one to merge in later).
      branchHeads.append(index)
      branch = branchHeads.count - 1
    } else {
      branch = random(branchHeads.count)
      parents = [branchHeads[branch]]
      if branchHeads.count > 1 && random(4) == 0 {
        for other in 0..<branchHeads.count where other != branch && random(3) != 0 {
          if !parents.contains(branchHeads[other]) { parents.append(branchHeads[other]) }
        }
      } else if random(6) == 0 && branchHeads.count < 4 {
        // Fork: a new branch starting at this commit's parent.
        branchHeads.append(parents[0])
      }
    }
    var state = parents.first.map { states[$0] } ?? [:]
    if parents.count > 1 {
      // A merge takes each file from some parent, or something new.
      for path in Self.paths where random(2) == 0 {
        let source = states[parents[random(parents.count)]]
        if let content = source[path] { set(&state, path, content) } else { state[path] = nil }
      }
    }
    for _ in 0..<(parents.count > 1 ? random(2) : 1 + random(3)) {
      let path = Self.paths[random(Self.paths.count)]
      if random(5) == 0 {
        state[path] = nil
        for key in state.keys where key.hasPrefix(path + "/") { state[key] = nil }
      } else {
        set(&state, path, ["1", "2", "3"][random(3)])
      }
    }
    states.append(state)
    branchHeads[branch] = index

    // Many ties (same second), and now and then a commit dated before its parent.
    switch random(10) {
    case 0: clock -= Int64(random(100))
    case 1, 2, 3: clock += Int64(random(100))
    default: break
    }
    var text = "commit refs/heads/b\(branch)\nmark :\(index + 1)\n"
    text += "author A <a@x> \(clock) +0000\ncommitter C <c@x> \(clock) +0000\n"
    text += data("commit \(index)\n")
    if let first = parents.first { text += "from :\(first + 1)\n" }
    for other in parents.dropFirst() { text += "merge :\(other + 1)\n" }
    text += "deleteall\n"
    for (path, content) in state.sorted(by: { $0.key < $1.key }) {
      text += "M 100644 inline \(path)\n" + data(content + "\n")
    }
    stream += text + "\n"
    pendingMarks.append(index + 1)
  }

  /// Writes a file, removing what is in its way (a file where a folder must be, a folder where
  /// the file goes).
  private func set(_ state: inout [String: String], _ path: String, _ content: String) {
    for key in state.keys where key.hasPrefix(path + "/") || path.hasPrefix(key + "/") {
      state[key] = nil
    }
    state[path] = content
  }

  private func data(_ text: String) -> String { "data \(text.utf8.count)\n\(text)" }
}

extension GitFixture {
  /// Runs `git fast-import` with `input` as its standard input, exporting the marks.
  static func runFastImport(in folder: String, input: String, marks: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "git", "-C", folder, "fast-import", "--quiet", "--force", "--import-marks-if-exists=\(marks)",
      "--export-marks=\(marks)",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = folder
    process.environment = environment
    process.standardInput = FileHandle(forReadingAtPath: input)
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      throw FastImportError(message: String(decoding: message, as: UTF8.self))
    }
  }
}

struct FastImportError: Error {
  var message: String
}

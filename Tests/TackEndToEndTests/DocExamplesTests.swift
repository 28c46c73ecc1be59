import Foundation
import Testing

/// The examples in README.md and docs/*.md are what Tack prints: every ```console block is
/// run, in order, against a fresh repository per file, and its shown output compared with the
/// real output (ids, times and commit hashes normalised). A change in output fails here until
/// the docs follow.
///
/// The convention (docs/user-guide.md, "Examples that stay true", says it for writers):
/// - A block whose info string is `console` holds `$ command` lines, each followed by the
///   output it prints (stdout and stderr, as a terminal shows them). Commands run with
///   `/bin/sh` in the repository, with the built `tack` first on PATH, `NO_COLOR=1` and
///   `COLUMNS=80`; the exit status is not checked (errors are examples too).
/// - `console 80x24` runs its commands in a pseudo-terminal of 80 columns and 24 rows: a
///   recording of what a person sees.
/// - An HTML comment starting `<!-- doc-test` holds `$ command` lines run before the next
///   block without showing them (setup; each must succeed, and one followed by lines must
///   print them, which lets later blocks use the ids it prints). `<!-- doc-test fresh -->`
///   starts a new repository.
/// - The repository is also `~/board` (HOME is the sandbox's).
/// - Ids are matched by position: where the docs show an id (a ULID, `task_` + ULID or a
///   short id) the real output may show another, which later commands then use in its
///   place. Times (RFC 3339 and "5 min ago"), commit hashes and runs of spaces or `─` are
///   compared loosely.
///
/// `TACK_UPDATE_DOCS=1 swift test --filter DocExamplesTests` writes the real output into the
/// docs instead of failing: each file that differs is rewritten whole, its commands with the
/// ids they ran with (review the diff).
@Suite(.serialized) struct DocExamplesTests {
  static let root = CLITests.packageRoot

  static var files: [String] {
    let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
    return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
  }

  @Test func everyConsoleExampleShowsWhatTackPrints() throws {
    var examples = 0
    var failures: [String] = []
    let update = ProcessInfo.processInfo.environment["TACK_UPDATE_DOCS"] == "1"
    for file in Self.files {
      let path = Self.root + "/" + file
      var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
      let steps = DocExamples.parse(lines)
      guard !steps.isEmpty else { continue }
      var runner = try DocRunner()
      // In update mode a file with any difference is rewritten whole, commands with the ids
      // they ran with, so its ids come from one run and stay consistent.
      var replacements: [(range: Range<Int>, lines: [String])] = []
      var differs = false
      for step in steps {
        switch step {
        case .fresh:
          runner = try DocRunner()
        case .setup(let command, let line):
          let output = try runner.run(command, terminal: nil)
          if output.status != 0 {
            failures.append("\(file):\(line + 1): setup `\(command)` failed:\n\(output.text)")
          }
        case .example(let example):
          examples += 1
          let command = runner.substituted(example.command)
          let output = try runner.run(example.command, terminal: example.terminal)
          replacements.append(
            (
              example.line..<example.outputLines.upperBound,
              ["$ " + command] + DocExamples.shown(output.text)
            ))
          if !runner.matches(expected: example.expected, actual: output.text) {
            differs = true
            if !update {
              failures.append(
                """
                \(file):\(example.line + 1): `\(example.command)` printed
                \(output.text)--- where the docs show
                \(example.expected.joined(separator: "\n"))
                """)
            }
          }
        }
      }
      if update && differs {
        for replacement in replacements.reversed() {
          lines.replaceSubrange(replacement.range, with: replacement.lines)
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
      }
    }
    #expect(examples >= 30, "the docs' console examples were not found under \(Self.root)")
    #expect(
      failures.isEmpty,
      "\(failures.count) doc example(s) differ from what tack prints (TACK_UPDATE_DOCS=1 writes the real output into the docs):\n\n\(failures.joined(separator: "\n\n"))"
    )
  }

  /// The normaliser itself: ids by position, times and hashes loosely, and a wrong id caught.
  @Test func theComparisonMapsIdsAndIgnoresTimesButNotWords() throws {
    var runner = try DocRunner()
    runner.knownIDs = ["01M925H5N0ABCDEFGHJKMNPQRS", "01M925H5Q9ZYXWVTSRQPNMKJHG"]
    let first = runner.matches(
      expected: ["01M89YFJ  todo  5 min ago  Rotate", "task_01M89YFJ8FV0NYY7MCNQ16DJXX todo"],
      actual: "01M925H5N   todo  just now  Rotate\ntask_01M925H5N0ABCDEFGHJKMNPQRS todo\n")
    #expect(first)
    #expect(runner.substituted("tack show 01M89YFJ") == "tack show 01M925H5N")
    // The same doc id cannot stand for two real ones.
    let twice = runner.matches(expected: ["01M89YFJ done"], actual: "01M925H5Q9 done\n")
    #expect(!twice)
    let words = runner.matches(expected: ["Check disk"], actual: "Patch disk\n")
    #expect(!words)
    let loose = runner.matches(
      expected: ["0123abc 2026-11-25T17:48:59.123Z x"],
      actual: "45e58cf097 2026-12-05T04:00:00.000Z x\n")
    #expect(loose)
    // "3 h" inside an id is not a time.
    #expect(
      DocText.normalised("task_01M926NQBK6XMZBRS88V1BAPA3 has 3 h ago").hasSuffix("3 has <AGO>"))
  }
}

/// What a doc file asks to run.
enum DocExamples {
  struct Example {
    var command: String
    var expected: [String]
    /// The file's lines holding `expected` (to rewrite them).
    var outputLines: Range<Int>
    var line: Int
    var terminal: (columns: Int, rows: Int)?
  }

  enum Step {
    case fresh
    case setup(String, line: Int)
    case example(Example)
  }

  static func parse(_ lines: [String]) -> [Step] {
    var steps: [Step] = []
    var index = 0
    while index < lines.count {
      let line = lines[index]
      if line.hasPrefix("<!-- doc-test") {
        if line.contains("fresh") { steps.append(.fresh) }
        // Setup commands; one followed by lines (an id it prints) is checked like an example,
        // so later examples can use the ids it shows.
        var current: Example?
        func flush() {
          guard let example = current else { return }
          steps.append(
            example.expected.isEmpty
              ? .setup(example.command, line: example.line) : .example(example))
          current = nil
        }
        while index < lines.count {
          let text = lines[index]
          if text.contains("-->") { break }
          if text.hasPrefix("$ ") {
            flush()
            current = Example(
              command: String(text.dropFirst(2)), expected: [],
              outputLines: (index + 1)..<(index + 1), line: index, terminal: nil)
          } else if current != nil {
            current!.expected.append(text)
            current!.outputLines = current!.outputLines.lowerBound..<(index + 1)
          }
          index += 1
        }
        flush()
      } else if line.hasPrefix("```console") {
        let info = line.dropFirst(10).trimmingCharacters(in: .whitespaces)
        var terminal: (Int, Int)?
        if let x = info.firstIndex(of: "x"), let columns = Int(info[..<x]),
          let rows = Int(info[info.index(after: x)...])
        {
          terminal = (columns, rows)
        }
        index += 1
        var current: Example?
        while index < lines.count, !lines[index].hasPrefix("```") {
          if lines[index].hasPrefix("$ ") {
            if let current { steps.append(.example(current)) }
            current = Example(
              command: String(lines[index].dropFirst(2)), expected: [],
              outputLines: (index + 1)..<(index + 1), line: index, terminal: terminal)
          } else if current != nil {
            current!.expected.append(lines[index])
            current!.outputLines = current!.outputLines.lowerBound..<(index + 1)
          }
          index += 1
        }
        if let current { steps.append(.example(current)) }
      }
      index += 1
    }
    return steps
  }

  /// Output as the docs show it: its lines without trailing spaces or a last empty line.
  static func shown(_ text: String) -> [String] {
    var lines = text.components(separatedBy: "\n").map {
      String($0.reversed().drop { $0 == " " }.reversed())
    }
    while lines.last == "" { lines.removeLast() }
    return lines
  }
}

/// Runs doc commands in one sandbox and compares their output, remembering which real id
/// each id in the docs stands for.
struct DocRunner {
  let sandbox: Sandbox
  /// Doc id → real id.
  var ids: [String: String] = [:]
  /// The ULIDs of the tasks in the repository now.
  var knownIDs: [String] = []

  init() throws {
    sandbox = try Sandbox(.git)
    // Docs may name the repository ~/board.
    try FileManager.default.createSymbolicLink(
      atPath: sandbox.home + "/board", withDestinationPath: sandbox.repo)
  }

  func run(
    _ command: String, terminal: (columns: Int, rows: Int)?
  ) throws -> (text: String, status: Int32) {
    var environment = sandbox.environment
    let tackFolder = (try Programs.tack.get() as NSString).deletingLastPathComponent
    environment["PATH"] = tackFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    environment["NO_COLOR"] = "1"
    environment["TZ"] = "UTC"
    let script = substituted(command) + " 2>&1"
    if let terminal {
      environment["COLUMNS"] = nil
      environment["LINES"] = nil
      let pty = try PseudoTerminal(columns: terminal.columns, rows: terminal.rows)
      let text = try pty.run(
        Programs.shell, ["-c", script], environment: environment, in: sandbox.repo)
      return (text, 0)
    }
    environment["COLUMNS"] = "80"
    let output = try sandbox.run(
      Programs.shell, ["-c", script], env: environment, in: sandbox.repo)
    return (output.stdout, output.status)
  }

  /// `command` with every doc id replaced by the real id it stands for (and a prefix of a
  /// doc ULID by the same prefix of the real one).
  func substituted(_ command: String) -> String {
    DocText.tokens(command).map { token in
      if let real = ids[token] { return real }
      guard DocText.isIDShaped(token), token.count >= 4 else { return token }
      // A prefix of a doc ULID: the real ULID's shortest prefix, at least as long, that no
      // other task's ULID shares (tasks made in one second share more than the docs' did).
      for (doc, real) in ids where doc.count == 26 && doc.hasPrefix(token) {
        for length in token.count...26 {
          let prefix = real.prefix(length)
          if knownIDs.filter({ $0.hasPrefix(prefix) }).count <= 1 { return String(prefix) }
        }
        return real
      }
      return token
    }.joined()
  }

  /// Whether `actual` is what the docs show as `expected`, learning the ids it pairs up.
  mutating func matches(expected: [String], actual: String) -> Bool {
    refreshKnownIDs()
    var want = expected.map(DocText.normalised)
    // A blank line between one command's output and the next `$` line is layout.
    while want.last == "" { want.removeLast() }
    let got = DocExamples.shown(actual).map(DocText.normalised)
    guard got.count == want.count else { return false }
    var learned = ids
    for (wanted, gotten) in zip(want, got) {
      let a = DocText.tokens(wanted)
      let b = DocText.tokens(gotten)
      guard a.count == b.count else { return false }
      for (doc, real) in zip(a, b) where doc != real {
        guard DocText.isIDShaped(doc), isRealID(real), learned[doc, default: real] == real else {
          return false
        }
        learned[doc] = real
        if doc.hasPrefix("task_"), real.hasPrefix("task_") {
          learned[String(doc.dropFirst(5))] = String(real.dropFirst(5))
        }
      }
    }
    ids = learned
    return true
  }

  /// A full id, a ULID or a short id (any four or more characters of one ULID) of a task in
  /// the repository.
  private func isRealID(_ token: String) -> Bool {
    let bare = token.hasPrefix("task_") ? String(token.dropFirst(5)) : token
    guard bare.count >= 4, DocText.isIDShaped(bare) else { return false }
    let upper = bare.uppercased()
    return knownIDs.contains { $0.contains(upper) }
  }

  private mutating func refreshKnownIDs() {
    guard
      let output = try? sandbox.gitOutput(["ls-tree", "-r", "--name-only", "HEAD", "boards"]),
      output.status == 0
    else { return }
    var found = Set(knownIDs)
    for path in output.stdout.split(separator: "\n") {
      guard let name = path.split(separator: "/").last, name.hasPrefix("task_"),
        name.hasSuffix(".json")
      else { continue }
      found.insert(String(name.dropFirst(5).dropLast(5)))
    }
    knownIDs = Array(found)
  }
}

/// How doc text and real output are compared.
enum DocText {
  static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz")

  /// Words (letters, digits, `_`), runs of spaces, and single other characters.
  static func tokens(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = ""
    var kind = 0
    for character in text {
      let next =
        character.isLetter || character.isNumber || character == "_" ? 1 : character == " " ? 2 : 3
      if next != kind || next == 3 {
        if !current.isEmpty { tokens.append(current) }
        current = ""
      }
      current.append(character)
      kind = next
    }
    if !current.isEmpty { tokens.append(current) }
    return tokens
  }

  /// A ULID, `task_` and a ULID, or a short id: Crockford base32 characters only.
  static func isIDShaped(_ token: String) -> Bool {
    let bare = token.hasPrefix("task_") ? token.dropFirst(5) : Substring(token)
    return (4...26).contains(bare.count) && bare.allSatisfy { crockford.contains($0) }
  }

  /// A line with times, hashes and runs of spaces or rules made uniform.
  static func normalised(_ line: String) -> String {
    var text = line
    let patterns = [
      (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"#, "<TIME>"),
      (#"\bjust now\b|\b(in )?\d+ (s|min|h|days)( ago)?\b"#, "<AGO>"),
      (#"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b"#, "<HASH>"),
      ("─+", "─"),
      (" +", " "),
    ]
    for (pattern, replacement) in patterns {
      text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return text.trimmingCharacters(in: .whitespaces)
  }
}

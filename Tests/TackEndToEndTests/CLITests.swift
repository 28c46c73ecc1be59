import Foundation
import Testing

/// The command line around the commands: `--version`, shell completions, `tack init`'s
/// suggestions, and the README's quick start run as written.
@Suite struct CLITests {
  /// The repository's root folder (this file is Tests/TackEndToEndTests/CLITests.swift).
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  @Test func versionPrintsTheVersion() throws {
    let sandbox = try Sandbox(.empty)
    let output = try sandbox.ok(["--version"])
    #expect(
      output.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(output)")
  }

  @Test(arguments: ["bash", "zsh", "fish"])
  func completionScriptsCoverTheCommands(shell: String) throws {
    let sandbox = try Sandbox(.empty)
    let script = try sandbox.ok(["--generate-completion-script", shell])
    for word in ["board", "edit", "list", "claim", "repo", "positional@0"] {
      #expect(script.contains(word), "\(shell) script should mention \(word)")
    }
  }

  /// What the shells run to complete a board, a status or a task id.
  @Test func customCompletionsReadTheBoard() throws {
    let sandbox = try Sandbox()
    try sandbox.ok(["board", "add", "ops"])
    let id = try sandbox.add("Task")
    func complete(_ arguments: [String]) throws -> [String] {
      try sandbox.ok(["---completion"] + arguments).split(separator: "\n").map(String.init)
    }
    #expect(
      try complete(["board", "show", "--", "positional@0", "3", "0", "tack", "board", "show", ""])
        == ["main", "ops"])
    #expect(
      try complete(["add", "--", "--board", "3", "1", "tack", "add", "--board", "o"]) == ["ops"])
    #expect(
      try complete(["move", "--", "positional@1", "3", "0", "tack", "move", id, ""]).contains(
        "working"))
    let ids = try complete(["show", "--", "positional@0", "2", "0", "tack", "show", ""])
    #expect(ids.count == 1 && id.dropFirst(15).lowercased().hasPrefix(ids[0]), "\(ids)")
    // Outside a board repository: nothing, and no error.
    let outside = try sandbox.tack(
      ["---completion", "show", "--", "positional@0", "2", "0", "tack", "show", ""],
      in: sandbox.root)
    #expect(outside.status == 0 && outside.stdout.isEmpty && outside.stderr.isEmpty, "\(outside)")
  }

  @Test func initSuggestsWhatToTryNext() throws {
    let sandbox = try Sandbox(.git)
    let output = try sandbox.ok(["init"])
    let lines = output.split(separator: "\n").map(String.init)
    let next = try #require(lines.firstIndex(of: "Try next:"))
    let commands = lines[(next + 1)...].map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(commands.count == 3)
    #expect(commands.first?.hasPrefix("tack add \"My first task\"") == true)
    #expect(commands.allSatisfy { $0.hasPrefix("tack ") })
  }

  /// A command without `commandName:` makes swift-argument-parser derive it with
  /// `String(describing:)` — a protocol-conformance scan that was ~15% of every start-up.
  @Test func everyCommandNamesItself() throws {
    let folder = Self.packageRoot + "/Sources/tack"
    let files = try FileManager.default.subpathsOfDirectory(atPath: folder)
    var configurations = 0
    for file in files where file.hasSuffix(".swift") {
      let source = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      for part in source.components(separatedBy: "CommandConfiguration(").dropFirst() {
        configurations += 1
        #expect(
          part.drop(while: \.isWhitespace).hasPrefix("commandName:"),
          "a CommandConfiguration in Sources/tack/\(file) has no commandName: first")
      }
    }
    #expect(configurations > 30)
  }

  /// README.md's "Quick start" block, run verbatim by /bin/sh with the built tack first on PATH.
  @Test func theReadmeQuickStartWorksAsWritten() throws {
    let readme = try String(contentsOfFile: Self.packageRoot + "/README.md", encoding: .utf8)
    let section = try #require(readme.components(separatedBy: "## Quick start").dropFirst().first)
    let block = try #require(section.components(separatedBy: "```").dropFirst().first)
    #expect(block.contains("tack init"))
    let sandbox = try Sandbox(.empty)
    try sandbox.git(["config", "--global", "user.name", Sandbox.name], in: sandbox.root)
    try sandbox.git(["config", "--global", "user.email", Sandbox.email], in: sandbox.root)
    let tackFolder = (try Programs.tack.get() as NSString).deletingLastPathComponent
    let path = tackFolder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let output = try sandbox.run(
      Programs.shell, ["-e", "-x", "-c", block], env: ["PATH": path, "NO_COLOR": "1"],
      in: sandbox.repo)
    #expect(output.status == 0, "\(output)")
    #expect(output.stderr.contains("+ tack log"), "every command ran:\n\(output)")
    let board = sandbox.repo + "/board"
    let list = try sandbox.run(Programs.tack.get(), ["list", "--json"], in: board)
    let tasks = try JSON.parse(list.stdoutBytes)["tasks"]?.array ?? []
    #expect(tasks.count == 1)
    #expect(tasks.first?["status"]?.string == "completed")
    #expect(tasks.first?["notes"]?.array?.count == 1)
  }
}

/// docs/tack.1 (made by `make man`) stays true to the commands: every command the built tack
/// has, and every option of each, appears in it.
@Suite struct ManPageTests {
  @Test func theManPageCoversEveryCommandAndOption() throws {
    let page = try String(contentsOfFile: CLITests.packageRoot + "/docs/tack.1", encoding: .utf8)
    let sandbox = try Sandbox(.empty)
    let tree = try #require(
      try JSON.parse(sandbox.ok(["--experimental-dump-help"]))["command"])
    #expect(
      page.contains("\"tack \(try sandbox.ok(["--version"]).trimmingCharacters(in: .newlines))\""))
    func visit(_ node: JSON, _ path: String) {
      guard node["commandName"]?.string != "help", node["shouldDisplay"]?.bool != false else {
        return
      }
      if path != "tack" {
        #expect(page.contains(".SS \"\(path)\"\n"), "docs/tack.1 lacks \(path); run make man")
      }
      for argument in node["arguments"]?.array ?? [] where argument["kind"]?.string != "positional"
      {
        guard let name = argument["preferredName"]?["name"]?.string,
          argument["shouldDisplay"]?.bool != false
        else { continue }
        let roff = "\\fB\\-\\-" + name.replacingOccurrences(of: "-", with: "\\-") + "\\fR"
        #expect(page.contains(roff), "docs/tack.1 lacks --\(name) of \(path); run make man")
      }
      for sub in node["subcommands"]?.array ?? [] {
        visit(sub, path + " " + (sub["commandName"]?.string ?? "?"))
      }
    }
    visit(tree, "tack")
  }

  /// Every environment variable a Tack source reads (`getenv("…")`) is in ENVIRONMENT, and
  /// the page has examples.
  @Test func theManPageNamesEveryEnvironmentVariableAndHasExamples() throws {
    let page = try String(contentsOfFile: CLITests.packageRoot + "/docs/tack.1", encoding: .utf8)
    let environment = try #require(
      page.components(separatedBy: ".SH ENVIRONMENT\n").dropFirst().first?.components(
        separatedBy: "\n.SH "
      )
      .first)
    let folder = CLITests.packageRoot + "/Sources"
    var names: Set<String> = []
    for file in try FileManager.default.subpathsOfDirectory(atPath: folder)
    where file.hasSuffix(".swift") {
      let source = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      for part in source.components(separatedBy: "getenv(\"").dropFirst() {
        names.insert(String(part.prefix { $0 != "\"" }))
      }
    }
    #expect(names.isSuperset(of: ["TACK_REPO", "TACK_FSYNC", "TACK_AUTOPACK", "NO_COLOR"]))
    for name in names where !name.isEmpty {
      #expect(
        environment.contains("\\fB\(name)\\fR"),
        "docs/tack.1's ENVIRONMENT lacks \(name); add it to scripts/generate-man.py")
    }
    #expect(page.contains(".SH EXAMPLES\n"))
  }
}

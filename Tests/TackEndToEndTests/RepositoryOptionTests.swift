import Foundation
import Testing

/// Finding the repository: `--repo` (before or after the command, with or without `=`),
/// `TACK_REPO`, else the current folder.
@Suite struct RepositoryOptionTests {
  /// Runs from the sandbox's root folder, which is not a repository.
  private func listed(
    _ sandbox: Sandbox, _ arguments: [String], env: [String: String] = [:]
  )
    throws -> [String]
  {
    let output = try sandbox.tack(arguments, env: env, in: sandbox.root)
    try #require(output.status == 0, "tack \(arguments):\n\(output)")
    return try JSON.parse(output.stdoutBytes)["tasks"]?.array?.compactMap {
      $0["title"]?.string
    } ?? []
  }

  @Test func repoOptionInEveryPosition() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Found")
    let repo = sandbox.repo
    for arguments in [
      ["list", "--json", "--repo", repo], ["list", "--repo=\(repo)", "--json"],
      ["--repo", repo, "list", "--json"], ["--repo=\(repo)", "list", "--json"],
      ["--json", "--repo", repo, "list"], ["--repo", repo, "--json", "list"],
    ] {
      #expect(try listed(sandbox, arguments) == ["Found"], "tack \(arguments)")
    }
  }

  @Test func repoOptionPointsAtASubfolder() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Deep")
    #expect(
      try listed(sandbox, ["list", "--json", "--repo", sandbox.repo + "/boards/main"]) == ["Deep"])
  }

  @Test func tackRepoEnvironment() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Via env")
    #expect(
      try listed(sandbox, ["list", "--json"], env: ["TACK_REPO": sandbox.repo]) == ["Via env"])
    let output = try sandbox.tack(
      ["add", "Written via env"], env: ["TACK_REPO": sandbox.repo], in: sandbox.root)
    #expect(output.status == 0, "\(output)")
    #expect(try sandbox.commitCount() == 3)
    #expect(try sandbox.status() == "")
  }

  @Test func repoOptionWinsOverTackRepo() throws {
    let first = try Sandbox()
    let second = try Sandbox()
    _ = try first.add("First board")
    _ = try second.add("Second board")
    #expect(
      try listed(first, ["list", "--json", "--repo", first.repo], env: ["TACK_REPO": second.repo])
        == ["First board"])
    #expect(
      try listed(first, ["--repo", first.repo, "list", "--json"], env: ["TACK_REPO": second.repo])
        == ["First board"])
    // TACK_REPO wins over the current folder.
    let output = try second.tack(["list", "--json"], env: ["TACK_REPO": first.repo])
    #expect(try JSON.parse(output.stdoutBytes)["tasks"]?[0]?["title"]?.string == "First board")
  }

  @Test func leadingGlobalOptionsOnWrites() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.ok(["--repo", sandbox.repo, "add", "Lead"], in: sandbox.root)
      .trimmingCharacters(in: .newlines)
    #expect(Sandbox.isTaskID(id))
    let moved = try sandbox.tack(["--repo", sandbox.repo, "--json", "start", id], in: sandbox.root)
    #expect(moved.status == 0, "\(moved)")
    #expect(moved.stdoutBytes == (try sandbox.committed(Sandbox.taskPath(id))))
    let answered = try sandbox.tack(["--repo", sandbox.repo, "board", "list"], in: sandbox.root)
    #expect(answered.status == 0 && answered.stdout == "main (default)\n", "\(answered)")
    #expect(try sandbox.status() == "")
  }

  /// A title that starts with '-' needs `--`; global options in front must not end up after it.
  @Test func leadingGlobalOptionsWithDoubleDash() throws {
    let sandbox = try Sandbox()
    let trailing = try sandbox.tack(
      ["add", "--repo", sandbox.repo, "--", "-v is verbose"], in: sandbox.root)
    #expect(trailing.status == 0, "\(trailing)")
    let leading = try sandbox.tack(
      ["--repo", sandbox.repo, "add", "--", "-q is quiet"], in: sandbox.root)
    #expect(leading.status == 0, "\(leading)")
    let titles = try listed(sandbox, ["list", "--json", "--repo", sandbox.repo])
    #expect(titles == ["-v is verbose", "-q is quiet"])
    let id = try #require(Sandbox.isTaskID(trailing.line) ? trailing.line : nil)
    let note = try sandbox.tack(
      ["--repo", sandbox.repo, "note", id, "--", "--force was used"], in: sandbox.root)
    #expect(note.status == 0, "\(note)")
  }

  @Test func currentFolderIsTheDefault() throws {
    let sandbox = try Sandbox()
    let output = try sandbox.tack(["add", "Here"], in: sandbox.repo + "/.tack")
    #expect(output.status == 0, "\(output)")
    let elsewhere = try sandbox.tack(["list"], in: sandbox.root)
    #expect(elsewhere.status == 7, "\(elsewhere)")
  }
}

import Foundation
import Testing

/// Races and crashes through the real binary: contested claims, and writers killed with
/// SIGKILL at random moments.
@Suite struct ReliabilityTests {
  /// K principals claim one todo task at the same moment: exactly one wins, every trial.
  @Test func aContestedClaimHasExactlyOneWinner() throws {
    let sandbox = try Sandbox(.board())
    let agents = (1...6).map { "agent\($0)" }
    for agent in agents {
      try sandbox.ok(["scope", "add", agent, "--kind", "agent"])
      try sandbox.ok(["scope", "grant", agent, "--board", "main", "--can", "read,claim"])
    }
    let tack = try Programs.tack.get()
    for trial in 1...4 {
      let id = try sandbox.add("contested \(trial)")
      let running = try agents.map { agent in
        try sandbox.start(tack, ["--as", agent, "claim", id], in: sandbox.repo)
      }
      let outputs = try running.map { try $0.wait() }
      let winners = outputs.filter { $0.status == 0 }
      #expect(winners.count == 1, "trial \(trial): \(outputs.map(\.status))")
      #expect(outputs.filter { $0.status != 0 }.allSatisfy { $0.status == 5 })
      let task =
        try JSONSerialization.jsonObject(with: Data(try sandbox.ok(["show", id, "--json"]).utf8))
        as? [String: Any]
      #expect((task?["lease"] as? [String: Any])?["holder"] as? String != nil)
      // The history has exactly one claim.
      let claims = try sandbox.git([
        "log", "--format=%(trailers:key=Tack-Action,valueonly)", "main",
      ])
      .split(separator: "\n").filter { $0 == "claim" }
      #expect(claims.count == trial)
    }
    #expect(try sandbox.status() == "")
    try sandbox.expectFsckClean()
  }

  /// Writers killed at random moments: the repository stays readable and fsck-clean, every
  /// write that was acknowledged (exit 0 with an id) is there, and a later write succeeds —
  /// a ref lock left by a killed writer is cleared by the next, which finds it named in the
  /// killed writer's record in tack.lock.
  @Test func writersKilledMidWriteLoseNothingAcknowledged() throws {
    let sandbox = try Sandbox(.board(), bare: true)
    let tack = try Programs.tack.get()
    var acknowledged: [String] = []
    var killed = 0
    var generator = SystemRandomNumberGenerator()
    for round in 0..<12 {
      let writers = try (0..<3).map { writer in
        try sandbox.start(
          tack, ["--repo", sandbox.repo, "add", "round \(round) writer \(writer)"], in: sandbox.root
        )
      }
      usleep(UInt32.random(in: 0...25_000, using: &generator))
      for writer in writers where Bool.random(using: &generator) && writer.process.isRunning {
        kill(writer.process.processIdentifier, SIGKILL)
        killed += 1
      }
      for writer in writers {
        let output = try writer.wait()
        if output.status == 0 { acknowledged.append(output.line) }
      }
    }
    let listed = try sandbox.ok(["--repo", sandbox.repo, "list", "--json"], in: sandbox.root)
    for id in acknowledged { #expect(listed.contains(id), "acknowledged \(id) is missing") }
    try sandbox.expectFsckClean()
    // A write after the carnage lands (a ref lock a killed writer left is cleared at once).
    let after = try sandbox.tack(["--repo", sandbox.repo, "add", "after"], in: sandbox.root)
    #expect(after.status == 0, "\(after)")
    print("reliability: \(acknowledged.count) acknowledged writes, \(killed) kills, nothing lost")
  }
}

@Suite struct HostileInputTests {
  /// Control characters that a hand edit put in a task never reach the terminal raw.
  @Test func controlCharactersFromAHandEditAreShownEscaped() throws {
    let sandbox = try Sandbox(.board())
    let id = try sandbox.add("plain")
    let path = try #require(try sandbox.trackedFiles().first { $0.contains(id) })
    let url = URL(fileURLWithPath: sandbox.repo + "/" + path)
    var task = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    task["title"] = "evil \u{1B}[31mred\u{1B}[0m\ttab"
    task["notes"] = [["at": "2026-01-01T00:00:00Z", "by": "x", "text": "bell\u{07} and \u{9B}csi"]]
    try JSONSerialization.data(withJSONObject: task, options: [.sortedKeys]).write(to: url)
    try sandbox.git(["commit", "-qam", "hostile hand edit"])
    for arguments in [["list"], ["show", id], ["log", id]] {
      let output = try sandbox.ok(arguments)
      #expect(
        !output.unicodeScalars.contains {
          $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B
        }, "\(arguments)")
    }
    #expect(try sandbox.ok(["list"]).contains("evil \\u{1B}[31mred"))
    // JSON output keeps the exact value, escaped as JSON.
    #expect(try sandbox.ok(["show", id, "--json"]).contains("\\u001b[31mred"))
  }

  /// Arguments that are not valid UTF-8 are refused, not silently altered.
  @Test func invalidUTF8ArgumentsAreRefused() throws {
    let sandbox = try Sandbox(.board())
    let before = try sandbox.tip()
    let output = try sandbox.run(
      "/bin/sh", ["-c", #""$TACK" add "$(printf 'bad\377title')""#],
      env: ["TACK": try Programs.tack.get()], in: sandbox.repo)
    #expect(output.status == 4)
    #expect(output.stderr.contains("not valid UTF-8"))
    #expect(try sandbox.tip() == before)
  }
}

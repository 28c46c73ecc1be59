import Foundation
import Testing

@Suite struct ImportExportTests {
  @Test func exportThenImportIntoAnotherBoardRepositoryIsLossless() throws {
    let source = try Sandbox(.board())
    _ = try source.add("first", ["--label", "ops"])
    let second = try source.add("second")
    try source.ok(["note", second, "a note"])
    let exported = try source.ok(["export"])
    #expect(exported.split(separator: "\n").count == 2)
    let file = source.root + "/io/tasks.jsonl"
    try Data(exported.utf8).write(to: URL(fileURLWithPath: file))

    let target = try Sandbox(.board())
    let before = try target.commitCount()
    try target.ok(["import", file])
    #expect(try target.commitCount() == before + 1)
    #expect(try target.ok(["export"]) == exported)
    // Importing the same tasks again collides with their ids: refused, nothing written.
    try target.expectRefused(["import", file], exit: 4, mentions: ["exists already"])
  }

  @Test func draftLinesGetIdsAndBadLinesAreNamed() throws {
    let sandbox = try Sandbox(.board())
    let file = sandbox.root + "/io/new.jsonl"
    try Data(
      "{\"title\": \"a\", \"labels\": [\"x\"]}\n\n{\"title\": \"b\", \"status\": \"working\"}\n"
        .utf8
    )
    .write(to: URL(fileURLWithPath: file))
    try sandbox.ok(["import", file])
    let listed = try sandbox.ok(["list", "--json"])
    #expect(listed.contains("\"title\": \"a\"") && listed.contains("\"status\": \"working\""))
    try Data("{\"title\": \"ok\"}\n{\"title\": \"bad\", \"status\": \"nope\"}\n".utf8)
      .write(to: URL(fileURLWithPath: file))
    try sandbox.expectRefused(["import", file], exit: 4, mentions: ["nope"])
    try Data("not json\n".utf8).write(to: URL(fileURLWithPath: file))
    try sandbox.expectRefused(["import", file], exit: 4, mentions: ["line 1"])
  }
}

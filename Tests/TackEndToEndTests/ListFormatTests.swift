import Foundation
import Testing

@Suite struct ListFormatTests {
  @Test func fieldsPrintTabSeparatedValuesForScripts() throws {
    let sandbox = try Sandbox(.board())
    let id = try sandbox.add("Ship it", ["--label", "ops"])
    let line = try sandbox.ok(["list", "--fields", "id,status,labels,title"])
    #expect(line == "\(id)\ttodo\tops\tShip it\n")
    try sandbox.expectRefused(["list", "--fields", "id,nope"], exit: 4, mentions: ["nope"])
  }

  @Test func tablesAndPagesShowRelativeTimes() throws {
    let sandbox = try Sandbox(.board())
    let id = try sandbox.add("Fresh")
    let table = try sandbox.ok(["list"])
    #expect(table.hasPrefix("ID") && table.contains("UPDATED") && table.contains("just now"))
    #expect(try sandbox.ok(["show", id]).contains("(just now)"))
  }
}

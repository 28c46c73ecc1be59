import Foundation
import Testing

/// `tack token` through the real binary: the token is printed once (stdout, alone), listed
/// without its secret, refused to a non-admin and for an unknown principal, and revoked by id.
@Suite struct TokenCLITests {
  @Test func createListRevoke() throws {
    let cast = try ScopeCLITests.Cast()
    let s = cast.sandbox
    let token = try s.ok(["token", "create", "deployer", "--expires", "30d"])
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(token.hasPrefix("tack_") && token.count == 48)
    let listed = try s.ok(["token", "list"])
    #expect(listed.contains("deployer") && listed.contains("…" + token.suffix(4)))
    #expect(listed.contains("expires"))
    #expect(!listed.contains(token))
    let json = try s.ok(["token", "list", "--json"])
    #expect(!json.contains(token) && !json.contains("sha256"))
    let id = String(listed.prefix(8))

    let unknown = try s.tack(["token", "create", "ghost"])
    #expect(unknown.status == 9 && unknown.stderr.contains("tack scope add"))
    let bad = try s.tack(["token", "create", "reader", "--expires", "soon"])
    #expect(bad.status == 4)
    for arguments in [
      ["--as", "deployer", "token", "create", "deployer"], ["--as", "reader", "token", "list"],
      ["--as", "reader", "token", "revoke", id],
    ] {
      #expect(try s.tack(arguments).status == 9, "\(arguments)")
    }
    #expect(try s.ok(["token", "list"]).contains(id))

    #expect(try s.ok(["token", "revoke", id]).contains("Revoked token \(id) of deployer"))
    let again = try s.tack(["token", "revoke", id])
    #expect(again.status == 4 && again.stderr.contains("tack token list"))
    #expect(try s.tack(["token", "list"]).stderr.contains("No tokens"))
  }
}

import Foundation
import Synchronization
import TackAccess
import TackCore
import TestSupport
import Testing

/// Bearer tokens (`tack token`): kept only as SHA-256 hashes in the git directory, outside the
/// board branch; made only by an admin, only for a principal that exists.
@Suite struct TokenTests {
  static func sha256Hex(_ text: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    let line = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return String(line.prefix(64))
  }

  @Test func aTokenIsKeptHashedInAPrivateFileOutsideGit() throws {
    let fixture = try ScopeFixture()
    let admin = try fixture.access(nil)
    let tipBefore = fixture.tip
    let (token, record) = try admin.createToken(for: "deployer")
    #expect(token.hasPrefix("tack_") && token.count == 5 + 43)
    #expect(record.principal == "deployer" && record.expires == nil)
    #expect(record.last4 == String(token.suffix(4)))

    let path = fixture.path + "/.git/tack/tokens"
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let stored = try String(contentsOfFile: path, encoding: .utf8)
    #expect(!stored.contains(token))
    #expect(!stored.contains(String(token.dropFirst(5))))
    let hash = try Self.sha256Hex(token)
    #expect(stored.contains(hash), "the file holds the SHA-256 of the token")

    // Nothing was committed, and nothing in any ref's history holds the token or its hash.
    #expect(fixture.tip == tipBefore)
    let history = try fixture.git(["log", "--all", "-p", "--format=%H"])
    #expect(!history.contains(hash) && !history.contains(token))
    #expect(try fixture.git(["status", "--porcelain"]).isEmpty)

    let tokens = try TokenStore.open(at: fixture.path)
    #expect(tokens.verify(token) == "deployer")
    #expect(tokens.verify(token + "x") == nil)
    var altered = Array(token.utf8)
    altered[10] = altered[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    #expect(tokens.verify(String(decoding: altered, as: UTF8.self)) == nil)
    #expect(tokens.verify("") == nil)
    #expect(tokens.verify(String(token.dropFirst(5))) == nil)
  }

  @Test func revokedAndExpiredTokensAreRefused() throws {
    let fixture = try ScopeFixture()
    let admin = try fixture.access(nil)
    let now = Timestamp.now()
    let (lasting, first) = try admin.createToken(for: "reader", now: now)
    let (brief, second) = try admin.createToken(for: "worker", expiresIn: 3600, now: now)
    let tokens = admin.tokenStore
    #expect(tokens.verify(brief, now: now.adding(seconds: 3599)) == "worker")
    #expect(tokens.verify(brief, now: now.adding(seconds: 3600)) == nil)
    #expect(tokens.verify(lasting, now: now.adding(seconds: 100 * 86400)) == "reader")
    #expect(try Set(admin.tokens().map(\.id)) == [first.id, second.id])

    #expect(try admin.revokeToken(first.id).principal == "reader")
    #expect(tokens.verify(lasting) == nil)
    #expect(try admin.tokens().map(\.id) == [second.id])
    #expect(throws: TackError.self) { try admin.revokeToken(first.id) }
    #expect(throws: TackError.self) { try admin.createToken(for: "reader", expiresIn: 0) }
  }

  @Test func onlyAnAdminMakesTokensAndOnlyForAKnownPrincipal() throws {
    let fixture = try ScopeFixture()
    #expect(throws: TackError.unknownPrincipal("ghost")) {
      try fixture.access(nil).createToken(for: "ghost")
    }
    for principal in ["reader", "deployer", "worker"] {
      let access = try fixture.access(principal)
      #expect(throws: TackError.self) { try access.createToken(for: principal) }
      #expect(throws: TackError.self) { try access.tokens() }
      #expect(throws: TackError.self) { try access.revokeToken("00000000") }
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/tack/tokens"))
    _ = try fixture.access("admin").createToken(for: "admin")
  }

  @Test func concurrentCreatesLoseNoToken() throws {
    let fixture = try ScopeFixture()
    let count = 16
    let made = Mutex<[String]>([])
    let path = fixture.path
    DispatchQueue.concurrentPerform(iterations: count) { _ in
      guard let access = try? BoardAccess.open(at: path),
        let (token, _) = try? access.createToken(for: "worker")
      else { return }
      made.withLock { $0.append(token) }
    }
    let tokens = made.withLock { $0 }
    #expect(tokens.count == count)
    #expect(try fixture.access(nil).tokens().count == count)
    let store = try TokenStore.open(at: fixture.path)
    for token in tokens { #expect(store.verify(token) == "worker") }
  }
}

import Foundation
import Synchronization
import TestSupport
import Testing

@testable import TackGit

/// The repository secret that signs MCP round-trip states, and HMAC-SHA256 through OpenSSL.
struct SecretTests {
  static func hex(_ bytes: [UInt8]?) -> String { SHA1Tests.hex(bytes) }

  @Test func hmacMatchesRFC4231() {
    // RFC 4231, test case 2.
    let mac = HMACSHA256.mac(
      key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
    #expect(
      Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    #expect(HMACSHA256.equal([1, 2, 3], [1, 2, 3]) && !HMACSHA256.equal([1, 2, 3], [1, 2, 4]))
    #expect(!HMACSHA256.equal([1, 2], [1, 2, 3]))
  }

  /// Made once, 0600, in the git directory all worktrees share; read back by every handle,
  /// and processes racing to make it agree on one key.
  @Test func theSecretIsMadeOnceAndShared() throws {
    let fixture = try GitFixture()
    try fixture.write("f", "x\n")
    try fixture.git(["add", "f"])
    try fixture.git(["commit", "-q", "-m", "f"])
    let keys = Mutex<[[UInt8]]>([])
    let folder = fixture.path
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let repository = try! Repository.discover(from: folder)
      let key = try! repository.secret(named: "test-key")
      keys.withLock { $0.append(key) }
    }
    let all = keys.withLock { $0 }
    #expect(all.count == 8 && Set(all.map { Self.hex($0) }).count == 1 && all[0].count == 32)
    let path = fixture.path + "/.git/tack/test-key"
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    // A linked worktree uses the same key.
    try fixture.git([
      "worktree", "add", "-q", "../\(URL(fileURLWithPath: fixture.path).lastPathComponent)-wt",
    ])
    let worktree = fixture.path + "-wt"
    defer { try? FileManager.default.removeItem(atPath: worktree) }
    #expect(try Repository.discover(from: worktree).secret(named: "test-key") == all[0])
    // No temporary files are left behind.
    let files = try FileManager.default.contentsOfDirectory(atPath: fixture.path + "/.git/tack")
    #expect(files == ["test-key"])
  }
}

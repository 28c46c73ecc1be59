import Foundation
import TestSupport
import Testing

@testable import TackGit

/// The SHA-1 of Tack's pack and index writers (OpenSSL's EVP) against known digests and git.
struct SHA1Tests {
  static func hex(_ bytes: [UInt8]?) -> String {
    (bytes ?? []).map {
      String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
    }
    .joined()
  }

  @Test func knownDigests() {
    let vectors: [(String, String)] = [
      ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
      ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
      ),
      (String(repeating: "a", count: 1_000_000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
    ]
    for (text, digest) in vectors {
      #expect(Self.hex(SHA1.digest(Array(text.utf8))) == digest)
    }
  }

  /// Blob ids as git computes them ("blob <size>\0" then the bytes), for every length across
  /// several blocks, so each path through the padding is taken.
  @Test func blobIdsMatchGit() throws {
    let folder = try TestGit.temporaryFolder("sha1")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
    var paths: [String] = []
    var expected: [String] = []
    for length in stride(from: 0, through: bytes.count, by: 7) {
      let slice = Array(bytes[0..<length])
      let path = folder + "/\(length)"
      try Data(slice).write(to: URL(fileURLWithPath: path))
      paths.append(path)
      expected.append(Self.hex(SHA1.digest(Array("blob \(length)\0".utf8) + slice)))
    }
    let ids = try TestGit.run(["hash-object"] + paths, in: folder)
    #expect(ids.split(separator: "\n").map(String.init) == expected)
  }
}

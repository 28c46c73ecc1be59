import Testing

@testable import TackGit

/// The SHA-1 of Tack's pack writers: both engines (the x86 SHA extensions, where this
/// processor has them, and the portable rounds) against known digests and each other.
struct SHA1Tests {
  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map {
      String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
    }
    .joined()
  }

  @Test(arguments: [false, true])
  func knownDigests(portable: Bool) {
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
      #expect(Self.hex(SHA1.digest(Array(text.utf8), portable: portable)) == digest)
    }
  }

  /// Every length across several blocks, so each path through the padding and the
  /// whole-block loop is taken.
  @Test func enginesAgree() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<700).map { _ in UInt8.random(in: 0...255, using: &generator) }
    for length in 0...bytes.count {
      let slice = Array(bytes[0..<length])
      #expect(SHA1.digest(slice) == SHA1.digest(slice, portable: true), "length \(length)")
    }
  }
}

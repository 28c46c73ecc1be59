internal import CLibGit2

/// The SHA-1 that Tack's pack writers use for pack checksums and the ids in the indexes they
/// build (CLibGit2/packfile.c): the x86 SHA extensions when the processor has them, portable
/// rounds otherwise. Object ids of new objects still come from libgit2 (SHA-1DC).
enum SHA1 {
  /// The digest of `bytes`; `portable` forces the portable rounds.
  static func digest(_ bytes: [UInt8], portable: Bool = false) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 20)
    bytes.withUnsafeBytes { tack_sha1_digest($0.baseAddress, $0.count, portable ? 1 : 0, &digest) }
    return digest
  }
}

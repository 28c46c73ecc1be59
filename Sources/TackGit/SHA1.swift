internal import CLibGit2

/// The SHA-1 that Tack's pack and index writers use for checksums and the ids in the indexes
/// they build (CLibGit2/packfile.c): OpenSSL's EVP, whose assembly uses the processor's SHA
/// instructions (x86 SHA extensions, ARMv8) where there are any. Object ids of new objects
/// still come from libgit2 (SHA-1DC).
enum SHA1 {
  /// The digest of `bytes`; `nil` when OpenSSL could not compute one.
  static func digest(_ bytes: [UInt8]) -> [UInt8]? {
    var digest = [UInt8](repeating: 0, count: 20)
    let code = bytes.withUnsafeBytes { tack_sha1_digest($0.baseAddress, $0.count, &digest) }
    return code == 0 ? digest : nil
  }
}

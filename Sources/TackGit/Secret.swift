#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

internal import CLibGit2

/// HMAC-SHA256 through OpenSSL's libcrypto (CLibGit2/crypto.c).
public enum HMACSHA256 {
  /// The 32-byte MAC of `bytes` under `key`; `nil` when OpenSSL could not compute one.
  public static func mac(key: [UInt8], _ bytes: [UInt8]) -> [UInt8]? {
    var mac = [UInt8](repeating: 0, count: 32)
    let code = key.withUnsafeBytes { key in
      bytes.withUnsafeBytes { bytes in
        tack_hmac_sha256(key.baseAddress, key.count, bytes.baseAddress, bytes.count, &mac)
      }
    }
    return code == 0 ? mac : nil
  }

  /// Whether two MACs are equal, in time independent of where they differ.
  public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
  }
}

extension Repository {
  /// A secret of this repository: 32 random bytes in `tack/NAME` of the git directory all
  /// worktrees share, made once (mode 0600) and read afterwards, so every process serving the
  /// repository — a restarted one too — uses the same key. Two processes making it at the
  /// same time agree: the file appears whole (a link of a finished temporary file), and the
  /// one that loses the race reads the winner's.
  public func secret(named name: String) throws(GitError) -> [UInt8] {
    guard let folder = cacheDirectory else {
      throw GitError(
        kind: .other, call: "mkdir",
        message:
          "cannot create \(commonDirectory)tack/ for the key \(name): make the git directory writable"
      )
    }
    let path = folder + name
    if let key = try LocalFile.read(path), key.count == 32 { return key }
    var key = [UInt8](repeating: 0, count: 32)
    guard tack_random_bytes(&key, key.count) == 0 else {
      throw GitError(kind: .other, call: "RAND_bytes", message: "OpenSSL gave no random bytes")
    }
    let temporary = path + ".tack-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd < 0 { throw LocalFile.posixError("open", temporary) }
    defer { unlink(temporary) }
    let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if written != key.count || fsync(fd) != 0 {
      let error = LocalFile.posixError("write", temporary)
      close(fd)
      throw error
    }
    if close(fd) != 0 { throw LocalFile.posixError("close", temporary) }
    if link(temporary, path) != 0 {
      guard errno == EEXIST else { throw LocalFile.posixError("link", path) }
      guard let existing = try LocalFile.read(path), existing.count == 32 else {
        throw GitError(
          kind: .other, call: "read",
          message: "\(path) is not a 32-byte key: remove it and Tack makes a new one")
      }
      return existing
    }
    return key
  }
}

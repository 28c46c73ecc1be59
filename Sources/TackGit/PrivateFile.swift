#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

internal import CLibGit2

/// SHA-256 through OpenSSL's libcrypto (CLibGit2/hmac.c).
public enum SHA256 {
  /// The 32-byte digest of `bytes`; `nil` when OpenSSL could not compute it.
  public static func digest(_ bytes: [UInt8]) -> [UInt8]? {
    var digest = [UInt8](repeating: 0, count: 32)
    let code = bytes.withUnsafeBytes { tack_sha256($0.baseAddress, $0.count, &digest) }
    return code == 0 ? digest : nil
  }
}

/// Bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
  public static func bytes(_ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    return tack_random_bytes(&bytes, count) == 0 ? bytes : nil
  }
}

extension Repository {
  /// The path of `tack/NAME` in the git directory all worktrees share: outside every branch,
  /// so nothing kept there reaches git history.
  public func privateFilePath(named name: String) throws(GitError) -> String {
    guard let folder = cacheDirectory else {
      throw GitError(
        kind: .other, call: "mkdir",
        message:
          "cannot create \(commonDirectory)tack/ for \(name): make the git directory writable"
      )
    }
    return folder + name
  }

  /// The bytes of `tack/NAME`, or `nil` when there is no such file.
  public func readPrivateFile(named name: String) throws(GitError) -> [UInt8]? {
    try LocalFile.read(privateFilePath(named: name))
  }

  /// Rewrites `tack/NAME` (mode 0600) under an exclusive lock on `tack/NAME.lock` (flock, so a
  /// killed process leaves no lock behind): `change` gets the current bytes (`nil` when there
  /// are none) and returns the new ones (`nil`: leave the file as it is), written to a temporary
  /// file, fsynced and renamed into place, so a reader sees the old file or the new one.
  public func updatePrivateFile(
    named name: String, _ change: ([UInt8]?) -> [UInt8]?
  ) throws(GitError) {
    let path = try privateFilePath(named: name)
    let lockPath = path + ".lock"
    let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    if lock < 0 { throw LocalFile.posixError("open", lockPath) }
    defer { close(lock) }
    while flock(lock, LOCK_EX) != 0 {
      guard errno == EINTR else { throw LocalFile.posixError("flock", lockPath) }
    }
    guard let content = change(try LocalFile.read(path)) else { return }
    let temporary = path + ".tack-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd < 0 { throw LocalFile.posixError("open", temporary) }
    var written = 0
    while written < content.count {
      let count = content.withUnsafeBytes {
        write(fd, $0.baseAddress! + written, $0.count - written)
      }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      written += count
    }
    if written != content.count || fsync(fd) != 0 {
      let error = LocalFile.posixError("write", temporary)
      close(fd)
      unlink(temporary)
      throw error
    }
    if close(fd) != 0 {
      let error = LocalFile.posixError("close", temporary)
      unlink(temporary)
      throw error
    }
    if rename(temporary, path) != 0 {
      let error = LocalFile.posixError("rename", path)
      unlink(temporary)
      throw error
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The few file-system calls TackGit needs for a working tree, on POSIX directly.
enum LocalFile {
  /// The file's bytes, or `nil` when it does not exist.
  static func read(_ path: String) throws(GitError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw posixError("open", path)
    }
    defer { close(fd) }
    // Sized once from fstat (caches are megabytes) and not zero-filled first; a file that
    // grows meanwhile is read on in further steps.
    var info = stat()
    var capacity = (fstat(fd, &info) == 0 ? Int(info.st_size) : 0) + 1
    var result: [UInt8] = []
    while true {
      var failed = false
      let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
        while count < buffer.count {
          let got = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
          if got < 0 && errno == EINTR { continue }
          if got < 0 { failed = true }
          if got <= 0 { return }
          count += got
        }
      }
      if failed { throw posixError("read", path) }
      if result.isEmpty { result = chunk } else { result += chunk }
      if chunk.count < capacity { return result }
      capacity = 64 * 1024
    }
  }

  /// Writes a temporary file next to `path` and renames it into place, creating folders.
  static func writeAtomically(_ path: String, _ content: [UInt8]) throws(GitError) {
    try makeParents(of: path)
    let temporary = path + temporarySuffix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw posixError("open", temporary) }
    var written = 0
    while written < content.count {
      let count = content.withUnsafeBytes {
        Glibc.write(fd, $0.baseAddress! + written, $0.count - written)
      }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 {
        let error = posixError("write", temporary)
        close(fd)
        unlink(temporary)
        throw error
      }
      written += count
    }
    // A full disk or a network file system may report a failed write only here.
    if close(fd) != 0 {
      let error = posixError("close", temporary)
      unlink(temporary)
      throw error
    }
    if rename(temporary, path) != 0 {
      let error = posixError("rename", path)
      unlink(temporary)
      throw error
    }
  }

  private static let temporarySuffix = ".tack-"

  /// Removes the temporary files `writeAtomically(path, …)` calls left next to `path` when
  /// their process was killed before the rename. Only for a caller that knows no such call is
  /// running (it holds the writers' lock).
  static func removeTemporaries(of path: String) {
    let folder = parent(of: path) + "/"
    let prefix = String(path.dropFirst(folder.count)) + temporarySuffix
    guard path.hasPrefix(folder), let names = names(in: folder) else { return }
    for name in names where name.hasPrefix(prefix) { unlink(folder + name) }
  }

  /// The names in `folder` (not `.` and `..`), or `nil` when it cannot be read.
  static func names(in folder: String) -> [String]? {
    guard let directory = opendir(folder) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Removes `path` and then any folders it leaves empty, stopping at `root`.
  static func remove(_ path: String, pruningUpTo root: String) {
    unlink(path)
    var folder = parent(of: path)
    while folder.count > root.count, rmdir(folder) == 0 { folder = parent(of: folder) }
  }

  /// Whether a file (or folder) is at `path`.
  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// The file's size in bytes, or `nil` when it does not exist.
  static func size(_ path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
  }

  /// Seconds since the file last changed, or `nil` when it does not exist.
  static func age(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int(now.tv_sec) - Int(info.st_mtim.tv_sec)
  }

  private static func makeParents(of path: String) throws(GitError) {
    let folder = parent(of: path)
    guard !folder.isEmpty, mkdir(folder, 0o755) != 0, errno != EEXIST else { return }
    guard errno == ENOENT else { throw posixError("mkdir", folder) }
    try makeParents(of: folder)
    if mkdir(folder, 0o755) != 0 && errno != EEXIST { throw posixError("mkdir", folder) }
  }

  private static func parent(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    return String(path[..<slash])
  }

  static func posixError(_ call: String, _ path: String) -> GitError {
    GitError(
      kind: .other, code: errno, call: call, message: "\(path): \(String(cString: strerror(errno)))"
    )
  }
}

/// An exclusive `flock` on a file, released on `release()` or when the process exits.
struct FileLock {
  private let fd: Int32

  static func acquire(
    path: String, until deadline: ContinuousClock.Instant, clock: ContinuousClock
  )
    throws(GitError) -> FileLock
  {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    if fd < 0 { throw LocalFile.posixError("open", path) }
    // Writers hold the lock for a millisecond or two: short pauses keep the hand-over quick
    // when several queue (a longer sleep would leave the lock idle).
    var pause: UInt32 = 25
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        let error = LocalFile.posixError("flock", path)
        close(fd)
        throw error
      }
      guard clock.now < deadline else {
        close(fd)
        throw GitError(
          kind: .conflict, call: "flock",
          message: "another tack process kept \(path) locked; try again")
      }
      usleep(pause)
      pause = min(pause * 2, 200)
    }
    return FileLock(fd: fd)
  }

  /// The lock if nobody holds it, else `nil` at once.
  static func tryAcquire(path: String) throws(GitError) -> FileLock? {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    if fd < 0 { throw LocalFile.posixError("open", path) }
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      if errno == EINTR { continue }
      let busy = errno == EWOULDBLOCK
      let error = LocalFile.posixError("flock", path)
      close(fd)
      if busy { return nil }
      throw error
    }
    return FileLock(fd: fd)
  }

  func release() {
    flock(fd, LOCK_UN)
    close(fd)
  }

  /// What the holder wrote in the file (see `LockRecord`): empty when nothing.
  func recorded() -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: 4096) { buffer, count in
      count = max(0, pread(fd, buffer.baseAddress, buffer.count, 0))
    }
  }

  /// Replaces what the file holds with `bytes` (empty: clears it). Not synced: a record
  /// matters only to the next writer on this machine, after a crash of this process, not of
  /// the machine (a reboot releases every lock anyway, and `LockOwner` then says gone).
  func record(_ bytes: [UInt8]) {
    let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    if written == bytes.count { ftruncate(fd, off_t(bytes.count)) } else { ftruncate(fd, 0) }
  }
}

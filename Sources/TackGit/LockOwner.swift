#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A process, known well enough to tell later whether it is still running: its pid, when it
/// started (a pid is reused; a start time is not) and the machine it runs on (a repository on
/// a shared disk is used from several).
struct LockOwner: Equatable, Sendable {
  var pid: Int32
  /// Linux: clock ticks after boot (`/proc/<pid>/stat`, field 22); 0 where it is not known.
  var start: UInt64
  var host: String

  /// This process.
  static let current = LockOwner(
    pid: getpid(), start: startTime(of: getpid()) ?? 0, host: hostName())

  /// Whether the process is certainly gone: it ran on this machine, and no process has its
  /// pid, or the one that has it started at another time. Anything unsure counts as running.
  var isGone: Bool {
    guard host == Self.current.host, pid > 0 else { return false }
    if kill(pid, 0) != 0 { return errno == ESRCH }
    // A killed process its parent has not reaped yet (a zombie) still has its pid, but
    // holds nothing: its files, and so its locks' descriptors, are closed.
    guard start != 0, let (state, now) = Self.status(of: pid) else { return false }
    return now != start || state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
  }

  static func startTime(of pid: Int32) -> UInt64? { status(of: pid)?.start }

  /// The state letter (field 3) and start time (field 22) of `/proc/<pid>/stat`.
  private static func status(of pid: Int32) -> (state: UInt8, start: UInt64)? {
    #if os(Linux)
      guard let bytes = try? LocalFile.read("/proc/\(pid)/stat"),
        let close = bytes.lastIndex(of: UInt8(ascii: ")"))
      else { return nil }
      // After "pid (name)": field 3 onwards.
      let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
      guard fields.count > 19, let state = fields[0].first,
        let start = UInt64(String(decoding: fields[19], as: UTF8.self))
      else { return nil }
      return (state, start)
    #else
      return nil
    #endif
  }

  private static func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// Which file a lock is: a lock removed and taken again by someone else is another file, with
/// another inode or change time.
struct FileIdentity: Equatable, Sendable {
  var device: UInt64
  var inode: UInt64
  var changed: timespec

  init(device: UInt64, inode: UInt64, changed: timespec) {
    self.device = device
    self.inode = inode
    self.changed = changed
  }

  init(_ info: stat) {
    self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), changed: info.st_ctim)
  }

  /// The file at `path` (not following a symbolic link), or `nil` when there is none.
  init?(path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    self.init(info)
  }

  static func == (left: FileIdentity, right: FileIdentity) -> Bool {
    left.device == right.device && left.inode == right.inode
      && left.changed.tv_sec == right.changed.tv_sec
      && left.changed.tv_nsec == right.changed.tv_nsec
  }
}

/// What a Tack writer holding `tack.lock` records in that file about the git locks it takes,
/// so that the next writer can clear the ones it left if it was killed — and only those.
///
/// - `opening`: the `index.lock` it is about to create, and when it began (a writer killed
///   between creating it and recording its identity leaves only this);
/// - `index`: the `index.lock` it created, with that file's identity (Tack never writes to
///   the lock file, so the identity holds until the lock goes);
/// - `swap`: the ref lock libgit2 takes inside the compare-and-swap, and when the swap began.
///
/// The record is cleared when the write ends. A record found by the next holder of
/// `tack.lock` was left by a writer that stopped mid-write (see `Repository.clearOwnDeadLocks`).
struct LockRecord: Equatable, Sendable {
  var owner: LockOwner
  var opening: (path: String, began: timespec)?
  var index: (path: String, identity: FileIdentity)?
  var swap: (lock: String, began: timespec)?
  /// The writer may hold `.keep` files on its new packs (CLibGit2/pending.c, "tack write
  /// <pid>") until its branch moves.
  var keeps = false

  static func == (left: LockRecord, right: LockRecord) -> Bool {
    left.owner == right.owner && left.index?.path == right.index?.path
      && left.index?.identity == right.index?.identity && left.swap?.lock == right.swap?.lock
      && left.swap?.began.tv_sec == right.swap?.began.tv_sec
      && left.swap?.began.tv_nsec == right.swap?.began.tv_nsec && left.keeps == right.keeps
      && left.opening?.path == right.opening?.path
      && left.opening?.began.tv_sec == right.opening?.began.tv_sec
      && left.opening?.began.tv_nsec == right.opening?.began.tv_nsec
  }

  init(owner: LockOwner, index: (String, FileIdentity)? = nil, swap: (String, timespec)? = nil) {
    self.owner = owner
    self.index = index.map { (path: $0.0, identity: $0.1) }
    self.swap = swap.map { (lock: $0.0, began: $0.1) }
  }

  /// One field a line, paths last on their line (they may hold spaces).
  var bytes: [UInt8] {
    var text = "tack-locks 1\nowner \(owner.pid) \(owner.start) \(owner.host)\n"
    if let opening {
      text += "opening \(opening.began.tv_sec) \(opening.began.tv_nsec) \(opening.path)\n"
    }
    if let index {
      let id = index.identity
      text +=
        "index \(id.device) \(id.inode) \(id.changed.tv_sec) \(id.changed.tv_nsec) \(index.path)\n"
    }
    if let swap { text += "swap \(swap.began.tv_sec) \(swap.began.tv_nsec) \(swap.lock)\n" }
    if keeps { text += "keeps\n" }
    return Array(text.utf8)
  }

  /// The record in `bytes`, or `nil` when there is none (or it is not one this code wrote).
  init?(bytes: [UInt8]) {
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    guard lines.first == "tack-locks 1" else { return nil }
    var owner: LockOwner?
    var index: (String, FileIdentity)?
    var swap: (String, timespec)?
    var keeps = false
    var opening: (path: String, began: timespec)?
    for line in lines.dropFirst() {
      let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
      switch fields.first {
      case "owner" where fields.count >= 3:
        guard let pid = Int32(fields[1]), let start = UInt64(fields[2]) else { return nil }
        let host = fields.count > 3 ? fields[3...].joined(separator: " ") : ""
        owner = LockOwner(pid: pid, start: start, host: host)
      case "index" where fields.count == 6:
        guard let device = UInt64(fields[1]), let inode = UInt64(fields[2]),
          let seconds = Int(fields[3]), let nanoseconds = Int(fields[4])
        else { return nil }
        let changed = timespec(tv_sec: seconds, tv_nsec: nanoseconds)
        index = (String(fields[5]), FileIdentity(device: device, inode: inode, changed: changed))
      case "swap" where fields.count >= 4:
        let parts = line.split(separator: " ", maxSplits: 3)
        guard parts.count == 4, let seconds = Int(parts[1]), let nanoseconds = Int(parts[2])
        else { return nil }
        swap = (String(parts[3]), timespec(tv_sec: seconds, tv_nsec: nanoseconds))
      case "opening" where fields.count >= 4:
        let parts = line.split(separator: " ", maxSplits: 3)
        guard parts.count == 4, let seconds = Int(parts[1]), let nanoseconds = Int(parts[2])
        else { return nil }
        opening = (String(parts[3]), timespec(tv_sec: seconds, tv_nsec: nanoseconds))
      case "keeps" where fields.count == 1:
        keeps = true
      default:
        return nil
      }
    }
    guard let owner else { return nil }
    self.init(owner: owner, index: index, swap: swap)
    self.keeps = keeps
    self.opening = opening
  }
}

internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// libgit2 must be initialised once per process; a global `let` runs its initialiser once,
/// thread-safely, on first use.
let libgit2Ready: Void = { tack_git_init() }()

/// An open git repository. Not thread-safe: keep one per thread or behind an actor.
public final class Repository {
  let pointer: OpaquePointer
  /// Set by `update` when something needed attention but did not fail the write: the commit
  /// landed while the checked-out files could not follow, or a dead lock was cleared.
  public internal(set) var writeWarning: String?
  /// Holds a write's new objects until they go to disk as one pack (CLibGit2/pending.c);
  /// attached to the object database on the first write.
  var pending: OpaquePointer?
  /// Whether `update` writes each commit's new objects as one pack (on by default); off,
  /// they go loose, as plain git and libgit2 write them (tests of loose-object packing).
  var packsEachWrite = true
  /// Set while `update` runs: the object database must not be replaced under it.
  var updating = false
  /// Branch tips read since the object database was last opened (see `refreshObjectsIfDue`).
  private var tipReads = 0
  /// The packs counted at this handle's last read of the pack folder, plus those its writes
  /// have added since, and how many background folds had finished then (see
  /// `packCountMayExceed`); `nil` until the folder is read.
  var packsSeen: (count: Int, foldsFinished: Int)?

  init(pointer: OpaquePointer) {
    self.pointer = pointer
  }

  deinit { git_repository_free(pointer) }

  /// Opens the repository containing `path`, searching parent folders like git does.
  public static func discover(from path: String) throws(GitError) -> Repository {
    _ = libgit2Ready
    var repo: OpaquePointer?
    let code = git_repository_open_ext(&repo, path, 0, nil)
    if code == GIT_ENOTFOUND.rawValue {
      throw GitError(
        kind: .notARepository, code: code, call: "git_repository_open_ext",
        message: "not a git repository (or any parent up to the root): \(absolute(path))")
    }
    try check("git_repository_open_ext", code)
    return Repository(pointer: repo!)
  }

  /// Whether libgit2 fsyncs the objects, refs and packs it writes (process-wide; off by
  /// default, as in libgit2). With it on, an acknowledged write survives a power loss.
  public static func setFsync(_ enabled: Bool) throws(GitError) {
    _ = libgit2Ready
    try check(
      "git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR)", tack_git_enable_fsync(enabled ? 1 : 0))
  }

  /// Creates a repository at `path` (like `git init`), or opens the one already there.
  public static func initialize(at path: String, bare: Bool = false) throws(GitError) -> Repository
  {
    _ = libgit2Ready
    var repo: OpaquePointer?
    try check("git_repository_init", git_repository_init(&repo, path, bare ? 1 : 0))
    return Repository(pointer: repo!)
  }

  private static func absolute(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

  /// The working tree folder, with a trailing slash; `nil` for a bare repository.
  public var workdir: String? { git_repository_workdir(pointer).map { String(cString: $0) } }

  /// The git directory (`.git/` or the bare repository itself), with a trailing slash.
  public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

  /// The directory shared by all worktrees of this repository.
  var commonDirectory: String { String(cString: git_repository_commondir(pointer)) }

  /// Where Tack keeps its caches (`tack/` in the git directory all worktrees share), with a
  /// trailing slash. Created on first use; `nil` when it cannot be (a read-only repository).
  public var cacheDirectory: String? {
    let folder = commonDirectory + "tack/"
    if mkdir(folder, 0o755) != 0 && errno != EEXIST { return nil }
    return folder
  }

  /// The branch HEAD points to (`refs/heads/...`), even when it has no commit yet.
  public func headBranch() throws(GitError) -> String {
    var ref: OpaquePointer?
    try check("git_reference_lookup", git_reference_lookup(&ref, pointer, "HEAD"))
    defer { git_reference_free(ref) }
    guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC,
      let target = git_reference_symbolic_target(ref).map({ String(cString: $0) }),
      target.hasPrefix("refs/heads/")
    else {
      throw GitError(
        kind: .noBranch, call: "HEAD",
        message: "HEAD is detached; check out a branch (git switch BRANCH) and try again")
    }
    return target
  }

  /// The commit a reference points to, or `nil` when it does not exist yet.
  public func tip(of reference: String) throws(GitError) -> OID? {
    refreshObjectsIfDue()
    var raw = git_oid()
    let code = git_reference_name_to_id(&raw, pointer, reference)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check("git_reference_name_to_id", code)
    return OID(raw)
  }

  /// Every write adds a small pack, and folds remove them; libgit2 learns of new packs when
  /// an object is missing, but never forgets removed ones, so a long-lived handle (the MCP
  /// server) would look through ever more of them, holding their files open. Every so many
  /// operations (each reads a tip first) the handle drops its object database, with its
  /// caches, and opens it afresh on next use: one pack-folder read.
  private func refreshObjectsIfDue() {
    guard !updating else { return }
    tipReads += 1
    guard tipReads >= 128 else { return }
    reopenObjects()
  }

  /// Drops the object database (and libgit2's caches): the next use opens it afresh, with
  /// the packs now in the folder. After this handle packed, and every so many operations.
  func reopenObjects() {
    guard !updating else { return }
    tipReads = 0
    packsSeen = nil  // counted again at the next check
    pending = nil  // owned by the object database that goes
    git_repository__cleanup(pointer)
  }

  /// Runs a lookup of objects by id; when an object is not found, reads the pack folder
  /// again and tries twice more. libgit2 reads the folder once on a miss, and a fold in
  /// another process may meanwhile have written a new pack and removed the old one that held
  /// the object: one read of a directory that changes under it can miss both.
  func retryingVanishedPacks<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var tries = 0
    while true {
      do {
        return try body()
      } catch  where error.kind == .notFound && tries < 2 {
        tries += 1
        refreshObjectDatabase()
      }
    }
  }

  /// Reads the pack folder again (libgit2 does so by itself only on a miss).
  func refreshObjectDatabase() {
    var odb: OpaquePointer?
    guard git_repository_odb(&odb, pointer) == 0 else { return }
    git_odb_refresh(odb)
    git_odb_free(odb)
  }

  /// A value from git's configuration (repository, global and system levels).
  public func configValue(_ key: String) -> String? {
    var config: OpaquePointer?
    guard git_repository_config_snapshot(&config, pointer) == 0 else { return nil }
    defer { git_config_free(config) }
    var value: UnsafePointer<CChar>?
    guard git_config_get_string(&value, config, key) == 0, let value else { return nil }
    return String(cString: value)
  }

  /// Sets a value in this repository's own configuration (`.git/config`).
  public func setConfigValue(_ key: String, _ value: String) throws(GitError) {
    var config: OpaquePointer?
    try check("git_repository_config", git_repository_config(&config, pointer))
    defer { git_config_free(config) }
    var local: OpaquePointer?
    try check(
      "git_config_open_level", git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL))
    defer { git_config_free(local) }
    try check("git_config_set_string", git_config_set_string(local, key, value))
  }

  /// Who git would say authored a commit made here, read as git reads it:
  /// `GIT_AUTHOR_EMAIL`, else `user.email` (local, global or system config), else `EMAIL`;
  /// the name from `GIT_AUTHOR_NAME`, else `user.name`, else the email's local part. `nil`
  /// when no email is set anywhere — git then refuses to commit, and so does Tack.
  public func defaultSignature() -> Signature? {
    Self.identity(role: "AUTHOR", config: configValue)
  }

  /// Who git would record as the committer here (`GIT_COMMITTER_*`, then as `defaultSignature`).
  public func committerSignature() -> Signature? {
    Self.identity(role: "COMMITTER", config: configValue)
  }

  /// `defaultSignature` outside any repository (global and system config, the environment):
  /// what the author of a repository's first commit will be, known before creating it.
  public static func userSignature() -> Signature? {
    _ = libgit2Ready
    var config: OpaquePointer?
    guard git_config_open_default(&config) == 0 else { return nil }
    defer { git_config_free(config) }
    var snapshot: OpaquePointer?
    guard git_config_snapshot(&snapshot, config) == 0 else { return nil }
    defer { git_config_free(snapshot) }
    return identity(role: "AUTHOR") { key in
      var value: UnsafePointer<CChar>?
      guard git_config_get_string(&value, snapshot, key) == 0, let value else { return nil }
      return String(cString: value)
    }
  }

  private static func identity(role: String, config: (String) -> String?) -> Signature? {
    func environment(_ name: String) -> String? {
      guard let value = getenv(name), value.pointee != 0 else { return nil }
      return String(cString: value)
    }
    let configured = config("user.email").flatMap { $0.isEmpty ? nil : $0 }
    guard
      let email = environment("GIT_\(role)_EMAIL") ?? configured ?? environment("EMAIL")
    else { return nil }
    let name =
      environment("GIT_\(role)_NAME") ?? config("user.name").flatMap { $0.isEmpty ? nil : $0 }
      ?? String(email.prefix { $0 != "@" })
    return Signature(name: name, email: email)
  }
}

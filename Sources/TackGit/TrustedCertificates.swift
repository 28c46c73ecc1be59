internal import CLibGit2

/// The CA certificates libgit2 trusts for https remotes. Tack defers loading them from the
/// system bundle until the first TLS connection (CLibGit2/startup.c); this is how tests see it.
enum TrustedCertificates {
  /// Whether the bundle was left for the first TLS connection to load (libgit2 linked
  /// statically); false when libgit2 loaded it at start-up.
  static var deferred: Bool {
    _ = libgit2Ready
    return tack_git_ca_deferred() == 1
  }

  /// Loads the bundle now if it is still waiting and returns how many certificates are
  /// trusted, or nil when libgit2 loaded them itself and Tack cannot count them.
  static func loadNow() -> Int? {
    _ = libgit2Ready
    let count = tack_git_ca_load_now()
    return count < 0 ? nil : Int(count)
  }
}

internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How Tack trusts an SSH server: its host key must be listed for that host (and port) in
/// the known_hosts files OpenSSH reads by default — `~/.ssh/known_hosts`,
/// `~/.ssh/known_hosts2`, `/etc/ssh/ssh_known_hosts`, `/etc/ssh/ssh_known_hosts2` (plain or
/// hashed host names, `[host]:port` for another port than 22) — read with libssh2's parser.
/// An unknown host or a different key is refused, never accepted silently, with a message
/// that names the key's fingerprint and says what to do. (libgit2 1.5.1 checks only
/// `~/.ssh/known_hosts` by itself and refuses anything else with "invalid or unknown remote
/// ssh hostkey"; this check replaces it, so the system-wide files count too.)
enum KnownHosts {
  static var files: [String] {
    var files: [String] = []
    if let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty {
      files += [home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"]
    }
    return files + ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]
  }

  /// The port of an ssh remote URL: `ssh://[user@]host[:port]/path` (also `ssh+git://`,
  /// `git+ssh://`); 22 for the scp-like `[user@]host:path` and anything else.
  static func port(ofURL url: String) -> Int32 {
    let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, ["ssh", "ssh+git", "git+ssh"].contains(parts[0].lowercased())
    else { return 22 }
    let rest = parts[1]
    var authority = rest.prefix { $0 != "/" }
    if let at = authority.lastIndex(of: "@") {
      authority = authority[authority.index(after: at)...]
    }
    // `[::1]:2222`: the port follows the bracket.
    if let bracket = authority.lastIndex(of: "]") {
      authority = authority[authority.index(after: bracket)...]
    }
    guard let colon = authority.lastIndex(of: ":"),
      let port = Int32(authority[authority.index(after: colon)...]), port > 0
    else { return 22 }
    return port
  }

  /// How known_hosts names a host: `host`, or `[host]:port` for another port.
  static func name(_ host: String, port: Int32) -> String {
    port == 22 ? host : "[\(host)]:\(port)"
  }

  /// libgit2's certificate check, for SSH host keys (TLS certificates keep libgit2's own
  /// check against the CA bundle): 0 when the key is known for this host, else an error
  /// saying what was wrong and what to do.
  static let check: git_transport_certificate_check_cb = { cert, _, host, payload in
    guard let cert, tack_ssh_host_key_type(cert) >= 0 else { return GIT_PASSTHROUGH.rawValue }
    let port = payload?.assumingMemoryBound(to: TransportState.self).pointee.port ?? 22
    let host = host.map { String(cString: $0) } ?? ""
    let files = KnownHosts.files
    var fingerprint = [CChar](repeating: 0, count: 64)
    let copies = files.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let found = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { list in
      tack_ssh_known_host(cert, host, port, list.baseAddress, list.count, &fingerprint)
    }
    if found == 0 { return 0 }
    let key = String(
      decoding: fingerprint.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let named = name(host, port: port)
    let message: String
    switch found {
    case 1:
      message =
        "the SSH host key of \(named) (\(key)) is not the one known_hosts records for it: someone may be intercepting the connection, or the server's key changed; nothing was fetched or pushed. If the server's admin confirms a new key, remove the old one with ssh-keygen -R '\(named)', record the new one, and run tack sync again"
    case 2:
      message =
        "\(named) is not a known SSH host (its key \(key) is in none of ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts); Tack never trusts an unknown host key. Check the fingerprint with the server's admin, record the key by connecting once with ssh (ssh -p \(port) \(host), answer yes) or with ssh-keyscan -p \(port) \(host) >> ~/.ssh/known_hosts, and run tack sync again"
    default:
      message =
        "the SSH host key of \(named) cannot be checked against known_hosts (libgit2 gave no key of a type libssh2 knows); nothing was fetched or pushed"
    }
    git_error_set_str(Int32(GIT_ERROR_SSH.rawValue), message)
    return GIT_ECERTIFICATE.rawValue
  }
}

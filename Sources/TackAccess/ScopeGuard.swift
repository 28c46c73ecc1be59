import Synchronization
import TackCore

/// Applies `.tack/scopes.json`, as it stands in the commit being read, to one identity.
final class ScopeGuard: AccessGuard {
  enum Identity: Sendable {
    /// A principal named with `--as` / `TACK_PRINCIPAL` (or an MCP server's `--as`).
    case principal(String)
    /// The local git identity: full rights until somebody holds `admin`, then only what
    /// the person principal with this email is granted.
    case local(email: String)
  }

  let identity: Identity
  /// The last scopes file parsed, by blob id: a long-running server parses it once.
  private let cache = Mutex<(id: String, scopes: Scopes)?>(nil)

  init(identity: Identity) { self.identity = identity }

  func scopes(in snapshot: ScopeSnapshot) throws(TackError) -> Scopes {
    guard let id = try snapshot.settingsFileID(Scopes.fileName) else { return Scopes() }
    if let cached = cache.withLock({ $0 }), cached.id == id { return cached.scopes }
    guard let bytes = try snapshot.settingsFile(Scopes.fileName) else { return Scopes() }
    let scopes = try Scopes(fileContents: bytes)
    cache.withLock { $0 = (id, scopes) }
    return scopes
  }

  func rules(in snapshot: ScopeSnapshot) throws(TackError) -> any AccessRules {
    let scopes = try scopes(in: snapshot)
    switch identity {
    case .principal(let id):
      guard let entry = scopes.entries[id] else { throw .unknownPrincipal(id) }
      return PrincipalRules(entry: entry)
    case .local(let email):
      guard scopes.isConfined else { return FullAccess() }
      guard let entry = scopes.person(withEmail: email) else {
        throw .forbidden(
          "this repository is confined (someone holds admin in .tack/scopes.json) and your git identity \(email) is not a principal there: ask an admin to add you (tack scope add ID --kind person --email \(email)), or act as a principal with --as."
        )
      }
      return PrincipalRules(entry: entry)
    }
  }
}

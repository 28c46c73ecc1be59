import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Who is acting through a front end: a person or an agent.
public struct Principal: Sendable, Hashable {
  public var id: String
  public var kind: Actor.Kind
  public var name: String
  public var email: String

  public init(id: String, kind: Actor.Kind, name: String, email: String) {
    self.id = id
    self.kind = kind
    self.name = name
    self.email = email
  }

  var actor: Actor { Actor(id: id, kind: kind, name: name, email: email) }

  /// The person at this shell: the repository's git identity (`user.name`, `user.email`), or
  /// `$USER@localhost` when git has none configured.
  static func localPerson(identity: (name: String, email: String)?) -> Principal {
    if let identity {
      return Principal(
        id: identity.email, kind: .person, name: identity.name, email: identity.email)
    }
    let user =
      getenv("USER").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "tack"
    return Principal(id: "\(user)@localhost", kind: .person, name: user, email: "\(user)@localhost")
  }
}

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

  /// Principal ids: `[a-z0-9][a-z0-9._@+-]*`, at most 64 characters, no `..` — an agent's
  /// name or a person's email.
  public static func validateID(_ id: String) throws(TackError) {
    let bytes = Array(id.utf8)
    let allowed = { (b: UInt8) in
      (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 46 || b == 95 || b == 64 || b == 43
        || b == 45
    }
    guard !bytes.isEmpty, bytes.count <= 64,
      (bytes[0] >= 97 && bytes[0] <= 122) || (bytes[0] >= 48 && bytes[0] <= 57),
      bytes.allSatisfy(allowed), !id.contains("..")
    else {
      throw .invalidName(
        kind: "principal id", value: id,
        reason:
          "use 1 to 64 lowercase letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit, without '..'"
      )
    }
  }

  /// The email written on commits for a principal that has none.
  static func defaultEmail(for id: String) -> String {
    id.contains("@") ? id : "\(id)@tack.invalid"
  }

  /// The person at this shell: the repository's git identity (`user.name`, `user.email`).
  /// Without one, a nameless person with no email: reads work, and every write is refused
  /// (`TackError.noIdentity`), as git refuses a commit.
  static func localPerson(identity: (name: String, email: String)?) -> Principal {
    if let identity {
      return Principal(
        id: identity.email, kind: .person, name: identity.name, email: identity.email)
    }
    return Principal(id: "", kind: .person, name: "", email: "")
  }
}

import TackGit

/// Who performs a write: a person (by their git identity) or an agent. The commit's author
/// and its `Tack-Actor` trailer come from here.
public struct Actor: Sendable, Hashable {
  public enum Kind: String, Sendable, CaseIterable { case person, agent }

  /// Stable id: an agent's principal id, or a person's email.
  public var id: String
  public var kind: Kind
  public var name: String
  public var email: String

  public init(id: String, kind: Kind, name: String, email: String) {
    self.id = id
    self.kind = kind
    self.name = name
    self.email = email
  }

  /// The value of the `Tack-Actor` trailer, e.g. `agent:deployer`.
  public var trailer: String { "\(kind.rawValue):\(id)" }

  var signature: Signature { Signature(name: name, email: email) }
}

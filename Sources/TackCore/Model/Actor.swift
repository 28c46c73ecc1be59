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

  /// Set when this actor acts through a principal rather than as one: the person using an
  /// agent's host, who answered a question the host put to them (elicitation). The value
  /// is the principal's trailer (`agent:deployer`).
  public var onBehalfOf: String?

  public init(id: String, kind: Kind, name: String, email: String, onBehalfOf: String? = nil) {
    self.id = id
    self.kind = kind
    self.name = name
    self.email = email
    self.onBehalfOf = onBehalfOf
  }

  /// The person using `principal`'s MCP host, who answered through elicitation (or a 2026
  /// input round trip). Git tells their answer from the agent's: the author names them, and
  /// the commit carries `Tack-On-Behalf-Of` and `Tack-Answered-Through: elicitation`.
  public static func hostUser(of principal: Actor) -> Actor {
    Actor(
      id: "host-user@\(principal.id)", kind: .person,
      name: "Host's user through elicitation on behalf of \(principal.id)",
      email: principal.email, onBehalfOf: principal.trailer)
  }

  /// The value of the `Tack-Actor` trailer, e.g. `agent:deployer`.
  public var trailer: String { "\(kind.rawValue):\(id)" }

  var signature: Signature { Signature(name: name, email: email) }
}

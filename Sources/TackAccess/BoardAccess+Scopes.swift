import TackCore

/// Managing `.tack/scopes.json`: reading it and changing it take `admin` on every board
/// (`--board '*'`), except that a principal may always read its own entry. Each change is one
/// commit, so `git log .tack/scopes.json` is the audit trail.
extension BoardAccess {
  /// Every principal, by id.
  public func scopes() throws(TackError) -> Scopes {
    try store.authorize(.admin, board: Grant.everyBoard)
    return try currentScopes()
  }

  /// One principal's entry.
  public func scope(_ id: String) throws(TackError) -> Scopes.Entry {
    try Principal.validateID(id)
    if id != principal.id { try store.authorize(.admin, board: Grant.everyBoard) }
    guard let entry = try currentScopes().entries[id] else { throw .unknownPrincipal(id) }
    return entry
  }

  public func addPrincipal(
    _ id: String, kind: Actor.Kind, name: String?, email: String?
  )
    throws(TackError) -> Scopes.Entry
  {
    try Principal.validateID(id)
    if let name { try Names.validateText(name, as: "name", maxBytes: 200, singleLine: true) }
    if let email { try Self.validateEmail(email) }
    let entry = Scopes.Entry(
      principal: Principal(
        id: id, kind: kind, name: name ?? id, email: email ?? Principal.defaultEmail(for: id)),
      grants: [])
    try changeScopes(action: "scope-add", subject: "scopes: add \(kind.rawValue) \(id)") {
      (scopes) throws(TackError) in
      guard scopes.entries[id] == nil else {
        throw .invalidInput("principal \(id) exists already; 'tack scope show \(id)' shows it.")
      }
      scopes.entries[id] = entry
    }
    return entry
  }

  /// Sets the principal's grant on `board` (replacing any it had there).
  public func grant(
    _ id: String, board: String, labels: [String]?, can: Set<Verb>
  )
    throws(TackError) -> Scopes.Entry
  {
    try Principal.validateID(id)
    if board != Grant.everyBoard { _ = try store.board(board) }
    for label in labels ?? [] { try Names.validate(label, as: "label") }
    if let labels, labels.isEmpty { throw .invalidInput("give at least one --label, or none.") }
    guard !can.isEmpty else { throw .invalidInput("--can needs at least one action.") }
    let grant = Grant(board: board, labels: labels, can: can)
    var result: Scopes.Entry?
    try changeScopes(
      action: "scope-grant", subject: "scopes: grant \(id) \(grant.summary)"
    ) { (scopes) throws(TackError) in
      guard var entry = scopes.entries[id] else { throw .unknownPrincipal(id) }
      entry.grants.removeAll { $0.board == board }
      entry.grants.append(grant)
      scopes.entries[id] = entry
      result = entry
    }
    return result!
  }

  public func revoke(_ id: String, board: String) throws(TackError) -> Scopes.Entry {
    try Principal.validateID(id)
    if board != Grant.everyBoard { try Names.validate(board, as: "board name") }
    var result: Scopes.Entry?
    try changeScopes(action: "scope-revoke", subject: "scopes: revoke \(id) on \(board)") {
      (scopes) throws(TackError) in
      guard var entry = scopes.entries[id] else { throw .unknownPrincipal(id) }
      guard entry.grants.contains(where: { $0.board == board }) else {
        throw .invalidInput("principal \(id) has no grant on board \(board).")
      }
      entry.grants.removeAll { $0.board == board }
      scopes.entries[id] = entry
      result = entry
    }
    return result!
  }

  public func removePrincipal(_ id: String) throws(TackError) {
    try Principal.validateID(id)
    try changeScopes(action: "scope-remove", subject: "scopes: remove \(id)") {
      (scopes) throws(TackError) in
      guard scopes.entries.removeValue(forKey: id) != nil else { throw .unknownPrincipal(id) }
    }
  }

  private func currentScopes() throws(TackError) -> Scopes {
    try store.settingsFile(Scopes.fileName).map { (bytes) throws(TackError) in
      try Scopes(fileContents: bytes)
    } ?? Scopes()
  }

  private func changeScopes(
    action: String, subject: String, _ change: (inout Scopes) throws(TackError) -> Void
  ) throws(TackError) {
    try store.updateSettingsFile(Scopes.fileName, action: action, subject: subject, actor: actor) {
      (bytes) throws(TackError) in
      var scopes =
        try bytes.map { (bytes) throws(TackError) in try Scopes(fileContents: bytes) }
        ?? Scopes()
      try change(&scopes)
      return scopes.fileContents
    }
  }

  private static func validateEmail(_ email: String) throws(TackError) {
    try Names.validateText(email, as: "email", maxBytes: 200, singleLine: true)
    guard email.contains("@"), !email.contains(" "), !email.contains("<"), !email.contains(">")
    else { throw .invalidInput("email \(email) is not an address like name@example.com.") }
  }
}

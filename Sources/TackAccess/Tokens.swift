import TackCore

/// A bearer token as it is kept: never the token itself, only its SHA-256, beside who it is
/// for and when it ends. The file (`tack/tokens` in the git directory, mode 0600) is outside
/// the board branch, so no token or hash ever enters git history.
public struct TokenRecord: Sendable, Equatable {
  public var id: String
  public var principal: String
  public var created: Timestamp
  public var expires: Timestamp?
  /// The token's last four characters, to tell tokens apart in a list.
  public var last4: String
  /// SHA-256 of the token's UTF-8 bytes, lowercase hex.
  var hash: String

  public func isExpired(at now: Timestamp) -> Bool { expires.map { $0 <= now } ?? false }

  var json: JSONValue {
    var fields: [String: JSONValue] = [
      "id": .string(id), "principal": .string(principal), "created": .string(created.description),
      "last4": .string(last4), "sha256": .string(hash),
    ]
    if let expires { fields["expires"] = .string(expires.description) }
    return .object(fields)
  }

  init?(_ json: JSONValue) {
    guard let id = json["id"]?.stringValue, let principal = json["principal"]?.stringValue,
      let created = json["created"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }),
      let last4 = json["last4"]?.stringValue, let hash = json["sha256"]?.stringValue
    else { return nil }
    var expires: Timestamp?
    if let text = json["expires"]?.stringValue {
      guard let time = Timestamp(rfc3339: text) else { return nil }
      expires = time
    }
    self.init(
      id: id, principal: principal, created: created, expires: expires, last4: last4, hash: hash)
  }

  init(
    id: String, principal: String, created: Timestamp, expires: Timestamp?, last4: String,
    hash: String
  ) {
    self.id = id
    self.principal = principal
    self.created = created
    self.expires = expires
    self.last4 = last4
    self.hash = hash
  }
}

/// The bearer tokens of a repository (`tack token`; the MCP server over HTTP verifies them).
public final class TokenStore: @unchecked Sendable {
  static let fileName = "tokens"
  /// What every token starts with, so a leaked one is recognisable (and secret scanners can
  /// find it).
  public static let prefix = "tack_"

  let store: Store

  init(store: Store) { self.store = store }

  /// The tokens of the board repository containing `path`, for verifying them (no principal
  /// is needed for that; managing them goes through `BoardAccess`).
  public static func open(at path: String) throws(TackError) -> TokenStore {
    TokenStore(store: try Store.open(discoveringFrom: path))
  }

  /// Where the hashes are kept.
  public var path: String { (try? store.privateFilePath(named: Self.fileName)) ?? "tack/tokens" }

  /// The principal a bearer token stands for, or `nil` when it is unknown, revoked or expired.
  /// Its SHA-256 is compared with every stored hash in constant time.
  public func verify(_ bearer: String, now: Timestamp = .now()) -> String? {
    guard bearer.hasPrefix(Self.prefix), bearer.utf8.count < 200,
      let digest = Store.sha256(Array(bearer.utf8)),
      let records = try? records()
    else { return nil }
    var found: TokenRecord?
    for record in records {
      guard let stored = Self.bytes(hex: record.hash) else { continue }
      if Store.macsEqual(stored, digest) { found = record }
    }
    guard let found, !found.isExpired(at: now) else { return nil }
    return found.principal
  }

  func records() throws(TackError) -> [TokenRecord] {
    try Self.decode(store.privateFile(named: Self.fileName))
  }

  static func decode(_ bytes: [UInt8]?) throws(TackError) -> [TokenRecord] {
    guard let bytes else { return [] }
    guard let json = try? JSONValue.parse(bytes), let list = json["tokens"]?.arrayValue else {
      throw .invalidInput(
        "the token file is damaged: remove it (every token is then revoked) and create new ones")
    }
    return list.compactMap(TokenRecord.init)
  }

  static func encode(_ records: [TokenRecord]) -> [UInt8] {
    (["tokens": .array(records.map(\.json))] as JSONValue).serializedBytes(pretty: true)
  }

  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func bytes(hex: String) -> [UInt8]? {
    let utf8 = Array(hex.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
      switch c {
      case 48...57: c - 48
      case 97...102: c - 87
      default: nil
      }
    }
    var out: [UInt8] = []
    var index = 0
    while index < utf8.count {
      guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
      out.append(high << 4 | low)
      index += 2
    }
    return out
  }

  /// base64url without padding (RFC 4648 §5).
  static func base64url(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let chunk = bytes[index..<min(index + 3, bytes.count)]
      var value: UInt32 = 0
      for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
      for digit in 0..<(chunk.count + 1) {
        out.append(alphabet[Int(value >> (18 - 6 * digit) & 63)])
      }
      index += 3
    }
    return String(decoding: out, as: UTF8.self)
  }
}

extension BoardAccess {
  /// `tack token create`: a new bearer token for `principalID`, returned once (only its hash
  /// is kept). Needs `admin` on every board (or nobody holding admin yet, as for `tack scope`);
  /// the principal must exist in `.tack/scopes.json`.
  public func createToken(
    for principalID: String, expiresIn seconds: Int64? = nil, now: Timestamp = .now()
  ) throws(TackError) -> (token: String, record: TokenRecord) {
    try store.authorize(.admin, board: Grant.everyBoard)
    try Principal.validateID(principalID)
    let scopes =
      try store.settingsFile(Scopes.fileName).map { (bytes) throws(TackError) in
        try Scopes(fileContents: bytes)
      } ?? Scopes()
    guard scopes.entries[principalID] != nil else { throw .unknownPrincipal(principalID) }
    if let seconds, seconds <= 0 {
      throw .invalidInput("--expires must be a positive duration such as 30d or 12h.")
    }
    guard let secret = Store.randomBytes(32), let idBytes = Store.randomBytes(4) else {
      throw .git("OpenSSL gave no random bytes; try again")
    }
    let token = TokenStore.prefix + TokenStore.base64url(secret)
    guard let digest = Store.sha256(Array(token.utf8)) else {
      throw .git("SHA-256: OpenSSL could not compute a digest")
    }
    let record = TokenRecord(
      id: TokenStore.hex(idBytes), principal: principalID, created: now,
      expires: seconds.map { now.adding(seconds: $0) }, last4: String(token.suffix(4)),
      hash: TokenStore.hex(digest))
    try store.updatePrivateFile(named: TokenStore.fileName) { (bytes) throws(TackError) in
      var records = try TokenStore.decode(bytes)
      records.append(record)
      return TokenStore.encode(records)
    }
    return (token, record)
  }

  /// `tack token list`: every token's id, principal, dates and last four characters (no
  /// secret: none is kept). Needs `admin` on every board.
  public func tokens() throws(TackError) -> [TokenRecord] {
    try store.authorize(.admin, board: Grant.everyBoard)
    return try TokenStore(store: store).records().sorted {
      ($0.created, $0.id) < ($1.created, $1.id)
    }
  }

  /// `tack token revoke`: the token stops working at once (its record is removed). Needs
  /// `admin` on every board.
  public func revokeToken(_ id: String) throws(TackError) -> TokenRecord {
    try store.authorize(.admin, board: Grant.everyBoard)
    var removed: TokenRecord?
    try store.updatePrivateFile(named: TokenStore.fileName) { (bytes) throws(TackError) in
      var records = try TokenStore.decode(bytes)
      guard let index = records.firstIndex(where: { $0.id == id }) else {
        throw .invalidInput("no token \(id): 'tack token list' shows the tokens and their ids.")
      }
      removed = records.remove(at: index)
      return TokenStore.encode(records)
    }
    return removed!
  }

  /// The token store of this repository (for a server that verifies bearer tokens).
  public var tokenStore: TokenStore { TokenStore(store: store) }
}

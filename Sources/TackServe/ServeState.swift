import Foundation
import TackAccess
import TackCore
import TackMCP

/// What the server's requests share: the one `BoardAccess` (libgit2 objects are not for two
/// threads at once, so every use holds `accessLock`, and runs on `queue`, off Swift's
/// cooperative threads), the login token not yet used, the sessions, the board branch's tip
/// as last seen, and whether a shutdown has begun (event streams end then, so the server
/// can drain). `lock` guards the small state only, so no check waits for a git write.
final class ServeState: @unchecked Sendable {
  private let lock = NSLock()
  private let accessLock = NSLock()
  private let access: BoardAccess
  /// Where git work runs: one at a time, on a thread of its own.
  private let queue = DispatchQueue(label: "tack-serve.board")
  private var revision: String??
  /// Where the server listens, as browsers send it in `Host` (filled in once bound).
  private var allowedHosts: Set<String> = []
  private var loginToken: String?
  private var sessions: [String: Session] = [:]
  private var stopping = false
  private var buckets: [String: RateBucket] = [:]
  let defaultBoard: String?
  /// The largest request body taken; a larger one gets 413.
  let maxBody: Int

  struct Session {
    /// Must come back in `X-Tack-CSRF` with every write.
    var csrf: String
  }

  /// MCP over Streamable HTTP (`/mcp`), with its own sessions and board access per
  /// principal; `nil` answers 501.
  let mcp: MCPHTTPHandler?
  /// Where MCP requests run: off Swift's cooperative threads, apart from the page's git work.
  private let mcpQueue = DispatchQueue(label: "tack-serve.mcp")
  /// The largest MCP request body taken.
  static let maxMCPBody = 4 * 1024 * 1024

  init(
    access: BoardAccess, defaultBoard: String?, maxBody: Int = 256 * 1024,
    mcp: MCPHTTPHandler? = nil
  ) {
    self.mcp = mcp
    self.access = access
    self.defaultBoard = defaultBoard
    self.maxBody = maxBody
    loginToken = Self.randomToken()
  }

  /// Runs `body` with the board, one request at a time.
  func withAccess<Result>(
    _ body: (BoardAccess) throws(TackError) -> Result
  ) throws(TackError)
    -> Result
  {
    accessLock.lock()
    defer { accessLock.unlock() }
    return try body(access)
  }

  /// Runs `body` on the board's own thread and waits for it without holding a cooperative
  /// thread.
  func onBoard<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
      queue.async { continuation.resume(returning: body()) }
    }
  }

  /// Runs one MCP request on the MCP thread and waits for it without holding a cooperative
  /// thread.
  func onMCP<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
      mcpQueue.async { continuation.resume(returning: body()) }
    }
  }

  /// The board branch's tip as the watch last read it (`nil` before the first read).
  var lastRevision: String?? { locked { revision } }

  /// Reads the tip every `interval` until the server stops: one watch for every event
  /// stream, as the MCP server watches the ref.
  func watch(every interval: Duration = .milliseconds(250)) async {
    while !isStopping {
      let now = await onBoard { [self] in
        try? withAccess { access throws(TackError) in try access.revision() }
      }
      locked { revision = .some(now ?? nil) }
      try? await Task.sleep(for: interval)
    }
  }

  private func locked<Result>(_ body: () -> Result) -> Result {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }

  /// The one-time token of the login URL (until it is used).
  var pendingLoginToken: String? { locked { loginToken } }

  /// `host`: the address as bound; `port`: the port bound. A loopback server also answers
  /// to `localhost`, the name a person may type.
  func bound(host: String, port: Int) {
    let shown = host.contains(":") ? "[\(host)]" : host
    var names: Set<String> = ["\(shown):\(port)".lowercased()]
    if ["127.0.0.1", "::1", "localhost"].contains(host.lowercased()) {
      names.formUnion(["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"])
    }
    locked { allowedHosts = names }
  }

  func hostAllowed(_ host: String?) -> Bool {
    guard let host else { return false }
    return locked { allowedHosts.contains(host.lowercased()) }
  }

  /// Trades the login token for a new session id (nil when the token is wrong or used).
  func logIn(token: String) -> String? {
    locked {
      guard let expected = loginToken, Self.same(token, expected) else { return nil }
      loginToken = nil
      let id = Self.randomToken()
      sessions[id] = Session(csrf: Self.randomToken())
      return id
    }
  }

  /// Whether one more request may pass `bucket`'s limit now (and counts it).
  private func take(_ key: String, _ limit: RateLimit) -> Bool {
    locked {
      let now = DispatchTime.now().uptimeNanoseconds
      var bucket = buckets[key] ?? RateBucket(tokens: limit.burst, last: now)
      let allowed = bucket.take(limit, now: now)
      buckets[key] = bucket
      return allowed
    }
  }

  /// Requests without a session (sign-in attempts, refused API calls): one shared limit.
  func allowAnonymous() -> Bool { take("anonymous", .anonymous) }
  /// Writes of one signed-in session.
  func allowWrite(session id: String) -> Bool { take("session " + id, .writes) }
  /// MCP requests, all clients together (one shared limit: a bucket per credential would let
  /// made-up credentials grow the table).
  func allowMCP() -> Bool { take("mcp", .mcp) }

  func session(_ id: String?) -> Session? {
    guard let id else { return nil }
    return locked { sessions[id] }
  }

  var isStopping: Bool { locked { stopping } }
  func stop() { locked { stopping = true } }

  /// 32 random bytes as hex, from the system's generator.
  static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<32).map { _ in
      let byte = UInt8.random(in: 0...255, using: &generator)
      return String(byte, radix: 16).count == 1
        ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }.joined()
  }

  /// Compares in time independent of where the strings differ.
  static func same(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
  }
}

/// How many requests a second a kind of client may make, and how many at once.
struct RateLimit {
  let perSecond: Double
  let burst: Double

  static let anonymous = RateLimit(perSecond: 10, burst: 30)
  static let writes = RateLimit(perSecond: 20, burst: 60)
  static let mcp = RateLimit(perSecond: 100, burst: 200)
}

/// A token bucket: refilled at the limit's rate, up to its burst.
struct RateBucket {
  var tokens: Double
  var last: UInt64

  mutating func take(_ limit: RateLimit, now: UInt64) -> Bool {
    let elapsed = Double(now &- last) / 1e9
    tokens = min(limit.burst, tokens + elapsed * limit.perSecond)
    last = now
    guard tokens >= 1 else { return false }
    tokens -= 1
    return true
  }
}

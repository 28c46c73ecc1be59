import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TackAccess
import TackCore
import TackMCP

/// `tack serve`: the web board over HTTP, for the local user.
public enum WebServer {
  /// Why the server could not run.
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public var exitCode: Int32
  }

  /// Serves `access`'s boards on `host:port` (port 0: any free port) until SIGINT or SIGTERM,
  /// then lets requests in flight finish. `announce` gets the login URL once the port is
  /// bound.
  public static func run(
    access: BoardAccess, mcp: MCPHTTPHandler? = nil, host: String, port: Int, board: String?,
    announce: @escaping @Sendable (String) -> Void
  ) throws(Failure) {
    let state = ServeState(access: access, defaultBoard: board, mcp: mcp)
    var logger = Logger(label: "tack-serve")
    logger.logLevel = .critical
    let app = Application(
      responder: ServeResponder(state: state),
      configuration: ApplicationConfiguration(
        address: .hostname(host, port: port), serverName: "tack", reuseAddress: false),
      onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? port
        state.bound(host: host, port: bound)
        let shown = host.contains(":") ? "[\(host)]" : host
        announce("http://\(shown):\(bound)/login?token=\(state.pendingLoginToken ?? "")")
      },
      logger: logger)
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [app], gracefulShutdownSignals: [], logger: logger))

    // SIGINT/SIGTERM: event streams end first (they would hold the drain open), then the
    // server stops taking connections and finishes the requests in flight.
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let sources = [SIGINT, SIGTERM].map { number in
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        state.stop()
        Task { await group.triggerGracefulShutdown() }
      }
      source.resume()
      return source
    }
    defer { sources.forEach { $0.cancel() } }

    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
      do {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
          tasks.addTask { await state.watch() }
          tasks.addTask {
            defer { state.stop() }
            try await group.run()
          }
          try await tasks.waitForAll()
        }
      } catch {
        outcome.set(error)
      }
      done.signal()
    }
    done.wait()
    access.finishBackgroundPacking(within: .seconds(10))
    if let error = outcome.error {
      throw Failure(description: describe(error, host: host, port: port), exitCode: 1)
    }
  }

  /// The message for a server that could not start: a taken port says so and what to do.
  static func describe(_ error: any Error, host: String, port: Int) -> String {
    let text = String(describing: error)
    if text.contains("Address already in use") || text.contains("EADDRINUSE") {
      return
        "port \(port) on \(host) is taken by another program: stop it, or choose another port with --port (0 picks a free one)."
    }
    if text.contains("Cannot assign requested address") || text.contains("EADDRNOTAVAIL") {
      return "cannot listen on \(host): this machine has no such address. Use --host 127.0.0.1."
    }
    return "cannot serve on \(host):\(port): \(text)"
  }

  private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? { lock.withLock { stored } }
    func set(_ error: any Error) { lock.withLock { stored = error } }
  }
}

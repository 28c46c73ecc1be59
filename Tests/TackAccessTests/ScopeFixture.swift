import Foundation
import TackAccess
import TackCore

/// A board repository with two boards and a cast of principals:
/// - `admin` (person, admin on every board), also the local git identity `admin@example.com`;
/// - `deployer` (agent, ops tasks labelled `deploy`: read, create, edit, transition, comment, claim);
/// - `reader` (agent, ops: read only);
/// - `worker` (agent, every action but admin on main, nothing on ops).
/// Tasks: `mainTask` on main, `deployTask` (label deploy) and `secretTask` (label secret) on ops.
final class ScopeFixture {
  let path: String
  var mainTask = ""
  var deployTask = ""
  var secretTask = ""

  init() throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("tackaccess-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try git(["init", "-q", "-b", "main"])
    try git(["config", "user.name", "Admin"])
    try git(["config", "user.email", "admin@example.com"])
    let local = try BoardAccess.initialize(at: path, board: "main").access
    _ = try local.addBoard("ops")
    mainTask = try local.create(title: "main work").taskId.rawValue
    deployTask = try local.create(title: "deploy v2", board: "ops", labels: ["deploy"]).taskId
      .rawValue
    secretTask = try local.create(title: "rotate keys", board: "ops", labels: ["secret"]).taskId
      .rawValue
    _ = try local.addPrincipal("admin", kind: .person, name: "Admin", email: "admin@example.com")
    _ = try local.grant("admin", board: "*", labels: nil, can: [.admin])
    _ = try local.addPrincipal(
      "deployer", kind: .agent, name: "Deploy Bot", email: "deployer@agents.example")
    _ = try local.grant(
      "deployer", board: "ops", labels: ["deploy"],
      can: [.read, .create, .edit, .transition, .comment, .claim])
    _ = try local.addPrincipal("reader", kind: .agent, name: nil, email: nil)
    _ = try local.grant("reader", board: "ops", labels: nil, can: [.read])
    _ = try local.addPrincipal("worker", kind: .agent, name: nil, email: nil)
    _ = try local.grant(
      "worker", board: "main", labels: nil, can: Set(Verb.allCases).subtracting([.admin]))
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  func access(_ principal: String?) throws -> BoardAccess {
    try BoardAccess.open(at: path, as: principal)
  }

  @discardableResult
  func git(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", path] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = path
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = Pipe()
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  var tip: String { (try? git(["rev-parse", "main"])) ?? "" }
}

import Foundation
import TestSupport
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
    path = try TestGit.temporaryFolder("tackaccess")
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
    try TestGit.run(arguments, in: path, allowFailure: true)
  }

  var tip: String { (try? git(["rev-parse", "main"])) ?? "" }
}

import ArgumentParser
import TackAccess
import TackCore

struct ScopeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scope",
    abstract: "Principals and what each may do (.tack/scopes.json); changes need admin on '*'.",
    discussion: """
      Actions: read, create, edit, transition, comment, claim, answer, approve, admin. Every \
      grant lets its holder read what it covers; an agent answers a confirmation only with \
      approve, and never its own; admin allows everything on its board, and admin \
      on every board (--board '*') is what changing scopes or adding boards takes. \
      Until somebody holds admin, the local git identity has full rights.
      """,
    subcommands: [
      ListScopes.self, ShowScope.self, AddPrincipal.self, GrantScope.self, RevokeScope.self,
      RemovePrincipal.self,
    ], defaultSubcommand: ListScopes.self)

  struct ListScopes: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the principals and their grants.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
      try running(global) { () throws(TackError) in
        let scopes = try global.open().scopes()
        let entries = scopes.entries.keys.sorted().map { scopes.entries[$0]! }
        if global.json {
          Console.json(["principals": .array(entries.map(\.json))])
          return
        }
        if entries.isEmpty {
          Console.info(
            "No principals: the local git identity has full rights. Add one with 'tack scope add'.")
          return
        }
        for entry in entries { Console.out(scopeLine(entry)) }
      }
    }
  }

  struct ShowScope: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Show one principal.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The principal's id.") var id: String

    func run() throws {
      try running(global) { () throws(TackError) in
        let entry = try global.open().scope(id)
        if global.json { Console.json(entry.json) } else { Console.out(scopeLine(entry)) }
      }
    }
  }

  struct AddPrincipal: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add a principal (with no grants yet).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Its id: lowercase letters, digits, '.', '_', '@', '+', '-'.") var id: String
    @Option(help: "agent or person.") var kind: String
    @Option(help: "Display name (commit author name).") var name: String?
    @Option(help: "Email (commit author email; how a person's git identity is matched).") var email:
      String?

    func run() throws {
      try running(global) { () throws(TackError) in
        guard let kind = Actor.Kind(rawValue: kind) else {
          throw .invalidInput("--kind must be agent or person, not \(kind).")
        }
        let entry = try global.open().addPrincipal(id, kind: kind, name: name, email: email)
        if global.json {
          Console.json(entry.json)
        } else {
          Console.out(
            "Added \(kind.rawValue) \(id). Next: tack scope grant \(id) --board BOARD --can read,..."
          )
        }
      }
    }
  }

  struct GrantScope: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "grant",
      abstract: "Set a principal's grant on a board (replacing the one it had there).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The principal's id.") var id: String
    @Option(help: ArgumentHelp("A board, or '*' for every board.", valueName: "board")) var board:
      String
    @Option(
      name: .customLong("label"),
      help: ArgumentHelp("Only tasks with this label; repeatable.", valueName: "label"))
    var labels: [String] = []
    @Option(
      help: ArgumentHelp("Comma-separated actions, e.g. read,create,comment.", valueName: "actions")
    )
    var can: String

    func run() throws {
      try running(global) { () throws(TackError) in
        let verbs = try Grant.verbs(can)
        let entry = try global.open().grant(
          id, board: board, labels: labels.isEmpty ? nil : labels, can: verbs)
        if global.json { Console.json(entry.json) } else { Console.out(scopeLine(entry)) }
      }
    }
  }

  struct RevokeScope: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke", abstract: "Remove a principal's grant on a board.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The principal's id.") var id: String
    @Option(help: ArgumentHelp("A board, or '*'.", valueName: "board")) var board: String

    func run() throws {
      try running(global) { () throws(TackError) in
        let entry = try global.open().revoke(id, board: board)
        if global.json { Console.json(entry.json) } else { Console.out(scopeLine(entry)) }
      }
    }
  }

  struct RemovePrincipal: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remove", abstract: "Remove a principal and all its grants.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The principal's id.") var id: String

    func run() throws {
      try running(global) { () throws(TackError) in
        try global.open().removePrincipal(id)
        if !global.json {
          Console.out("Removed \(id).")
        } else {
          Console.json(["removed": .string(id)])
        }
      }
    }
  }
}

func scopeLine(_ entry: Scopes.Entry) -> String {
  let grants =
    entry.grants.isEmpty ? "no grants" : entry.grants.map(\.summary).joined(separator: "; ")
  return
    "\(entry.principal.id) (\(entry.principal.kind.rawValue), \(entry.principal.name) <\(entry.principal.email)>): \(grants)"
}

import ArgumentParser
import TackAccess
import TackCore

struct TokenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token",
    abstract:
      "Bearer tokens for MCP over HTTP, one principal each; managing them needs admin on '*'.",
    discussion: """
      A token stands for a principal of .tack/scopes.json: an agent that sends it \
      (Authorization: Bearer) acts with that principal's grants, and its writes are commits \
      authored by it. Only a hash of each token is kept, in tack/tokens of the git directory \
      (mode 0600), outside the board branch and git history: the token is printed once, when \
      it is created. Until somebody holds admin, the local git identity may manage tokens.
      """,
    subcommands: [CreateToken.self, ListTokens.self, RevokeToken.self],
    defaultSubcommand: ListTokens.self)

  struct CreateToken: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "create", abstract: "Make a token for a principal and print it (once).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The principal the token stands for (it must exist: 'tack scope add').")
    var principal: String
    @Option(
      help: ArgumentHelp(
        "Expire after this long, e.g. 12h or 30d (default: never).", valueName: "duration"))
    var expires: String?

    func run() throws {
      try running(global) { () throws(TackError) in
        let seconds = try expires.map { (text) throws(TackError) in try DurationText.seconds(text) }
        let (token, record) = try global.open().createToken(for: principal, expiresIn: seconds)
        if global.json {
          var json = tokenJSON(record)
          json["token"] = .string(token)
          Console.json(.object(json))
          return
        }
        Console.out(token)
        Console.info(
          "Token \(record.id) for \(principal)\(record.expires.map { ", expires \($0)" } ?? ""). It is shown only now: keep it secret (an agent sends it as Authorization: Bearer). 'tack token revoke \(record.id)' ends it."
        )
      }
    }
  }

  struct ListTokens: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List the tokens: id, principal, dates, last 4 characters.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
      try running(global) { () throws(TackError) in
        let records = try global.open().tokens()
        if global.json {
          Console.json(["tokens": .array(records.map { .object(tokenJSON($0)) })])
          return
        }
        if records.isEmpty {
          Console.info("No tokens. 'tack token create PRINCIPAL' makes one.")
          return
        }
        let now = Timestamp.now()
        for record in records {
          var line =
            "\(record.id)  \(record.principal)  …\(record.last4)  created \(record.created)"
          if let expires = record.expires {
            line += record.isExpired(at: now) ? "  expired \(expires)" : "  expires \(expires)"
          }
          Console.out(line)
        }
      }
    }
  }

  struct RevokeToken: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke", abstract: "Revoke a token: it stops working at once.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The token's id ('tack token list').") var id: String

    func run() throws {
      try running(global) { () throws(TackError) in
        let record = try global.open().revokeToken(id)
        if global.json {
          Console.json(.object(tokenJSON(record)))
        } else {
          Console.out("Revoked token \(record.id) of \(record.principal).")
        }
      }
    }
  }
}

private func tokenJSON(_ record: TokenRecord) -> [String: JSONValue] {
  var json: [String: JSONValue] = [
    "id": .string(record.id), "principal": .string(record.principal),
    "created": .string(record.created.description), "last4": .string(record.last4),
  ]
  if let expires = record.expires { json["expires"] = .string(expires.description) }
  return json
}

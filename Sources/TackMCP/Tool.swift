import TackAccess
import TackCore

/// What a tool body can fail with: a bad argument, or a refusal from the rules. The client
/// sees either as a tool result with `isError: true`.
enum ToolFailure: Error {
  case protocolError(RPCError)
  case domain(TackError)

  /// What the agent reads.
  var message: String {
    switch self {
    case .protocolError(let error): error.message
    case .domain(let error): AgentMessage.text(error)
    }
  }
}

struct ToolContext {
  let access: BoardAccess
  let defaultBoard: String?
  /// Whether the client has cancelled this call (`notifications/cancelled`): long scans ask
  /// now and then, and stop.
  var isCancelled: () -> Bool = { false }
}

/// The client's cancellation of one request, asked for only when a scan wants to know.
final class Cancellation {
  var ask: () -> Bool = { false }
  private(set) var seen = false

  /// Whether the request is cancelled: asks the transport until it is.
  func check() -> Bool {
    if !seen { seen = ask() }
    return seen
  }
}

/// One MCP tool: its definition for `tools/list` and its body.
struct Tool: Sendable {
  let name: String
  let title: String
  let description: String
  /// JSON Schema properties of the arguments, and which are required.
  let properties: [String: JSONValue]
  let required: [String]
  /// JSON Schema properties of `structuredContent`.
  let output: [String: JSONValue]
  let readOnly: Bool
  /// MCP tasks: whether a call may (`optional`) or must (`required`) run as a task.
  var taskSupport = "forbidden"
  /// The verbs a principal needs to use the tool: it is listed only to those who have them.
  var needs: Set<Verb> = [.read]
  /// Whether it can undo or end work (replace labels, cancel or fail a task), not only add.
  var destructive = false
  /// Whether calling it again with the same arguments changes nothing more.
  var idempotent = false
  let body: @Sendable (ToolContext, Arguments) throws(ToolFailure) -> JSONValue

  var argumentNames: Set<String> { Set(properties.keys) }

  var definition: JSONValue {
    [
      "name": .string(name),
      "title": .string(title),
      "description": .string(description),
      "inputSchema": [
        "type": "object", "properties": .object(properties),
        "required": .array(required.map { .string($0) }), "additionalProperties": false,
      ],
      "outputSchema": [
        "type": "object", "properties": .object(output),
        "required": .array(output.keys.filter { $0 != "nextCursor" }.sorted().map { .string($0) }),
      ],
      "execution": ["taskSupport": .string(taskSupport)],
      "annotations": [
        "readOnlyHint": .bool(readOnly), "destructiveHint": .bool(destructive),
        "idempotentHint": .bool(readOnly || idempotent),
        "openWorldHint": false,
      ],
    ]
  }

  func run(_ context: ToolContext, _ arguments: Arguments) throws(ToolFailure) -> JSONValue {
    try body(context, arguments)
  }
}

/// Runs a piece of a tool body, sorting its errors into protocol and domain failures.
func attempt<T>(_ body: () throws(TackError) -> T) throws(ToolFailure) -> T {
  do { return try body() } catch { throw .domain(error) }
}

func argument<T>(_ body: () throws(RPCError) -> T) throws(ToolFailure) -> T {
  do { return try body() } catch { throw .protocolError(error) }
}

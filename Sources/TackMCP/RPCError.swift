import TackCore

/// A JSON-RPC error object: what a request gets instead of a result.
struct RPCError: Error, Sendable {
  var code: Int
  var message: String
  var data: JSONValue?

  static let parseError = -32700
  static let invalidRequest = -32600
  static let methodNotFound = -32601
  static let invalidParams = -32602
  static let internalError = -32603
  /// MCP: a resource URI that names nothing.
  static let resourceNotFound = -32002

  static func invalidParams(_ message: String) -> RPCError {
    RPCError(code: invalidParams, message: message)
  }

  var json: JSONValue {
    var object: [String: JSONValue] = ["code": .int(Int64(code)), "message": .string(message)]
    if let data { object["data"] = data }
    return .object(object)
  }
}

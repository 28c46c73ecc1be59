import TackAccess
import TackCore

/// What the server keeps about MCP tasks between messages. Nothing of the tasks themselves:
/// every MCP task is a board task in git, read afresh when it is needed, so a restarted
/// server serves the same handles.
struct TaskState {
  static let extensionName = "io.modelcontextprotocol/tasks"
  static let relatedTask = "io.modelcontextprotocol/related-task"
  /// How often, while something is watched, the branch ref is read to notice writes made by
  /// anyone (a person answering with `tack answer`, another agent).
  static let watchInterval: Int32 = 200
  static let pollIntervalMs: Int64 = 1000

  /// Tasks this session created as MCP tasks, with the protocol status last reported.
  var watched: [String: String] = [:]
  /// Parked `tasks/result` requests, by task id.
  var waiters: [String: [JSONValue]] = [:]
  /// `elicitation/create` requests in flight: our request id → task id.
  var elicitations: [String: String] = [:]
  /// Questions already put to the client (task id + pending keys), so none is asked twice.
  var elicited: Set<String> = []
  /// A task was reported `working` at creation while its board task already waits: the
  /// move to `input_required` is notified after the client's next message.
  var begun = false
  var nextRequest = 0
  var lastRevision: String?
  /// Task-augmented calls that failed before they made a board task, by MCP task id.
  var failedCalls: [String: FailedCall] = [:]
  /// Open `subscriptions/listen` requests (2026-07-28).
  var subscriptions: [Subscription] = []
  /// Input round trips completed by this process: the state's nonce → the task it made, so a
  /// retried final call gets that task instead of a second one.
  var roundTrips: [String: String] = [:]

  var isWatching: Bool { !watched.isEmpty || !waiters.isEmpty || !subscriptions.isEmpty }
}

/// A task-augmented call that failed before it could make its board task (a bad argument, an
/// unknown board, a refused write). The client asked for a task, so it gets one, already
/// `failed`, whose `tasks/result` is the tool's `isError` result. Nothing was written to git,
/// so the handle lives in this process only, for `ttl`: its `ttl` says so, where a board
/// task's is unlimited.
struct FailedCall {
  static let prefix = "failed_"
  static let ttlMilliseconds: Int64 = 15 * 60 * 1000

  let taskID: String
  let createdAt: Timestamp
  let message: String

  init(message: String, now: Timestamp = .now()) {
    taskID = Self.prefix + TaskID.generate(at: now).ulid
    createdAt = now
    self.message = message
  }

  var expired: Bool { Timestamp.now().milliseconds - createdAt.milliseconds > Self.ttlMilliseconds }

  /// The 2025-11-25 `Task` object.
  var task: JSONValue {
    [
      "taskId": .string(taskID), "status": .string(StatusName.failed),
      "statusMessage": .string(message), "createdAt": .string(createdAt.description),
      "lastUpdatedAt": .string(createdAt.description), "ttl": .int(Self.ttlMilliseconds),
      "pollInterval": .int(TaskState.pollIntervalMs),
    ]
  }

  /// What `tasks/result` gives: the tool's error, tied to this task.
  var result: JSONValue {
    [
      "content": [["type": "text", "text": .string(message)]], "isError": true,
      "_meta": [TaskState.relatedTask: ["taskId": .string(taskID)]],
    ]
  }
}

/// How a tool call runs as a task: the 2025-11-25 tasks utility (`params.task`) or the 2026
/// extension (declared in the request's `_meta`).
enum TaskMode { case utility, `extension` }

extension MCPServer {
  // MARK: Modes

  /// Whether the request declares the 2026 tasks extension in
  /// `_meta["io.modelcontextprotocol/clientCapabilities"].extensions`.
  static func declaresTasksExtension(_ params: [String: JSONValue]) -> Bool {
    params["_meta"]?["io.modelcontextprotocol/clientCapabilities"]?["extensions"]?[
      TaskState.extensionName] != nil
  }

  /// Whether this call runs as a task, refusing the combinations the protocol forbids.
  func taskMode(for tool: Tool, _ params: [String: JSONValue]) throws(RPCError) -> TaskMode? {
    if Self.declaresTasksExtension(params) {
      // Server-directed: the legacy `params.task` is ignored; what must wait becomes a task.
      return tool.taskSupport == "required" ? .extension : nil
    }
    if tool.taskSupport == "required", Self.declaresCapabilitiesPerRequest(params) {
      throw Self.missingTasksCapability
    }
    let wantsTask = try Self.taskParams(params["task"])
    switch (tool.taskSupport, wantsTask) {
    case ("forbidden", true):
      throw RPCError(
        code: RPCError.methodNotFound, message: "Tool \(tool.name) does not run as a task")
    case ("required", false):
      throw RPCError(
        code: RPCError.methodNotFound,
        message: "Tool \(tool.name) runs only as a task: call it with params.task")
    case (_, true): return .utility
    default: return nil
    }
  }

  /// Whether `params.task` asks for a task: absent (or null) no; an object `{ttl?}` with
  /// `ttl` a whole number of milliseconds yes; anything else is a malformed request.
  static func taskParams(_ value: JSONValue?) throws(RPCError) -> Bool {
    switch value {
    case nil, .null?: return false
    case .object(let fields)?:
      if let ttl = fields["ttl"], ttl != .null {
        guard let milliseconds = ttl.intValue, milliseconds >= 0 else {
          throw .invalidParams(
            "tools/call: task.ttl must be a whole number of milliseconds (0 or more)")
        }
      }
      return true
    default:
      throw .invalidParams("tools/call: task must be an object, e.g. {\"ttl\": 60000}")
    }
  }

  /// A 2026 client declares its capabilities on every request.
  static func declaresCapabilitiesPerRequest(_ params: [String: JSONValue]) -> Bool {
    params["_meta"]?["io.modelcontextprotocol/clientCapabilities"] != nil
  }

  static let missingTasksCapability = RPCError(
    code: -32021, message: "Missing required client capability",
    data: ["requiredCapabilities": ["extensions": [TaskState.extensionName: [:]]]])

  // MARK: Shapes

  /// The protocol status of a board task, from its board's `mcpStatus`.
  func protocolStatus(_ task: BoardTask) -> String {
    (try? access.board(task.board))?.status(task.status)?.mcpStatus ?? StatusName.working
  }

  static func isTerminal(_ status: String) -> Bool {
    StatusName.terminal.contains(status)
  }

  func statusMessage(_ task: BoardTask) -> String {
    let pending = task.pendingInputKeys
    if !pending.isEmpty, task.status == StatusName.inputRequired {
      return pending.compactMap { task.inputRequests[$0]?.message }.joined(separator: " ")
    }
    return "\(task.status): \(task.title)"
  }

  /// The 2025-11-25 `Task` object. Board tasks never expire: `ttl` is null (unlimited).
  func taskObject(_ task: BoardTask, status: String? = nil) -> JSONValue {
    [
      "taskId": .string(task.taskId.rawValue), "status": .string(status ?? protocolStatus(task)),
      "statusMessage": .string(status == nil ? statusMessage(task) : "\(status!): \(task.title)"),
      "createdAt": .string(task.createdAt.description),
      "lastUpdatedAt": .string(task.updatedAt.description), "ttl": .null,
      "pollInterval": .int(TaskState.pollIntervalMs),
    ]
  }

  /// The 2026 extension's flat task, with `resultType`. A board task that ended `failed`
  /// (a declined approval, say) is a domain outcome, not a JSON-RPC error, so the extension
  /// sees it `completed` with an `isError` result, as its `failed` status is reserved for
  /// protocol errors. Pending questions appear as form elicitations in `inputRequests`.
  func extensionTask(
    _ task: BoardTask, resultType: String, status begun: String? = nil
  )
    -> JSONValue
  {
    var status = begun ?? protocolStatus(task)
    if status == StatusName.failed { status = StatusName.completed }
    var object: [String: JSONValue] = [
      "resultType": .string(resultType), "taskId": .string(task.taskId.rawValue),
      "status": .string(status), "statusMessage": .string(statusMessage(task)),
      "createdAt": .string(task.createdAt.description),
      "lastUpdatedAt": .string(task.updatedAt.description), "ttlMs": .null,
      "pollIntervalMs": .int(TaskState.pollIntervalMs),
    ]
    guard resultType == "complete" else { return .object(object) }
    switch status {
    case StatusName.inputRequired:
      var requests: [String: JSONValue] = [:]
      for key in task.pendingInputKeys {
        guard let request = task.inputRequests[key] else { continue }
        requests[key] = [
          "method": "elicitation/create",
          "params": [
            "mode": "form", "message": .string(request.message),
            "requestedSchema": Self.answerSchema(request),
          ],
        ]
      }
      object["inputRequests"] = .object(requests)
    case StatusName.completed: object["result"] = toolResult(task)
    default: break
    }
    return .object(object)
  }

  /// The form that answers one request: `{"confirmed": boolean}` or `{"text": string}` —
  /// exactly what the board task stores as its response.
  static func answerSchema(_ request: BoardTask.InputRequest) -> JSONValue {
    let field = request.type == .confirmation ? "confirmed" : "text"
    let property: JSONValue = [
      "type": request.type == .confirmation ? "boolean" : "string",
      "description": .string(request.message),
    ]
    return [
      "type": "object", "properties": .object([field: property]), "required": [.string(field)],
    ]
  }

  /// What a finished task gives as the result of the `tools/call` that made it: the task as
  /// stored (its answers and `result` included); an error result unless it completed.
  func toolResult(_ task: BoardTask) -> JSONValue {
    let structured: JSONValue = ["task": task.json]
    var object: [String: JSONValue] = [
      "content": [["type": "text", "text": .string(structured.serialized(pretty: false))]],
      "structuredContent": structured,
      "_meta": [TaskState.relatedTask: ["taskId": .string(task.taskId.rawValue)]],
    ]
    if protocolStatus(task) != StatusName.completed { object["isError"] = true }
    return .object(object)
  }

  // MARK: Methods

  func callToolAsTask(
    _ tool: Tool, _ arguments: Arguments, mode: TaskMode
  ) throws(RPCError)
    -> JSONValue
  {
    let structured: JSONValue
    do {
      structured = try tool.run(ToolContext(access: access, defaultBoard: defaultBoard), arguments)
    } catch let failure {
      return failedCall(tool.name, failure.message, mode: mode)
    }
    guard let id = structured["task"]?["taskId"]?.stringValue else {
      throw RPCError(code: RPCError.internalError, message: "\(tool.name) made no task")
    }
    let task = try boardTask(id)
    // Every task begins in `working` (2025-11-25 tasks): the creation result says so even
    // when the board task already waits for input, and the watcher then reports the move to
    // `input_required` as a status notification.
    let begun = protocolStatus(task) == StatusName.inputRequired ? StatusName.working : nil
    // Status notifications belong to the 2025-11-25 utility; the extension has clients poll
    // (or subscribe, which this server does not offer).
    if mode == .utility {
      tasks.watched[task.taskId.rawValue] = begun ?? protocolStatus(task)
      if begun != nil {
        tasks.begun = true
        tasks.lastRevision = try? access.revision()
      }
    }
    log(.info, "\(tool.name) → task \(task.taskId) (\(task.status))")
    switch mode {
    case .utility: return ["task": taskObject(task, status: begun)]
    case .extension: return extensionTask(task, resultType: "task", status: begun)
    }
  }

  /// A task-augmented call that made no board task: a utility client gets a task that has
  /// already failed, with the error as its result; the extension, whose tasks exist only once
  /// durably created, gets the error result at once.
  func failedCall(_ tool: String, _ message: String, mode: TaskMode) -> JSONValue {
    guard mode == .utility else {
      guard case .object(var result) = toolError(tool, message) else { return .null }
      result["resultType"] = "complete"
      return .object(result)
    }
    tasks.failedCalls = tasks.failedCalls.filter { !$0.value.expired }
    let call = FailedCall(message: message)
    tasks.failedCalls[call.taskID] = call
    log(.info, "\(tool) failed as task \(call.taskID): \(message)")
    return ["task": call.task]
  }

  /// A failed call's handle, unless it has expired.
  func failedCall(_ params: [String: JSONValue]) -> FailedCall? {
    guard let id = params["taskId"]?.stringValue, id.hasPrefix(FailedCall.prefix),
      let call = tasks.failedCalls[id]
    else { return nil }
    guard !call.expired else {
      tasks.failedCalls[id] = nil
      return nil
    }
    return call
  }

  func getTask(_ params: [String: JSONValue], extensionMode: Bool) throws(RPCError) -> JSONValue {
    if !extensionMode, let call = failedCall(params) { return call.task }
    let task = try boardTask(try taskID(params))
    return extensionMode ? extensionTask(task, resultType: "complete") : taskObject(task)
  }

  /// `tasks/list`: a page of the tasks this principal sees. A scan the client cancels stops
  /// and gets no answer: `nil`.
  func listTasks(
    _ params: [String: JSONValue], cancelled: Cancellation
  ) throws(RPCError) -> JSONValue? {
    var cursor: String?
    if let given = params["cursor"], given != .null {
      guard let text = given.stringValue else {
        throw .invalidParams("tasks/list: cursor must be a string from an earlier nextCursor")
      }
      cursor = text
    }
    // Only the page is parsed; the rest of the list comes from the read index.
    let all: [TaskSummary]
    do { all = try access.summaries(TaskFilter(), stop: cancelled.check).tasks } catch {
      if case .cancelled = error {
        log(.info, "tasks/list cancelled by the client; no answer")
        return nil
      }
      throw RPCError(code: RPCError.internalError, message: AgentMessage.text(error))
    }
    let page: ArraySlice<TaskSummary>
    let next: String?
    do {
      (page, next) = try ListPosition.page(
        all, list: "tasks/list", cursor: cursor, limit: Limits.defaultPageSize)
    } catch {
      throw .invalidParams("tasks/list: \(AgentMessage.text(error))")
    }
    var tasks: [JSONValue] = []
    do {
      for summary in page { tasks.append(taskObject(try summary.task())) }
    } catch {
      throw RPCError(code: RPCError.internalError, message: AgentMessage.text(error))
    }
    var result: [String: JSONValue] = ["tasks": .array(tasks)]
    if let next { result["nextCursor"] = .string(next) }
    return .object(result)
  }

  /// Cancels a task: its board task moves to `cancelled` (a commit). Cancelling a finished
  /// task, or an unknown one, is invalid: terminal is terminal.
  func cancelTask(_ params: [String: JSONValue], extensionMode: Bool) throws(RPCError) -> JSONValue
  {
    if !extensionMode, let call = failedCall(params) {
      throw .invalidParams(
        "task \(call.taskID) is already failed; a finished task cannot be cancelled")
    }
    let task = try boardTask(try taskID(params))
    let status = protocolStatus(task)
    guard !Self.isTerminal(status) else {
      throw .invalidParams(
        "task \(task.taskId) is already \(status); a finished task cannot be cancelled")
    }
    let cancelled: BoardTask
    do {
      let board = try access.board(task.board)
      guard let target = board.cancelStatus else {
        throw TackError.invalidInput("board \(board.name) has no status that cancels a task")
      }
      cancelled = try access.transition(
        task.taskId.rawValue, to: target, note: "Cancelled over MCP.")
    } catch let error as TackError {
      throw .invalidParams(AgentMessage.text(error))
    } catch {
      throw .invalidParams("\(error)")
    }
    log(.info, "cancelled task \(task.taskId)")
    return extensionMode ? ["resultType": "complete"] : taskObject(cancelled)
  }

  /// `tasks/result`: the result at once when the task is finished; otherwise the request is
  /// parked and answered when the board task reaches a terminal status — by whoever moves
  /// it. A client that declared elicitation is asked the task's pending questions meanwhile.
  func taskResult(_ params: [String: JSONValue], id: JSONValue) throws(RPCError) -> JSONValue? {
    // The revision is taken before the task is read, so a write landing in between is seen
    // by the next watch rather than missed.
    if let call = failedCall(params) { return call.result }
    let revision = try? access.revision()
    let task = try boardTask(try taskID(params))
    if Self.isTerminal(protocolStatus(task)) { return toolResult(task) }
    if tasks.waiters.isEmpty && tasks.watched.isEmpty { tasks.lastRevision = revision }
    if protocolStatus(task) == StatusName.inputRequired, let refusal = elicitationRefusal(task) {
      return taskToolError(task.taskId.rawValue, refusal)
    }
    tasks.waiters[task.taskId.rawValue, default: []].append(id)
    if protocolStatus(task) == StatusName.inputRequired { elicit(task) }
    return nil
  }

  /// 2026 extension: answers a task's input requests (`inputResponses`), as a commit.
  /// Responses to keys that are not outstanding are ignored, as the extension says; an
  /// elicitation that was declined or cancelled answers nothing.
  func updateTask(_ params: [String: JSONValue]) throws(RPCError) -> JSONValue {
    let task = try boardTask(try taskID(params))
    guard case .object(let given)? = params["inputResponses"] else {
      throw .invalidParams("tasks/update needs inputResponses (an object)")
    }
    var answers: [String: JSONValue] = [:]
    // A finished task waits for nothing: what it still lists as unanswered is not outstanding.
    let outstanding = Self.isTerminal(protocolStatus(task)) ? [] : task.pendingInputKeys
    for (key, value) in given where outstanding.contains(key) {
      if let answer = Self.normalizedAnswer(value) { answers[key] = answer }
    }
    if !answers.isEmpty {
      do { _ = try access.answerAsHostUser(task.taskId.rawValue, responses: answers) } catch {
        throw .invalidParams(AgentMessage.text(error))
      }
    }
    return ["resultType": "complete"]
  }

  /// What a client's answer stores: an elicitation result's `content` when accepted (nil when
  /// declined or cancelled); `true`/`false` for a confirmation, a string for text; or the
  /// stored shape itself.
  static func normalizedAnswer(_ value: JSONValue) -> JSONValue? {
    guard let action = value["action"] else { return value.storedAnswer }
    guard action == "accept", let content = value["content"] else { return nil }
    return content
  }

  private func taskID(_ params: [String: JSONValue]) throws(RPCError) -> String {
    guard case .string(let id)? = params["taskId"] else {
      throw .invalidParams("taskId is required (a string)")
    }
    return id
  }

  /// The board task behind an MCP task id; unknown and out-of-scope ids alike are -32602.
  private func boardTask(_ id: String) throws(RPCError) -> BoardTask {
    do { return try access.task(id) } catch { throw .invalidParams(AgentMessage.text(error)) }
  }

  // MARK: Watching

  /// Called between messages while something is watched: one ref read; when the branch
  /// moved, re-read the watched tasks, notify status changes, answer parked results.
  func watchTasks() {
    guard let revision = try? access.revision(), revision != tasks.lastRevision else { return }
    tasks.lastRevision = revision
    // Each task is read once per watch, whoever follows it.
    var read: [String: BoardTask?] = [:]
    func task(_ id: String) -> BoardTask? {
      if let known = read[id] { return known }
      let task = try? access.task(id)
      read[id] = task
      return task
    }
    for id in Set(tasks.watched.keys).union(tasks.waiters.keys) {
      guard let task = task(id) else { continue }
      let status = protocolStatus(task)
      if let reported = tasks.watched[id], reported != status {
        send([
          "jsonrpc": "2.0", "method": "notifications/tasks/status",
          "params": taskObject(task),
        ])
        tasks.watched[id] = status
      }
      if Self.isTerminal(status) {
        tasks.watched[id] = nil
        for waiter in tasks.waiters.removeValue(forKey: id) ?? [] {
          reply(id: waiter, result: toolResult(task))
        }
      } else if status == StatusName.inputRequired, tasks.waiters[id] != nil {
        if let refusal = elicitationRefusal(task) {
          failWaiters(id, refusal)
        } else {
          elicit(task)
        }
      }
    }
    notifySubscribers(task)
  }

  /// `notifications/cancelled` for a parked `tasks/result`: it gets no reply (the board task
  /// itself goes on; cancelling it is `tasks/cancel`).
  func forgetWaiter(_ requestID: JSONValue) {
    for (taskID, waiting) in tasks.waiters where waiting.contains(requestID) {
      let rest = waiting.filter { $0 != requestID }
      tasks.waiters[taskID] = rest.isEmpty ? nil : rest
      log(.info, "tasks/result \(requestID.serialized(pretty: false)) cancelled by the client")
    }
  }

  // MARK: Elicitation

  /// Why the host's user cannot be asked a task's questions although the client elicits:
  /// their answer could not be recorded (this principal may not `answer` on the board). A
  /// waiting `tasks/result` then fails visibly instead of waiting on an answer that would be
  /// dropped. `nil` when the client does not elicit (a person answers elsewhere) or can.
  func elicitationRefusal(_ task: BoardTask) -> String? {
    guard clientElicits, !task.pendingInputKeys.isEmpty else { return nil }
    do {
      try access.authorizeHostUserAnswers(board: task.board)
      return nil
    } catch {
      return
        "task \(task.taskId) waits for \(task.pendingInputKeys.joined(separator: ", ")), but your answer could not be recorded (\(AgentMessage.text(error))), so it is not asked here. A person with answer rights answers it; tasks/get shows when it is done."
    }
  }

  /// A `tasks/result` that cannot be given: an error result about the task.
  func taskToolError(_ taskID: String, _ message: String) -> JSONValue {
    log(.info, "tasks/result for \(taskID) fails: \(message)")
    return [
      "content": [["type": "text", "text": .string(message)]], "isError": true,
      "_meta": [TaskState.relatedTask: ["taskId": .string(taskID)]],
    ]
  }

  /// Answers every waiting `tasks/result` of a task with an error result.
  func failWaiters(_ taskID: String, _ message: String) {
    for waiter in tasks.waiters.removeValue(forKey: taskID) ?? [] {
      reply(id: waiter, result: taskToolError(taskID, message))
    }
  }

  /// Puts a task's pending questions to the client (`elicitation/create`), once.
  func elicit(_ task: BoardTask) {
    let pending = task.pendingInputKeys
    guard clientElicits, !pending.isEmpty else { return }
    let key = "\(task.taskId):\(pending.joined(separator: ","))"
    guard tasks.elicited.insert(key).inserted else { return }
    tasks.nextRequest += 1
    let requestID = "tack-elicit-\(tasks.nextRequest)"
    tasks.elicitations[requestID] = task.taskId.rawValue
    var properties: [String: JSONValue] = [:]
    for name in pending {
      guard let request = task.inputRequests[name] else { continue }
      properties[name] = [
        "type": request.type == .confirmation ? "boolean" : "string", "title": .string(name),
        "description": .string(request.message),
      ]
    }
    send([
      "jsonrpc": "2.0", "id": .string(requestID), "method": "elicitation/create",
      "params": [
        "message": .string("\(task.title): \(statusMessage(task))"),
        "requestedSchema": [
          "type": "object", "properties": .object(properties),
          "required": .array(pending.map { .string($0) }),
        ],
        "_meta": [TaskState.relatedTask: ["taskId": .string(task.taskId.rawValue)]],
      ],
    ])
    log(.info, "asked the client about task \(task.taskId): \(pending.joined(separator: ", "))")
  }

  /// A response to one of our requests: an accepted elicitation becomes the task's answers.
  func clientResponded(id: JSONValue, result: JSONValue?, error: JSONValue?) {
    guard let requestID = id.stringValue,
      let taskID = tasks.elicitations.removeValue(forKey: requestID)
    else { return }
    guard let result, result["action"] == "accept", case .object(let content)? = result["content"]
    else {
      log(
        .info,
        "the client did not answer task \(taskID) (\(result?["action"]?.stringValue ?? error?.serialized(pretty: false) ?? "?"))"
      )
      return
    }
    do {
      let task = try access.task(taskID)
      let answers = content.filter { task.pendingInputKeys.contains($0.key) }.compactMapValues(
        Self.normalizedAnswer)
      guard !answers.isEmpty else { return }
      _ = try access.answerAsHostUser(taskID, responses: answers)
      tasks.lastRevision = nil
    } catch {
      log(.warning, "could not record the client's answer to task \(taskID): \(error.description)")
      // Never a silent drop: whoever waits on the result learns the answer did not land.
      failWaiters(
        taskID,
        "your answer to task \(taskID) was not recorded: \(AgentMessage.text(error)) tasks/get shows the task as it stands."
      )
    }
  }
}

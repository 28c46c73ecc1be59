import TackAccess
import TackCore

/// One open `subscriptions/listen` request (2026-07-28): the tasks it follows, as resources
/// (`resourceSubscriptions: ["tack://task/ID"]` → `notifications/resources/updated` on any
/// change) or through the tasks extension (`taskIds` → `notifications/tasks/status` with the
/// task's state when its status changes). Notified from the same ref watch as the 2025
/// utility's status notifications. It stays open until the client cancels it
/// (`notifications/cancelled`) or the input ends; a closing stream gets no result.
struct Subscription {
  let id: JSONValue
  /// Task id → the URI the client subscribed with.
  var resources: [String: String] = [:]
  var taskIDs: Set<String> = []
  /// Task id → what was last seen: its protocol status and when it last changed.
  var seen: [String: (status: String, updated: String)] = [:]

  var followed: Set<String> { Set(resources.keys).union(taskIDs) }
}

extension MCPServer {
  /// A listen request follows at most a list page's worth of tasks.
  static let maxSubscribedTasks = Limits.pageSize.upperBound

  /// `subscriptions/listen`: acknowledged at once with the part of the filter this server
  /// honors (task resources and task ids it can read); answered only when it ends.
  func listen(_ params: [String: JSONValue], id: JSONValue) throws(RPCError) -> JSONValue? {
    guard case .object(let filter)? = params["notifications"] else {
      throw .invalidParams(
        "subscriptions/listen needs notifications (an object such as {\"resourceSubscriptions\": [\"tack://task/ID\"]})"
      )
    }
    guard !tasks.subscriptions.contains(where: { $0.id == id }) else {
      throw .invalidParams(
        "subscriptions/listen: request id \(id.serialized(pretty: false)) is already listening")
    }
    func strings(_ name: String) throws(RPCError) -> [String] {
      switch filter[name] {
      case nil, .null?: return []
      case .array(let items)?:
        var out: [String] = []
        for item in items {
          guard let text = item.stringValue else {
            throw .invalidParams("subscriptions/listen: notifications.\(name) must be strings")
          }
          out.append(text)
        }
        guard out.count <= Self.maxSubscribedTasks else {
          throw .invalidParams(
            "subscriptions/listen: at most \(Self.maxSubscribedTasks) entries in notifications.\(name)"
          )
        }
        return out
      default: throw .invalidParams("subscriptions/listen: notifications.\(name) must be an array")
      }
    }
    let uris = try strings("resourceSubscriptions")
    let ids = try strings("taskIds")
    // Taken before the tasks are read, so a write in between is seen by the next watch.
    let revision = try? access.revision()
    var subscription = Subscription(id: id)
    for uri in uris where uri.hasPrefix(Resources.taskPrefix) {
      let taskID = String(uri.dropFirst(Resources.taskPrefix.count))
      guard let task = try? access.task(taskID) else { continue }
      subscription.resources[task.taskId.rawValue] = uri
      subscription.seen[task.taskId.rawValue] = (protocolStatus(task), task.updatedAt.description)
    }
    for taskID in ids {
      guard let task = try? access.task(taskID) else { continue }
      subscription.taskIDs.insert(task.taskId.rawValue)
      subscription.seen[task.taskId.rawValue] = (protocolStatus(task), task.updatedAt.description)
    }
    if !tasks.isWatching { tasks.lastRevision = revision }
    var honored: [String: JSONValue] = [:]
    if !subscription.resources.isEmpty {
      honored["resourceSubscriptions"] = .array(
        uris.filter { uri in subscription.resources.values.contains(uri) }.map { .string($0) })
    }
    if !subscription.taskIDs.isEmpty {
      honored["taskIds"] = .array(
        ids.filter { subscription.taskIDs.contains($0) }.map { .string($0) })
    }
    tasks.subscriptions.append(subscription)
    send([
      "jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
      "params": [
        "notifications": .object(honored),
        "_meta": [Envelope.subscriptionIDKey: id],
      ],
    ])
    log(
      .info,
      "subscriptions/listen \(id.serialized(pretty: false)): \(subscription.followed.count) task(s)"
    )
    return nil
  }

  /// `notifications/cancelled` for a listen request: the subscription ends, without a reply.
  func forgetSubscription(_ requestID: JSONValue) {
    let before = tasks.subscriptions.count
    tasks.subscriptions.removeAll { $0.id == requestID }
    if tasks.subscriptions.count != before {
      log(.info, "subscriptions/listen \(requestID.serialized(pretty: false)) ended by the client")
    }
  }

  /// Part of `watchTasks`: the subscribed tasks that changed since last seen, notified.
  func notifySubscribers(_ read: (String) -> BoardTask?) {
    for index in tasks.subscriptions.indices {
      let subscription = tasks.subscriptions[index]
      for taskID in subscription.followed {
        guard let task = read(taskID) else { continue }
        let now = (status: protocolStatus(task), updated: task.updatedAt.description)
        guard let before = subscription.seen[taskID], before != now else { continue }
        tasks.subscriptions[index].seen[taskID] = now
        let meta: JSONValue = [Envelope.subscriptionIDKey: subscription.id]
        if let uri = subscription.resources[taskID] {
          send([
            "jsonrpc": "2.0", "method": "notifications/resources/updated",
            "params": ["uri": .string(uri), "_meta": meta],
          ])
        }
        if subscription.taskIDs.contains(taskID), now.status != before.status,
          case .object(var state) = extensionTask(task, resultType: "complete")
        {
          state["resultType"] = nil
          state["_meta"] = meta
          send([
            "jsonrpc": "2.0", "method": "notifications/tasks/status", "params": .object(state),
          ])
        }
      }
    }
  }
}

import ArgumentParser
import TackAccess
import TackCore

struct Ask: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ask",
    abstract: "Ask for input: the task waits in input_required until answered.",
    discussion: """
      --approval is a confirmation that completes the task when answered yes and fails it \
      when answered no (the same as --type confirmation --on-yes completed --on-no failed).
      """)
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Argument(help: "A key naming the question, e.g. approve_release.") var key: String
  @Argument(help: "The question.") var message: String
  @Option(help: "confirmation (yes/no) or text.") var type: String = "text"
  @Flag(help: "A confirmation that completes the task on yes and fails it on no.") var approval =
    false
  @Option(
    help: ArgumentHelp(
      "For text: the status once answered (default: working).", valueName: "status"))
  var then: String?
  @Option(
    name: .customLong("on-yes"),
    help: ArgumentHelp("For a confirmation: the status when confirmed.", valueName: "status"))
  var onYes: String?
  @Option(
    name: .customLong("on-no"),
    help: ArgumentHelp("For a confirmation: the status when declined.", valueName: "status"))
  var onNo: String?

  func run() throws {
    try running(global) { () throws(TackError) in
      guard var kind = BoardTask.InputRequest.Kind(rawValue: type) else {
        throw .invalidInput("--type must be confirmation or text, not \(type).")
      }
      if approval { kind = .confirmation }
      if kind == .text && (onYes != nil || onNo != nil) {
        throw .invalidInput("--on-yes and --on-no apply to confirmations; use --then for text.")
      }
      if kind == .confirmation && then != nil {
        throw .invalidInput(
          "--then applies to text requests; use --on-yes / --on-no for confirmations.")
      }
      let preset = approval ? BoardTask.InputRequest.approval(message: message) : nil
      let request = BoardTask.InputRequest(
        type: kind, message: message, next: then, onConfirm: onYes ?? preset?.onConfirm,
        onDecline: onNo ?? preset?.onDecline)
      let access = try global.open()
      let task = try access.requestInput(id, key: key, request: request)
      report(task, "waiting for \(key) (\(task.status))", json: global.json)
    }
  }
}

struct Answer: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "answer",
    abstract: "Answer a task's input requests: KEY=VALUE (yes/no/true/false for confirmations).")
  @OptionGroup var global: GlobalOptions
  @Argument(help: "Task id or unique short id.", completion: .taskIDs) var id: String
  @Argument(help: "One answer per request: KEY=VALUE.") var answers: [String]

  func run() throws {
    try running(global) { () throws(TackError) in
      guard !answers.isEmpty else { throw .invalidInput("give at least one answer: KEY=VALUE.") }
      let access = try global.open()
      let task = try access.task(id)
      var responses: [String: JSONValue] = [:]
      for answer in answers {
        guard let equals = answer.firstIndex(of: "=") else {
          throw .invalidInput("answer \(answer) is not KEY=VALUE.")
        }
        let key = String(answer[..<equals])
        let value = String(answer[answer.index(after: equals)...])
        guard responses[key] == nil else {
          throw .invalidInput("request \(key) is answered twice.")
        }
        guard let request = task.inputRequests[key], task.inputResponses[key] == nil else {
          throw .noPendingRequest(
            task: task.taskId.rawValue, key: key, pending: task.pendingInputKeys)
        }
        switch request.type {
        case .confirmation:
          switch value.lowercased() {
          case "yes", "y", "true": responses[key] = ["confirmed": true]
          case "no", "n", "false": responses[key] = ["confirmed": false]
          default:
            throw .invalidInput("request \(key) is a confirmation: answer yes or no, not \(value).")
          }
        case .text:
          responses[key] = ["text": .string(value)]
        }
      }
      let before = task.status
      let updated = try access.answer(task.taskId.rawValue, responses: responses)
      let moved =
        before == updated.status ? "still \(updated.status)" : "\(before) → \(updated.status)"
      report(updated, "answered (\(moved))", json: global.json)
    }
  }
}

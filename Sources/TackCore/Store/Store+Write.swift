import TackGit

extension Store {
  /// What a change to one task did, for its commit message.
  struct Outcome {
    /// The end of the subject, after `<board>: <short id> <title> — `.
    var what: String
    var body: String?
    var action: String
  }

  /// Creates a task in the board's initial status.
  ///
  /// With `inputRequests`, the task is created already waiting for them: it goes from the
  /// initial status through `working` to `input_required` (each move checked against the
  /// board) in the same commit — how an agent asks a person for an approval.
  public func create(
    title: String, board: String? = nil, description: String = "", labels: [String] = [],
    links: [BoardTask.Link] = [], inputRequests: [String: BoardTask.InputRequest] = [:],
    plan: PlanChange = PlanChange(), actor: Actor
  ) throws(TackError) -> BoardTask {
    if let priority = plan.priority, !Priority.range.contains(priority) {
      _ = try Priority.parse(String(priority))
    }
    let due = try plan.due.flatMap { (text) throws(TackError) in
      text.isEmpty ? nil : try DueDate.parse(text)
    }
    let labels = try Self.checkNewTask(
      title: title, description: description, labels: labels, inputRequests: inputRequests)
    var created: BoardTask?
    try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      let board = try view.board(named: board)
      try view.rules.authorize(.create, board: board.name)
      let labels = try Self.checkedLabels(
        view.rules.labels(forNewTaskOn: board.name, given: labels))
      let now = self.now()
      var task = BoardTask(
        taskId: TaskID.generate(at: now), board: board.name, title: title,
        description: description, status: board.initialStatus, labels: labels, createdAt: now)
      task.links = links
      task.priority = plan.priority
      task.due = due
      for text in plan.addBlockers {
        // Named like any task the principal reads: out of scope is "no task".
        let blocker = try view.resolve(text).rawValue
        if !task.blockers.contains(blocker) {
          task.links.append(.init(rel: BoardTask.Link.blockedBy, taskId: blocker))
        }
      }
      guard task.links.count <= Limits.linksPerTask else {
        throw .invalidInput("a task carries at most \(Limits.linksPerTask) links.")
      }
      var what = "created"
      if !inputRequests.isEmpty {
        try view.rules.authorize(.transition, board: board.name)
        if task.status != "working" { try Self.move(&task, to: "working", on: board) }
        try Self.ask(&task, inputRequests, on: board, at: now, by: actor)
        what += " (asks \(inputRequests.keys.sorted().joined(separator: ", ")))"
      }
      try view.rules.admit(task, after: .create)
      created = task
      let message = Self.message(
        task, Outcome(what: what, body: nil, action: "create"), actor: actor)
      return (
        [
          FileChange(
            path: Store.taskPath(task.taskId, board: board.name), content: task.fileContents)
        ], message
      )
    }
    return created!
  }

  /// Moves a task to `status`, if its board allows the move.
  public func transition(
    _ id: String, to status: String, note: String? = nil, actor: Actor
  )
    throws(TackError) -> BoardTask
  {
    if let note { try Names.validateText(note, as: "note", maxBytes: Limits.noteBytes) }
    return try mutate(id, .transition, actor: actor) { (task, board, now) throws(TackError) in
      try Self.refuseTerminal(task, board)
      try Self.refuseLiveLease(task, now: now, actor: actor)
      let from = task.status
      try Self.move(&task, to: status, on: board)
      // Whoever starts a task is working on it (`tack start`): an unassigned task becomes theirs.
      if status == StatusName.working, from != status, task.assignee == nil {
        task.assignee = actor.id
      }
      if let note { task.notes.append(.init(at: now, by: actor.id, text: note)) }
      return Outcome(what: "\(from) → \(status)", body: note, action: "transition")
    }
  }

  /// Adds a note; the only change a terminal task accepts.
  public func addNote(_ id: String, text: String, actor: Actor) throws(TackError) -> BoardTask {
    try Names.validateText(text, as: "note", maxBytes: Limits.noteBytes)
    return try mutate(id, .comment, actor: actor) { (task, _, now) throws(TackError) in
      task.notes.append(.init(at: now, by: actor.id, text: text))
      return Outcome(what: "note", body: text, action: "note")
    }
  }

  /// Changes the title, description or labels. Returns `changed: false` (and commits nothing)
  /// when the values given are already the task's.
  public func edit(
    _ id: String, title: String? = nil, description: String? = nil, addLabels: [String] = [],
    removeLabels: [String] = [], actor: Actor
  ) throws(TackError) -> (task: BoardTask, changed: Bool) {
    if let title {
      try Names.validateText(title, as: "title", maxBytes: Limits.titleBytes, singleLine: true)
    }
    if let description {
      try Names.validateText(
        description, as: "description", maxBytes: Limits.descriptionBytes, allowEmpty: true)
    }
    let addLabels = try Self.checkedLabels(addLabels)
    let removeLabels = try Self.checkedLabels(removeLabels)
    guard title != nil || description != nil || !addLabels.isEmpty || !removeLabels.isEmpty else {
      throw .invalidInput(
        "nothing to change: give a new title, description or labels.")
    }
    var changed = false
    let task = try mutate(id, .edit, actor: actor) { (task, board, _) throws(TackError) in
      try Self.refuseTerminal(task, board)
      var fields: [String] = []
      if let title, title != task.title {
        task.title = title
        fields.append("title")
      }
      if let description, description != task.description {
        task.description = description
        fields.append("description")
      }
      var labels = task.labels.filter { !removeLabels.contains($0) }
      for label in addLabels where !labels.contains(label) { labels.append(label) }
      if labels != task.labels {
        guard labels.count <= Limits.labelsPerTask else {
          throw .invalidInput("a task carries at most \(Limits.labelsPerTask) labels.")
        }
        task.labels = labels
        fields.append("labels")
      }
      changed = !fields.isEmpty
      guard changed else { return nil }
      return Outcome(
        what: "edit \(fields.joined(separator: ", "))", body: nil, action: "edit")
    }
    return (task, changed)
  }

  /// Asks for input: records each request under its key and moves the task to
  /// `input_required`, in one commit.
  public func requestInput(
    _ id: String, requests: [String: BoardTask.InputRequest], actor: Actor
  ) throws(TackError) -> BoardTask {
    try Self.checkRequests(requests)
    return try mutate(id, .transition, actor: actor) { (task, board, now) throws(TackError) in
      try Self.refuseTerminal(task, board)
      if task.status != "input_required" { try Self.refuseLiveLease(task, now: now, actor: actor) }
      let from = task.status
      try Self.ask(&task, requests, on: board, at: now, by: actor)
      let asked = "asks \(requests.keys.sorted().joined(separator: ", "))"
      let what = from == task.status ? asked : "\(asked) (\(from) → \(task.status))"
      return Outcome(
        what: what,
        body: requests.keys.sorted().map { requests[$0]!.message }.joined(separator: "\n"),
        action: "request-input")
    }
  }

  /// What `create` checks before it reads the board: the title, description, labels (returned
  /// normalized) and input requests. A front end that must ask somebody before it creates a
  /// task (an MCP input round trip) checks first, so nobody answers a task that cannot be made.
  public static func checkNewTask(
    title: String, description: String, labels: [String],
    inputRequests: [String: BoardTask.InputRequest]
  ) throws(TackError) -> [String] {
    try Names.validateText(title, as: "title", maxBytes: Limits.titleBytes, singleLine: true)
    try Names.validateText(
      description, as: "description", maxBytes: Limits.descriptionBytes, allowEmpty: true)
    try checkRequests(inputRequests)
    return try checkedLabels(labels)
  }

  static func checkRequests(_ requests: [String: BoardTask.InputRequest]) throws(TackError) {
    for (key, request) in requests {
      try Names.validateKey(key)
      try Names.validateText(request.message, as: "message", maxBytes: Limits.noteBytes)
    }
  }

  /// Records `requests` on the task and moves it to `input_required`. A new round of
  /// questions drops the answered ones of the last round (git history keeps them), so they
  /// never decide where this round leads.
  static func ask(
    _ task: inout BoardTask, _ requests: [String: BoardTask.InputRequest], on board: Board,
    at now: Timestamp, by actor: Actor
  ) throws(TackError) {
    guard !requests.isEmpty else { throw .invalidInput("give at least one input request.") }
    let waiting = "input_required"
    for request in requests.values {
      for target in [request.next, request.onConfirm, request.onDecline].compactMap({ $0 }) {
        _ = try board.requireStatus(target)
        guard board.allows(from: waiting, to: target) else {
          throw .illegalTransition(
            task: task.taskId.rawValue, from: waiting, to: target,
            allowed: board.status(waiting)?.next ?? [])
        }
      }
    }
    if task.status != waiting {
      try move(&task, to: waiting, on: board)
      for key in task.inputRequests.keys where task.inputResponses[key] != nil {
        task.inputRequests[key] = nil
        task.inputResponses[key] = nil
      }
    }
    for (key, var request) in requests {
      request.requestedAt = now
      request.requestedBy = actor.id
      task.inputRequests[key] = request
      task.inputResponses[key] = nil
    }
  }

  /// Asks one question (see `requestInput(_:requests:actor:)`).
  public func requestInput(
    _ id: String, key: String, request: BoardTask.InputRequest, actor: Actor
  ) throws(TackError) -> BoardTask {
    try requestInput(id, requests: [key: request], actor: actor)
  }

  /// Answers pending input requests. Once none is pending the task moves on: to the status
  /// the requests name (a declined approval before anything else), or back to `working`.
  public func answer(
    _ id: String, responses: [String: JSONValue], actor: Actor
  )
    throws(TackError) -> BoardTask
  {
    guard !responses.isEmpty else { throw .invalidInput("give at least one answer.") }
    return try mutate(id, .answer, actor: actor) { (task, board, _, rules) throws(TackError) in
      try Self.refuseTerminal(task, board)
      let pending = task.pendingInputKeys
      for (key, value) in responses.sorted(by: { $0.key < $1.key }) {
        guard let request = task.inputRequests[key], pending.contains(key) else {
          throw .noPendingRequest(task: task.taskId.rawValue, key: key, pending: pending)
        }
        if request.type == .confirmation {
          try Self.authorizeApproval(task, key, request, by: actor, rules)
        }
        try Self.checkAnswer(value, for: request, key: key)
        task.inputResponses[key] = value
      }
      let keys = responses.keys.sorted().joined(separator: ", ")
      guard task.pendingInputKeys.isEmpty, task.status == "input_required" else {
        return Outcome(what: "answered \(keys)", body: nil, action: "answer")
      }
      let next = Self.statusAfterAnswers(task)
      try Self.move(&task, to: next, on: board)
      return Outcome(
        what: "answered \(keys) (input_required → \(next))", body: nil, action: "answer")
    }
  }

  /// Claims a task: sets the assignee and a lease, and starts it when it is in the initial
  /// status. The holder renews; anyone else waits until the lease expires.
  /// Claims a task: a lease for `actor`, and the task moves to `working` from its initial
  /// status. With `onlyIfReady`, only a task still in its initial status is claimed (the
  /// ready queue's claim): one another caller started meanwhile is a conflict.
  public func claim(
    _ id: String, leaseSeconds: Int64, actor: Actor, onlyIfReady: Bool = false
  ) throws(TackError) -> BoardTask {
    guard Limits.leaseSeconds.contains(leaseSeconds) else {
      throw .invalidInput(
        "a lease runs from \(Limits.leaseSeconds.lowerBound) to \(Limits.leaseSeconds.upperBound) seconds, not \(leaseSeconds)."
      )
    }
    return try mutate(id, .claim, actor: actor) { (task, board, now) throws(TackError) in
      try Self.refuseTerminal(task, board)
      try Self.refuseLiveLease(task, now: now, actor: actor)
      if onlyIfReady, task.status != board.initialStatus {
        throw .conflict("task \(task.taskId) is \(task.status) now, no longer ready")
      }
      let renewing = task.lease?.holder == actor.id
      task.assignee = actor.id
      task.lease = .init(holder: actor.id, expiresAt: now.adding(seconds: leaseSeconds))
      var what = renewing ? "lease renewed by \(actor.id)" : "claimed by \(actor.id)"
      if task.status == board.initialStatus, board.allows(from: task.status, to: "working") {
        what += " (\(task.status) → working)"
        task.status = "working"
      }
      return Outcome(
        what: what, body: "Lease until \(task.lease!.expiresAt)",
        action: renewing ? "renew" : "claim")
    }
  }

  /// Gives a claimed task back: clears the lease and assignee, and returns a `working` task to
  /// the initial status when the board allows it.
  public func release(_ id: String, actor: Actor) throws(TackError) -> BoardTask {
    try mutate(id, .claim, actor: actor) { (task, board, now) throws(TackError) in
      try Self.refuseTerminal(task, board)
      try Self.refuseLiveLease(task, now: now, actor: actor)
      guard task.lease != nil || task.assignee != nil else {
        throw .invalidInput("task \(task.taskId) is not claimed; there is nothing to release.")
      }
      task.lease = nil
      task.assignee = nil
      var what = "released by \(actor.id)"
      if task.status == "working", board.allows(from: "working", to: board.initialStatus) {
        what += " (working → \(board.initialStatus))"
        task.status = board.initialStatus
      }
      return Outcome(what: what, body: nil, action: "release")
    }
  }

  // MARK: The one write path for a task

  /// Reads the task at the tip, applies `change`, and commits the result. `change` returns
  /// `nil` for "nothing changed" (no commit). Runs again if another writer got there first.
  func mutate(
    _ idText: String, _ verb: Verb, actor: Actor,
    _ change: (inout BoardTask, Board, Timestamp) throws(TackError) -> Outcome?
  ) throws(TackError) -> BoardTask {
    try mutate(
      idText, verb, actor: actor,
      reading: { (task, board, now, _) throws(TackError) in
        try change(&task, board, now)
      })
  }

  /// `mutate` for a change that consults the principal's rules beyond `verb`.
  func mutate(
    _ idText: String, _ verb: Verb, actor: Actor,
    _ change: (inout BoardTask, Board, Timestamp, any AccessRules) throws(TackError) -> Outcome?
  ) throws(TackError) -> BoardTask {
    try mutate(
      idText, verb, actor: actor,
      reading: { (task, board, now, view) throws(TackError) in
        try change(&task, board, now, view.rules)
      })
  }

  /// `mutate` for a change that reads other tasks of the same tree (a dependency's cycle).
  func mutate(
    _ idText: String, _ verb: Verb, actor: Actor,
    reading change: (inout BoardTask, Board, Timestamp, View) throws(TackError) -> Outcome?
  ) throws(TackError) -> BoardTask {
    let id = try view().resolve(idText)
    var result: BoardTask?
    try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      guard let found = try view.task(id) else { throw .taskNotFound(idText) }
      try view.rules.authorize(verb, board: found.board.name)
      var task = found.task
      let now = self.now()
      guard let outcome = try change(&task, found.board, now, view) else {
        result = found.task
        return nil
      }
      try view.rules.admit(task, after: verb)
      task.updatedAt = max(now, task.updatedAt)
      // A write after a conflicted merge is the person's decision: the record goes.
      task.extra["mergeConflict"] = nil
      let contents = task.fileContents
      guard contents.count <= Limits.taskFileBytes else {
        throw .invalidInput(
          "task \(id) would grow to \(contents.count) bytes, over the \(Limits.taskFileBytes)-byte limit; nothing was written."
        )
      }
      result = task
      return (
        [FileChange(path: found.path, content: contents)], Self.message(task, outcome, actor: actor)
      )
    }
    return result!
  }

  static func message(_ task: BoardTask, _ outcome: Outcome, actor: Actor) -> CommitMessage {
    CommitMessage(
      subject: CommitMessage.subject(
        board: task.board, id: task.taskId.historyID, title: task.title, what: outcome.what),
      body: outcome.body,
      trailers: [
        ("Tack-Task", task.taskId.rawValue), ("Tack-Board", task.board),
        ("Tack-Action", outcome.action), ("Tack-Status", task.status),
        ("Tack-Actor", actor.trailer),
      ]
        + (actor.onBehalfOf.map {
          [("Tack-On-Behalf-Of", $0), ("Tack-Answered-Through", "elicitation")]
        } ?? []))
  }

  // MARK: Rules

  /// Separation of duties: an agent never answers a confirmation it asked, and answers
  /// anyone else's only with `approve`; a person (at the shell, or through an agent's host)
  /// needs no more than `answer`.
  static func authorizeApproval(
    _ task: BoardTask, _ key: String, _ request: BoardTask.InputRequest, by actor: Actor,
    _ rules: any AccessRules
  ) throws(TackError) {
    guard actor.kind == .agent else { return }
    if request.requestedBy == actor.id {
      throw .forbidden(
        "agent \(actor.id) asked for confirmation \(key) on task \(task.taskId) and cannot answer it itself: a person answers it, or an agent granted approve."
      )
    }
    try rules.authorize(.approve, board: task.board)
  }

  static func refuseTerminal(_ task: BoardTask, _ board: Board) throws(TackError) {
    if board.isTerminal(task.status) {
      throw .terminalTask(task: task.taskId.rawValue, status: task.status)
    }
  }

  static func refuseLiveLease(_ task: BoardTask, now: Timestamp, actor: Actor) throws(TackError) {
    if let lease = task.lease, lease.holder != actor.id, lease.expiresAt > now {
      throw .leaseHeld(
        task: task.taskId.rawValue, holder: lease.holder, expiresAt: lease.expiresAt.description)
    }
  }

  /// Changes the status if the board allows it; entering a terminal or the initial status
  /// ends any lease.
  static func move(_ task: inout BoardTask, to status: String, on board: Board) throws(TackError) {
    let target = try board.requireStatus(status)
    guard board.allows(from: task.status, to: status) else {
      throw .illegalTransition(
        task: task.taskId.rawValue, from: task.status, to: status,
        allowed: board.status(task.status)?.next ?? [])
    }
    task.status = status
    if target.terminal || status == board.initialStatus { task.lease = nil }
    if status == board.initialStatus { task.assignee = nil }
  }

  static func checkAnswer(
    _ value: JSONValue, for request: BoardTask.InputRequest, key: String
  )
    throws(TackError)
  {
    switch request.type {
    case .confirmation:
      guard case .object(let fields) = value, fields.count == 1, case .bool = fields["confirmed"]
      else {
        throw .invalidInput(
          "request \(key) is a confirmation: answer yes or no (stored as {\"confirmed\": true|false})."
        )
      }
    case .text:
      guard case .object(let fields) = value, fields.count == 1,
        case .string(let text) = fields["text"]
      else { throw .invalidInput("request \(key) asks for text: answer with some text.") }
      try Names.validateText(text, as: "answer to \(key)", maxBytes: Limits.noteBytes)
    }
  }

  /// Where a task goes once every request is answered: a declined confirmation's
  /// `onDecline` first, then the first (by key) status a request names, else `working`.
  static func statusAfterAnswers(_ task: BoardTask) -> String {
    var named: String?
    for key in task.inputRequests.keys.sorted() {
      guard let request = task.inputRequests[key], let response = task.inputResponses[key] else {
        continue
      }
      switch request.type {
      case .confirmation:
        let confirmed = response["confirmed"]?.boolValue ?? false
        if !confirmed, let onDecline = request.onDecline { return onDecline }
        if named == nil { named = confirmed ? request.onConfirm : nil }
      case .text:
        if named == nil { named = request.next }
      }
    }
    return named ?? "working"
  }

  static func checkedLabels(_ labels: [String]) throws(TackError) -> [String] {
    var result: [String] = []
    for label in labels {
      try Names.validate(label, as: "label")
      if !result.contains(label) { result.append(label) }
    }
    guard result.count <= Limits.labelsPerTask else {
      throw .invalidInput("a task carries at most \(Limits.labelsPerTask) labels.")
    }
    return result
  }
}

/// One task on a board, exactly as stored in `boards/<board>/tasks/<s>/<s>/<taskId>.json`.
public struct BoardTask: Sendable, Equatable {
  public static let schemaVersion: Int64 = 1

  public var taskId: TaskID
  public var board: String
  public var title: String
  public var description: String
  public var status: String
  public var labels: [String]
  public var assignee: String?
  public var createdAt: Timestamp
  public var updatedAt: Timestamp
  public var notes: [Note]
  public var inputRequests: [String: InputRequest]
  public var inputResponses: [String: JSONValue]
  public var result: JSONValue?
  public var error: JSONValue?
  public var lease: Lease?
  public var links: [Link]
  /// 0 (most urgent) to 4; `nil` reads as `Priority.normal` and is not written.
  public var priority: Int?
  /// A day (`YYYY-MM-DD`) or a moment (RFC 3339), as `DueDate.parse` keeps it.
  public var due: String?
  /// Where an imported task came from (`taskwarrior:UUID`, `github:#12`): importing the
  /// same source again updates the task instead of adding another.
  public var source: String?
  /// Fields this version of Tack does not know: kept as read, written back unchanged.
  public var extra: [String: JSONValue] = [:]

  public init(
    taskId: TaskID, board: String, title: String, description: String = "", status: String,
    labels: [String] = [], createdAt: Timestamp
  ) {
    self.taskId = taskId
    self.board = board
    self.title = title
    self.description = description
    self.status = status
    self.labels = labels
    self.assignee = nil
    self.createdAt = createdAt
    self.updatedAt = createdAt
    self.notes = []
    self.inputRequests = [:]
    self.inputResponses = [:]
    self.result = nil
    self.error = nil
    self.lease = nil
    self.links = []
    self.priority = nil
    self.due = nil
    self.source = nil
  }

  /// Keys of the input requests that have no response yet, sorted.
  public var pendingInputKeys: [String] {
    inputRequests.keys.filter { inputResponses[$0] == nil }.sorted()
  }

  public struct Note: Sendable, Equatable {
    public var at: Timestamp
    public var by: String
    public var text: String
    public var extra: [String: JSONValue] = [:]

    public init(at: Timestamp, by: String, text: String) {
      self.at = at
      self.by = by
      self.text = text
    }
  }

  public struct Lease: Sendable, Equatable {
    public var holder: String
    public var expiresAt: Timestamp
    public var extra: [String: JSONValue] = [:]

    public init(holder: String, expiresAt: Timestamp) {
      self.holder = holder
      self.expiresAt = expiresAt
    }
  }

  public struct Link: Sendable, Equatable {
    /// How this task relates to the other one, e.g. `reopens`, `blocks`, `relates`.
    public var rel: String
    public var taskId: String
    public var extra: [String: JSONValue] = [:]

    public init(rel: String, taskId: String) {
      self.rel = rel
      self.taskId = taskId
    }
  }

  /// A question the task is waiting on; its answer goes to `inputResponses[key]`.
  public struct InputRequest: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
      /// Yes or no; answered as `{"confirmed": true|false}`.
      case confirmation
      /// Free text; answered as `{"text": "..."}`.
      case text
    }

    public var type: Kind
    public var message: String
    public var requestedAt: Timestamp?
    public var requestedBy: String?
    /// For `text`: the status to move to once answered (default: back to working).
    public var next: String?
    /// For `confirmation`: the status to move to when confirmed / declined.
    public var onConfirm: String?
    public var onDecline: String?
    public var extra: [String: JSONValue] = [:]

    public init(
      type: Kind, message: String, requestedAt: Timestamp? = nil, requestedBy: String? = nil,
      next: String? = nil, onConfirm: String? = nil, onDecline: String? = nil
    ) {
      self.type = type
      self.message = message
      self.requestedAt = requestedAt
      self.requestedBy = requestedBy
      self.next = next
      self.onConfirm = onConfirm
      self.onDecline = onDecline
    }
  }
}

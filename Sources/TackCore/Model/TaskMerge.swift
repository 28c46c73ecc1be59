/// The three-way merge of one task edited on two sides (git's merge driver: `tack
/// merge-driver`). Field by field: notes are unioned in time order, labels merged as sets,
/// and a status change keeps the state machine's rules — a terminal status wins over a
/// non-terminal one; two different terminal statuses are a conflict. Other fields take the
/// side that changed them; two different changes to one field are a conflict.
public enum TaskMerge {
  public struct Result: Sendable {
    /// The merged task object (on a conflict: the best merge, with the conflicting fields
    /// at their base value and listed under `mergeConflict`).
    public var merged: JSONValue
    /// The fields both sides changed differently.
    public var conflicts: [String]
    /// How two different changes were settled by the rules ("status: completed (terminal)
    /// over working", "lease: the claim by b, which runs longer"): the merge commit lists
    /// them, and those against ours are told to whoever merged (`OverruledTask`).
    public var decisions: [Decision] = []
  }

  /// A field both sides changed differently, settled by a rule rather than a conflict.
  public struct Decision: Sendable, Equatable {
    public enum Side: String, Sendable { case ours, theirs }
    /// The field the rule settled (`status`, `lease`).
    public var field: String
    /// Whose change the merge kept; `.theirs` is a decision against this side.
    public var kept: Side
    /// What was decided and why, in the words of the merge commit.
    public var reason: String

    public init(field: String, kept: Side, reason: String) {
      self.field = field
      self.kept = kept
      self.reason = reason
    }
  }

  /// Merges a task file of `board` (whose statuses say which are terminal); a file whose
  /// board cannot be read is merged with the default board's terminal statuses. The one way
  /// `tack sync` and `tack merge-driver` merge.
  public static func merge(
    base: JSONValue, ours: JSONValue, theirs: JSONValue, board: Board?
  ) -> Result {
    merge(base: base, ours: ours, theirs: theirs) { isTerminal($0, on: board) }
  }

  /// Whether `status` ends a task on `board` (the default board's terminal statuses when the
  /// board cannot be read).
  public static func isTerminal(_ status: String, on board: Board?) -> Bool {
    board?.isTerminal(status) ?? StatusName.terminal.contains(status)
  }

  public static func merge(
    base: JSONValue, ours: JSONValue, theirs: JSONValue, isTerminal: (String) -> Bool
  ) -> Result {
    let b = base.objectValue ?? [:]
    let o = ours.objectValue ?? [:]
    let t = theirs.objectValue ?? [:]
    var merged: [String: JSONValue] = [:]
    var conflicts: [String] = []
    var conflictDetail: [String: JSONValue] = [:]
    var decisions: [Decision] = []
    for key in Set(b.keys).union(o.keys).union(t.keys).sorted() where key != "mergeConflict" {
      let (was, mine, other) = (b[key], o[key], t[key])
      switch key {
      case "notes":
        merged[key] = .array(unionNotes(was, mine, other))
      case "labels", "links":
        merged[key] = .array(
          mergeSets(was?.arrayValue ?? [], mine?.arrayValue ?? [], other?.arrayValue ?? []))
      case "updatedAt":
        merged[key] = [mine, other].compactMap { $0 }.max {
          ($0.stringValue ?? "") < ($1.stringValue ?? "")
        }
      case "inputRequests", "inputResponses":
        let (value, clash) = mergeObjects(
          was?.objectValue ?? [:], mine?.objectValue ?? [:], other?.objectValue ?? [:])
        merged[key] = .object(value)
        conflicts += clash.map { "\(key).\($0)" }
      case "status":
        switch (mine == other, mine == was, other == was) {
        case (true, _, _), (_, _, true): merged[key] = mine
        case (_, true, _): merged[key] = other
        default:
          let (a, z) = (mine?.stringValue ?? "", other?.stringValue ?? "")
          switch (isTerminal(a), isTerminal(z)) {
          case (true, false):
            merged[key] = mine
            decisions.append(.init(field: key, kept: .ours, reason: terminalOver(a, z)))
          case (false, true):
            merged[key] = other
            decisions.append(.init(field: key, kept: .theirs, reason: terminalOver(z, a)))
          case (false, false):
            // Both moved on without finishing: the later write wins.
            let oursLater =
              (o["updatedAt"]?.stringValue ?? "") >= (t["updatedAt"]?.stringValue ?? "")
            merged[key] = oursLater ? mine : other
            decisions.append(
              .init(
                field: key, kept: oursLater ? .ours : .theirs,
                reason: "status: \(oursLater ? a : z), the later change, over \(oursLater ? z : a)")
            )
          case (true, true):
            merged[key] = was
            conflicts.append(key)
            conflictDetail[key] = [mine ?? .null, other ?? .null]
          }
        }
      case "lease", "assignee":
        // The later valid claim wins: the lease that runs longer (with its assignee).
        let ourLease = o["lease"]?["expiresAt"]?.stringValue ?? ""
        let theirLease = t["lease"]?["expiresAt"]?.stringValue ?? ""
        if mine == other || other == was {
          merged[key] = mine
        } else if mine == was {
          merged[key] = other
        } else {
          let oursWins = ourLease >= theirLease
          merged[key] = oursWins ? mine : other
          if key == "lease" {
            decisions.append(
              .init(
                field: key, kept: oursWins ? .ours : .theirs,
                reason: longerClaim(holder(oursWins ? o["lease"] : t["lease"]))))
          }
        }
      default:
        if mine == other || other == was {
          merged[key] = mine
        } else if mine == was {
          merged[key] = other
        } else {
          merged[key] = was ?? mine
          conflicts.append(key)
          conflictDetail[key] = [mine ?? .null, other ?? .null]
        }
      }
      if merged[key] == nil { merged.removeValue(forKey: key) }
    }
    // Status and lease go together: a task that ended holds no lease.
    if let status = merged["status"]?.stringValue, isTerminal(status), merged["lease"] != nil {
      merged["lease"] = .null
    }
    if !conflictDetail.isEmpty { merged["mergeConflict"] = .object(conflictDetail) }
    return Result(merged: .object(merged), conflicts: conflicts, decisions: decisions)
  }

  static func terminalOver(_ winner: String, _ loser: String) -> String {
    "status: \(winner) (terminal) over \(loser)"
  }

  static func longerClaim(_ holder: String?) -> String {
    "lease: the claim by \(holder ?? "nobody"), which runs longer"
  }

  static func holder(_ lease: JSONValue?) -> String? { lease?["holder"]?.stringValue }

  /// Every note of either side, once, in time order.
  private static func unionNotes(
    _ base: JSONValue?, _ ours: JSONValue?, _ theirs: JSONValue?
  ) -> [JSONValue] {
    var seen = Set<JSONValue>()
    var notes: [JSONValue] = []
    for note in (ours?.arrayValue ?? []) + (theirs?.arrayValue ?? [])
    where seen.insert(note).inserted {
      notes.append(note)
    }
    return notes.enumerated().sorted {
      let (a, b) = ($0.element["at"]?.stringValue ?? "", $1.element["at"]?.stringValue ?? "")
      return a == b ? $0.offset < $1.offset : a < b
    }.map(\.element)
  }

  /// A set merge: what either side added, minus what either side removed, in our order.
  private static func mergeSets(
    _ base: [JSONValue], _ ours: [JSONValue], _ theirs: [JSONValue]
  ) -> [JSONValue] {
    let removed = base.filter { !ours.contains($0) || !theirs.contains($0) }
    var result = ours.filter { !removed.contains($0) }
    for item in theirs where !result.contains(item) && !removed.contains(item) {
      result.append(item)
    }
    return result
  }

  /// Keys from both sides; a key both changed differently keeps its base value and clashes.
  private static func mergeObjects(
    _ base: [String: JSONValue], _ ours: [String: JSONValue], _ theirs: [String: JSONValue]
  ) -> ([String: JSONValue], [String]) {
    var result: [String: JSONValue] = [:]
    var clashes: [String] = []
    for key in Set(base.keys).union(ours.keys).union(theirs.keys).sorted() {
      let (was, mine, other) = (base[key], ours[key], theirs[key])
      if mine == other || other == was {
        result[key] = mine
      } else if mine == was {
        result[key] = other
      } else {
        result[key] = was
        clashes.append(key)
      }
    }
    return (result.compactMapValues { $0 }, clashes)
  }
}

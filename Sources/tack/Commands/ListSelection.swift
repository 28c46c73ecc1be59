import TackAccess
import TackCore

/// What `tack list`'s human options select, turned into a `TaskFilter`: `--status open`, the
/// default that hides finished tasks, `--label a,b`, and `--assignee` as people type it
/// (`me`, a unique prefix, or the local part of an email).
struct ListSelection {
  var board: String?
  var statuses: [String]
  var labels: [String]
  var assignee: String?
  var mine: Bool
  var text: String?
  /// `--all`: finished (terminal) tasks too.
  var all: Bool
  /// Only the table hides finished tasks by default; `--json` and `--fields` keep listing
  /// every status unless asked, so scripts see what they always saw.
  var forPeople: Bool

  /// True when the default left finished tasks out (no --status, no --all).
  var hidesFinished: Bool { statuses.isEmpty && !all && forPeople }

  /// `--label a,b` is `--label a --label b`.
  var splitLabels: [String] {
    labels.flatMap { $0.split(separator: ",").map(String.init) }
  }

  /// The filter without the assignee (which `tasks` resolves against what is listed).
  func baseFilter() throws(TackError) -> TaskFilter {
    let open = statuses.contains(StatusName.open)
    let named = statuses.filter { $0 != StatusName.open }
    if all && open {
      throw .invalidInput(
        "--all lists every status and --status open only the open ones: give one.")
    }
    for label in splitLabels { try Names.validate(label, as: "label") }
    var filter = TaskFilter(board: board, statuses: named, labels: splitLabels, text: text)
    filter.open = open || (named.isEmpty && !all && forPeople)
    return filter
  }

  /// The tasks selected, and what to tell the user on stderr about how `--assignee` was read.
  func tasks(
    _ access: BoardAccess
  ) throws(TackError) -> (tasks: [TaskSummary], problems: [Problem], note: Note?) {
    var filter = try baseFilter()
    if mine, let assignee, assignee != Self.me {
      throw .invalidInput("--mine is --assignee me: leave out one of them.")
    }
    guard let typed = mine ? Self.me : assignee else {
      let (tasks, problems) = try access.summaries(filter)
      return (tasks, problems, nil)
    }
    if typed.isEmpty || typed == Self.me {
      filter.assignee = typed.isEmpty ? "" : access.principal.id
      let (tasks, problems) = try access.summaries(filter)
      return (tasks, problems, nil)
    }
    let (unfiltered, problems) = try access.summaries(filter)
    let assignees = Set(unfiltered.compactMap(\.assignee)).sorted()
    let chosen: String
    var note: Note?
    if assignees.contains(typed) {
      chosen = typed
    } else {
      let matches = assignees.filter {
        $0.hasPrefix(typed) || TaskText.compactName($0) == typed
      }
      switch matches.count {
      case 1:
        chosen = matches[0]
        note = Note(text: "--assignee \(typed): tasks of \(chosen).", explainsEmpty: false)
      case 0:
        let known =
          assignees.isEmpty
          ? "no listed task has an assignee"
          : "assignees listed: \(assignees.joined(separator: ", "))"
        let text =
          "No listed task is assigned to \(typed) (\(known)); --assignee takes an id, a unique beginning of one, the part of an email before @, or me."
        return ([], problems, Note(text: text, explainsEmpty: true))
      default:
        throw .invalidInput(
          "--assignee \(typed) matches \(matches.count) assignees (\(matches.joined(separator: ", "))): give more of the one you mean."
        )
      }
    }
    return (unfiltered.filter { $0.assignee == chosen }, problems, note)
  }

  /// What to say on stderr about how `--assignee` was read; `explainsEmpty` when it already
  /// says why nothing is listed.
  struct Note {
    var text: String
    var explainsEmpty: Bool
  }

  /// `--assignee me`: the principal you act as (your git email, or --as).
  static let me = "me"
}

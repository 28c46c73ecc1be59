import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `tack board show --watch`: draws the board, then again each time the branch moves (or the
/// terminal's width changes), polling twice a second until interrupted.
struct BoardWatch {
  static let pollMicroseconds: useconds_t = 500_000

  let access: BoardAccess
  let board: String?
  let allBoards: Bool

  func run() throws(TackError) -> Never {
    // Ctrl-C (and kill) must stop the loop even when the parent started us with them blocked.
    var stopping = sigset_t()
    sigemptyset(&stopping)
    sigaddset(&stopping, SIGINT)
    sigaddset(&stopping, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &stopping, nil)
    var drawn: (revision: String?, width: Int)?
    while true {
      let revision = try access.revision()
      let width = Terminal.width
      if drawn == nil || drawn?.revision != revision || drawn?.width != width {
        let color = Terminal.usesColor
        let views = try boardViews(access, board, all: allBoards)
        let footer = StyledLine([
          (
            "Watching \(revision.map { String($0.prefix(10)) } ?? "an empty branch"); Ctrl-C to stop.",
            .dim
          )
        ])
        // On a terminal the view is drawn from the top and kept to its height (less the blank
        // line and the footer), so the heading never scrolls away.
        let height = Terminal.isInteractive ? max(Terminal.height - 3, 3) : nil
        if Terminal.isInteractive { Console.clearScreen() } else if drawn != nil { Console.out("") }
        Console.out(BoardView.rendered(views, width: width, color: color, height: height))
        Console.out("\n" + footer.truncated(to: width).rendered(color: color))
        drawn = (revision, width)
      }
      usleep(Self.pollMicroseconds)
    }
  }
}

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
        let view = try boardView(access, board)
        let footer = StyledLine([
          (
            "Watching \(revision.map { String($0.prefix(10)) } ?? "an empty branch"); Ctrl-C to stop.",
            .dim
          )
        ])
        if Terminal.isInteractive { Console.clearScreen() } else if drawn != nil { Console.out("") }
        Console.out(view.rendered(width: width, color: color))
        Console.out("\n" + footer.truncated(to: width).rendered(color: color))
        drawn = (revision, width)
      }
      usleep(Self.pollMicroseconds)
    }
  }
}

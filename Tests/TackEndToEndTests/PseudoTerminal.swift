import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A pseudo-terminal of a fixed size, to run `tack` as if in a terminal window (80×24 for the
/// recordings in the docs): the child's stdout is the terminal, so it sees its size through
/// TIOCGWINSZ and draws as it would for a person.
final class PseudoTerminal {
  let primary: Int32
  let secondary: Int32

  init(columns: Int, rows: Int) throws {
    // posix_openpt and friends are not in Swift's Glibc module; on Linux they are these calls.
    primary = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    var number: UInt32 = 0
    var unlock: Int32 = 0
    // TIOCSPTLCK and TIOCGPTN (asm-generic ioctls, the same on x86_64 and arm64), which the
    // Glibc module does not export.
    guard primary >= 0, ioctl(primary, UInt(0x4004_5431), &unlock) == 0,
      ioctl(primary, UInt(0x8004_5430), &number) == 0
    else { throw SandboxError(description: "no pseudo-terminal: errno \(errno)") }
    secondary = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
    guard secondary >= 0 else { throw SandboxError(description: "cannot open /dev/pts/\(number)") }
    var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
    guard ioctl(secondary, UInt(TIOCSWINSZ), &size) == 0 else {
      throw SandboxError(description: "TIOCSWINSZ failed: errno \(errno)")
    }
    // Plain "\n" in what the child writes, as a file would have it.
    var settings = termios()
    tcgetattr(secondary, &settings)
    settings.c_oflag &= ~tcflag_t(OPOST)
    tcsetattr(secondary, TCSANOW, &settings)
  }

  deinit {
    close(primary)
    close(secondary)
  }

  /// Runs `program` with the terminal as its stdout (stdin and stderr elsewhere) and returns
  /// what it wrote there, reading until it exits or `timeout` passes (then it is interrupted).
  func run(
    _ program: String, _ arguments: [String], environment: [String: String], in folder: String,
    timeout: TimeInterval = 20
  ) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle(fileDescriptor: secondary, closeOnDealloc: false)
    process.standardError = FileHandle.nullDevice
    try process.run()
    var bytes: [UInt8] = []
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      var poller = pollfd(fd: primary, events: Int16(POLLIN), revents: 0)
      if poll(&poller, 1, 100) > 0 {
        let count = read(primary, &buffer, buffer.count)
        if count > 0 { bytes += buffer[0..<count] }
      } else if !process.isRunning {
        break
      }
      if Date() > deadline, process.isRunning { process.interrupt() }
    }
    process.waitUntilExit()
    return String(decoding: bytes, as: UTF8.self)
  }
}

import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `tack edit ID` without flags: the task as a `TaskDocument` in `$VISUAL`/`$EDITOR` (else
/// `vi`), then one commit with the fields that changed. What the person typed is never lost:
/// when it cannot be applied, the error is printed and the text stays in its temporary file.
struct EditorSession {
  let global: GlobalOptions
  let id: String

  func run() throws {
    var prepared: (access: BoardAccess, task: BoardTask, path: String)?
    try running(global) { () throws(TackError) in
      guard Self.chosenEditor != nil || isatty(0) == 1 else {
        throw .invalidInput(
          "no editor to open: set VISUAL or EDITOR, or give --title, --description, --add-label or --remove-label."
        )
      }
      let access = try global.open()
      let task = try access.task(id)
      // Refuse before the editor opens rather than after the typing (the store refuses too).
      if try access.board(task.board).isTerminal(task.status) {
        throw .terminalTask(task: task.taskId.rawValue, status: task.status)
      }
      let text = TaskDocument(task).text(id: task.taskId, status: task.status, board: task.board)
      prepared = (
        access, task, try TemporaryFile.create(named: "tack-edit-\(task.taskId.historyID)", text)
      )
    }
    guard let (access, task, path) = prepared else { return }
    do {
      try Self.runEditor(on: path)
      let edited = try TaskDocument.parse(TemporaryFile.read(path))
      let original = TaskDocument(task)
      let added = edited.labels.filter { !original.labels.contains($0) }
      let removed = original.labels.filter { !edited.labels.contains($0) }
      let title = edited.title != original.title ? edited.title : nil
      let description = edited.description != original.description ? edited.description : nil
      guard title != nil || description != nil || !added.isEmpty || !removed.isEmpty else {
        unlink(path)
        return report(task, "unchanged (nothing to commit)", json: global.json)
      }
      let (result, changed) = try access.edit(
        task.taskId.rawValue, title: title, description: description, addLabels: added,
        removeLabels: removed)
      unlink(path)
      report(
        result, changed ? "edited" : "unchanged (nothing to commit)", json: global.json)
    } catch {
      Console.error(error.description)
      Console.info("Your text is kept in \(path); nothing was changed.")
      throw ExitCode(error.exitCode)
    }
  }

  /// The editor the person chose: `VISUAL`, else `EDITOR`.
  static var chosenEditor: String? {
    for name in ["VISUAL", "EDITOR"] {
      if let value = getenv(name).map({ String(cString: $0) }),
        !value.allSatisfy(\.isWhitespace)
      {
        return value
      }
    }
    return nil
  }

  /// Runs `/bin/sh -c '<editor> "$1"' sh PATH` on this terminal and waits for it. The editor
  /// command is shell text (`code --wait` works); the path is passed as an argument, never
  /// spliced into it. Like git, tack ignores Ctrl-C while the editor has the terminal.
  static func runEditor(on path: String) throws(TackError) {
    let editor = chosenEditor ?? "vi"
    let arguments = ["sh", "-c", editor + " \"$1\"", "sh", path]
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var interrupts = sigset_t()
    sigemptyset(&interrupts)
    sigaddset(&interrupts, SIGINT)
    sigaddset(&interrupts, SIGQUIT)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &interrupts)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let oldInterrupt = signal(SIGINT, SIG_IGN)
    let oldQuit = signal(SIGQUIT, SIG_IGN)
    defer {
      signal(SIGINT, oldInterrupt)
      signal(SIGQUIT, oldQuit)
    }
    var argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ)
    guard spawned == 0 else {
      throw .invalidInput(
        "could not start the editor (\(editor)): \(String(cString: strerror(spawned))).")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      guard errno == EINTR else {
        throw .invalidInput("waiting for the editor failed: \(String(cString: strerror(errno))).")
      }
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard exited && code == 0 else {
      // 126 and 127 are the shell's "cannot run" and "not found"; any other failure is the
      // person's way to abort, as vim's :cq is for git.
      if exited && (code == 126 || code == 127) {
        throw .invalidInput(
          "could not run the editor (\(editor)): the shell exited with status \(code); set VISUAL or EDITOR to one that works."
        )
      }
      throw .invalidInput(
        "edit aborted, nothing written: the editor (\(editor)) \(exited ? "exited with status \(code)" : "was stopped by signal \(status & 0x7f)")."
      )
    }
  }
}

/// A file of our own under `TMPDIR` (else /tmp), made with mkstemps so nobody else's file is
/// ever reused.
enum TemporaryFile {
  static func create(named stem: String, _ text: String) throws(TackError) -> String {
    let folder =
      getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array((folder + "/" + stem + "-XXXXXX.txt").utf8CString)
    let fd = mkstemps(&template, 4)
    guard fd >= 0 else {
      throw .invalidInput(
        "could not create a temporary file in \(folder): \(String(cString: strerror(errno))).")
    }
    defer { close(fd) }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    guard Console.writeAll(fd, Array(text.utf8)) else {
      unlink(path)
      throw .invalidInput("could not write \(path): \(String(cString: strerror(errno))).")
    }
    return path
  }

  static func read(_ path: String) throws(TackError) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw .invalidInput("could not read \(path): \(String(cString: strerror(errno))).")
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else {
        throw .invalidInput("could not read \(path): \(String(cString: strerror(errno))).")
      }
      if count == 0 { break }
      bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

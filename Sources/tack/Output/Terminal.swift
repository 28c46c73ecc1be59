import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the CLI needs to know about the terminal on stdout.
enum Terminal {
  /// True when stdout is a terminal.
  static var isInteractive: Bool { isatty(1) == 1 }

  /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
  static var usesColor: Bool { isInteractive && getenv("NO_COLOR") == nil }

  /// The width to render for: the terminal's (TIOCGWINSZ on stdout), else `COLUMNS`, else 80.
  static var width: Int {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let text = getenv("COLUMNS").map({ String(cString: $0) }), let columns = Int(text),
      columns > 0
    {
      return columns
    }
    return 80
  }

  /// The lines a view drawn in place may use: the terminal's rows (TIOCGWINSZ on stdout),
  /// else `LINES`, else 24.
  static var height: Int {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 { return Int(size.ws_row) }
    if let text = getenv("LINES").map({ String(cString: $0) }), let lines = Int(text), lines > 0 {
      return lines
    }
    return 24
  }
}

/// ANSI styles for text on a terminal.
enum Style: Equatable {
  case plain, bold, dim, id, header

  var escape: String {
    switch self {
    case .plain: ""
    case .bold: "\u{1B}[1m"
    case .dim: "\u{1B}[2m"
    case .id: "\u{1B}[33m"
    case .header: "\u{1B}[1;36m"
    }
  }
}

/// A line of text made of styled pieces, measured in terminal columns.
struct StyledLine {
  var pieces: [(text: String, style: Style)] = []

  init(_ pieces: [(text: String, style: Style)] = []) { self.pieces = pieces }

  var width: Int { pieces.reduce(0) { $0 + $1.text.terminalWidth } }

  /// The line cut to at most `width` columns, ending in "…" when something was cut.
  func truncated(to width: Int) -> StyledLine {
    guard self.width > width else { return self }
    // Printable ASCII: cut by bytes.
    if pieces.count == 1, let piece = pieces.first, width > 0,
      piece.text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
    {
      var kept = String(piece.text.utf8.prefix(width - 1))!
      while kept.last == " " { kept.removeLast() }
      return StyledLine([(kept, piece.style), ("…", piece.style)])
    }
    guard width > 0 else { return StyledLine() }
    var result = StyledLine()
    var room = width - 1
    for piece in pieces {
      var kept = ""
      for character in piece.text {
        let needed = String(character).terminalWidth
        if needed > room { break }
        kept.append(character)
        room -= needed
      }
      if kept.count < piece.text.count {
        // "Upgrade Postgres…", not "Upgrade Postgres …".
        while kept.last == " " { kept.removeLast() }
        result.pieces.append((kept, piece.style))
        result.pieces.append(("…", piece.style))
        break
      }
      result.pieces.append((kept, piece.style))
    }
    return result
  }

  /// The text, with ANSI escapes when `color` is on, padded with spaces to `width` columns.
  func rendered(color: Bool, padTo width: Int = 0) -> String {
    var text = ""
    for piece in pieces where !piece.text.isEmpty {
      if color && piece.style != .plain {
        text += piece.style.escape + piece.text + "\u{1B}[0m"
      } else {
        text += piece.text
      }
    }
    let padding = width - self.width
    return padding > 0 ? text + String(repeating: " ", count: padding) : text
  }
}

extension String {
  /// Columns the text takes in a terminal: wide (East Asian, emoji) characters take two,
  /// control characters none; a close approximation of wcwidth without a locale.
  var terminalWidth: Int {
    // Most text is printable ASCII: one column a byte, counted without forming Characters.
    var ascii = 0
    for byte in utf8 {
      guard byte < 0x80 else { return unicodeWidth }
      if byte >= 0x20 && byte != 0x7F { ascii += 1 }
    }
    return ascii
  }

  private var unicodeWidth: Int {
    var total = 0
    for character in self {
      guard let scalar = character.unicodeScalars.first else { continue }
      let value = scalar.value
      if Names.isControl(scalar) { continue }
      let wide =
        (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value)
        || (0xAC00...0xD7A3).contains(value) || (0xF900...0xFAFF).contains(value)
        || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
        || (0xFFE0...0xFFE6).contains(value) || (0x1F300...0x1FAFF).contains(value)
        || (0x20000...0x3FFFD).contains(value)
      total += wide ? 2 : 1
    }
    return total
  }
}

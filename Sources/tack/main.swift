import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Global options may come before the command (`tack --repo X list`); the parser wants them
// after it, so move any leading ones behind the rest — but before a `--`, after which every
// word is a plain argument.
// Arguments that are not valid UTF-8 would reach Swift with U+FFFD in place of the bad
// bytes — a silent change to what was typed. Refuse them instead.
for index in 1..<Int(CommandLine.argc) {
  guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) == nil else {
    continue
  }
  Console.error("argument \(index) is not valid UTF-8; nothing was done.")
  exit(4)
}
var arguments = Array(CommandLine.arguments.dropFirst())
var leading: [String] = []
while let first = arguments.first, first.hasPrefix("--") {
  let name = first.split(separator: "=", maxSplits: 1).first.map(String.init) ?? first
  guard GlobalOptions.names.contains(name) else { break }
  leading.append(arguments.removeFirst())
  if !first.contains("="), GlobalOptions.namesWithValue.contains(name), !arguments.isEmpty {
    leading.append(arguments.removeFirst())
  }
}
Warnings.install { Console.warning($0) }
let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
arguments.insert(contentsOf: leading, at: end)
if let word = arguments.first, let message = TackCommand.unknownCommand(word) {
  Console.error(message)
  exit(64)
}
TackCommand.main(arguments)

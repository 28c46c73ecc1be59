import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Global options may come before the command (`tack --repo X list`); the parser wants them
// after it, so move any leading ones behind the rest — but before a `--`, after which every
// word is a plain argument.
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
TackCommand.main(arguments)

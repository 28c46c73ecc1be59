import Foundation
import TackServe

// Started by `tack serve` (which checked the options): see WebServer.main.
exit(WebServer.main(Array(CommandLine.arguments.dropFirst())))

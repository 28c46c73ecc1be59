/// Why a byte sequence is not a JSON document, and where: `offset` counts bytes from 0.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What was wrong, without the position, e.g. `unexpected character '}'`.
  public var message: String
  /// The byte offset of the problem in the input.
  public var offset: Int

  /// `"<message> at byte <offset>"`, e.g. `unexpected character '}' at byte 17`.
  public var description: String {
    "\(message) at byte \(offset)"
  }
}

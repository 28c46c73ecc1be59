/// The version of Tack, reported by `tack --version` and by the MCP server's `initialize`.
public enum TackVersion {
  public static let current = "0.1.0"
}

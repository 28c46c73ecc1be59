import Testing

@testable import TackGit

/// How Tack names an SSH remote's host and port when it looks the host key up in known_hosts
/// (the lookup itself runs against a real sshd in SSHSyncTests).
@Suite struct KnownHostsTests {
  @Test func thePortComesFromAnSSHURLAndIs22Otherwise() {
    #expect(KnownHosts.port(ofURL: "ssh://git@127.0.0.1:2222/srv/board.git") == 2222)
    #expect(KnownHosts.port(ofURL: "ssh://127.0.0.1:2222/srv/board.git") == 2222)
    #expect(KnownHosts.port(ofURL: "ssh://git@example.com/srv/board.git") == 22)
    #expect(KnownHosts.port(ofURL: "git+ssh://git@example.com:7999/x.git") == 7999)
    #expect(KnownHosts.port(ofURL: "SSH://git@[::1]:2200/x.git") == 2200)
    #expect(KnownHosts.port(ofURL: "ssh://git@[::1]/x.git") == 22)
    // scp-like: the colon starts the path, never a port.
    #expect(KnownHosts.port(ofURL: "git@example.com:2222/x.git") == 22)
    #expect(KnownHosts.port(ofURL: "https://example.com:8443/x.git") == 22)
  }

  @Test func knownHostsNamesAnotherPortInBrackets() {
    #expect(KnownHosts.name("example.com", port: 22) == "example.com")
    #expect(KnownHosts.name("127.0.0.1", port: 2222) == "[127.0.0.1]:2222")
  }
}

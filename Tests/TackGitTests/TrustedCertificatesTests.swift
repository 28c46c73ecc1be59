import Foundation
import Testing

@testable import TackGit

@Suite struct TrustedCertificatesTests {
  /// Linked statically on Linux, start-up leaves the CA bundle alone; the first TLS
  /// connection (here: `loadNow`) parses it into the chain libgit2 trusts.
  @Test func theCABundleIsLoadedWhenFirstNeeded() throws {
    #if os(Linux)
      let bundle = "/etc/ssl/certs/ca-certificates.crt"
      // Package.swift links libgit2 statically when Debian's archives are there.
      let archives = [
        "/usr/lib/x86_64-linux-gnu/libgit2.a", "/usr/lib/aarch64-linux-gnu/libgit2.a",
      ]
      guard archives.contains(where: { FileManager.default.fileExists(atPath: $0) }),
        let text = try? String(contentsOfFile: bundle, encoding: .utf8)
      else { return }
      #expect(TrustedCertificates.deferred)
      let count = try #require(TrustedCertificates.loadNow())
      let inBundle = text.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
      #expect(count > 0)
      #expect(count <= inBundle)
      // Loaded once: asking again parses nothing more.
      #expect(TrustedCertificates.loadNow() == count)
    #endif
  }
}

import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import JWTKit
import LedgerHTTP
import Testing

@Suite("HTTP auth: Supabase-style JWTs, every failure a 401 with a JSON error")
struct AuthTests {
  @Test("missing, malformed, forged, expired and incomplete tokens get 401 and change nothing")
  func refusedTokens() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let other = JWTKeyCollection()
    await other.add(hmac: HMACKey(from: "another-secret-of-at-least-32-bytes!!"), digestAlgorithm: .sha256)
    let valid = try await fixture.user(user)
    let parts = valid.split(separator: ".")
    let none = try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT"]).base64URL
    let tokens: [String?] = [
      nil, "", "not-a-jwt", "\(none).\(parts[1]).",  // alg: none
      "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))",  // bad signature
      try await fixture.token(sub: user.lowercased, signer: other),  // another key
      try await fixture.token(sub: user.lowercased, expiresIn: -60),  // expired
      try await fixture.token(sub: nil),  // user without sub
      try await fixture.token(sub: "not-a-uuid"),
      try await fixture.token(sub: user.lowercased, aud: "someone-else"),
      try await fixture.token(sub: user.lowercased, aud: nil),
      try await fixture.token(role: "anon", sub: user.lowercased),
    ]
    try await fixture.live { client in
      for token in tokens {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        let answer = try await client.call(
          .post, "/v1/mails",
          json:
            #"{"recipient_email":"b@example.com","subject":"s","content":"c","mail_type":"custom","credits":1}"#,
          headers: headers)
        #expect(answer.status == .unauthorized, "token \(token ?? "nil")")
        #expect(answer.json["error"] as? String == "unauthorized")
      }
      let basic = try await client.call(.get, "/v1/profile", headers: [.authorization: "Basic YWRhOnB3"])
      #expect(basic.status == .unauthorized)
    }
    #expect(try await fixture.credits(user) == 300)
  }

  @Test("the server refuses to start with a short secret or with no keys at all")
  func refusesWeakConfiguration() async {
    await #expect(throws: TokenVerifier.ConfigurationError.self) {
      _ = try await TokenVerifier(hmacSecret: "short", jwksJSON: nil)
    }
    await #expect(throws: TokenVerifier.ConfigurationError.self) {
      _ = try await TokenVerifier(hmacSecret: nil, jwksJSON: nil)
    }
    await #expect(throws: TokenVerifier.ConfigurationError.self) {
      _ = try await TokenVerifier(hmacSecret: nil, jwksJSON: "{not json")
    }
  }

  @Test("ES256 tokens verify against a JWKS; an HS256 token naming that key's kid does not")
  func jwks() async throws {
    let key = ES256PrivateKey()
    let parameters = try #require(key.publicKey.parameters)
    let jwks = """
      {"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k1","use":"sig","x":"\(parameters.x)","y":"\(parameters.y)"}]}
      """
    let verifier = try await TokenVerifier(hmacSecret: nil, jwksJSON: jwks)
    let signer = JWTKeyCollection()
    await signer.add(ecdsa: key, kid: "k1")
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let good = try await fixture.token(sub: user.lowercased, signer: signer, kid: "k1")
    let confused = try await fixture.token(sub: user.lowercased, kid: "k1")  // HS256, kid of the EC key
    let app = LedgerServer.application(
      ledger: fixture.ledger, verifier: verifier, metrics: fixture.metrics, port: 0)
    try await app.test(.live) { (client) async throws -> Void in
      #expect(try await client.call(.get, "/v1/profile", token: good).status == .ok)
      #expect(try await client.call(.get, "/v1/profile", token: confused).status == .unauthorized)
    }
    await fixture.ledger.close()
  }

  @Test("RS256 tokens verify against a JWKS; one signed by another RSA key does not")
  func rs256() async throws {
    let key = try Insecure.RSA.PrivateKey(pem: try Self.generateRSAKey())
    let other = try Insecure.RSA.PrivateKey(pem: try Self.generateRSAKey())
    let primitives = try key.publicKey.getKeyPrimitives()
    let jwks = """
      {"keys":[{"kty":"RSA","alg":"RS256","kid":"r1","use":"sig","n":"\(primitives.modulus.base64URL)","e":"\(primitives.publicExponent.base64URL)"}]}
      """
    let verifier = try await TokenVerifier(hmacSecret: nil, jwksJSON: jwks)
    let signer = JWTKeyCollection()
    await signer.add(rsa: key, digestAlgorithm: .sha256, kid: "r1")
    let forger = JWTKeyCollection()
    await forger.add(rsa: other, digestAlgorithm: .sha256, kid: "r1")
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let good = try await fixture.token(sub: user.lowercased, signer: signer, kid: "r1")
    let forged = try await fixture.token(sub: user.lowercased, signer: forger, kid: "r1")
    let app = LedgerServer.application(
      ledger: fixture.ledger, verifier: verifier, metrics: fixture.metrics, port: 0)
    try await app.test(.live) { (client) async throws -> Void in
      #expect(try await client.call(.get, "/v1/profile", token: good).status == .ok)
      #expect(try await client.call(.get, "/v1/profile", token: forged).status == .unauthorized)
    }
    await fixture.ledger.close()
  }

  /// A fresh 2048-bit RSA key in PEM, from the openssl command (swift-crypto only generates
  /// RSA keys through an underscored API). Written to a file and read once openssl has
  /// exited, not read from a pipe: Foundation's `readDataToEndOfFile()` traps when a signal
  /// interrupts its read (EINTR).
  static func generateRSAKey() throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ledger-rsa-\(UUID().uuidString.lowercased()).pem")
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "genrsa", "-out", file.path, "2048"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return String(decoding: try Data(contentsOf: file), as: UTF8.self)
  }
}

extension Data {
  var base64URL: String {
    base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }
}

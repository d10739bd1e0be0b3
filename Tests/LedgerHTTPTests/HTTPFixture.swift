import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import LedgerHTTP
import Testing

/// A ledger in a temporary folder behind a real server on loopback, and tokens to call it with.
struct HTTPFixture {
  static let secret = "test-secret-that-is-at-least-32-bytes-long"
  let ledger: Ledger
  let verifier: TokenVerifier
  let metrics: LedgerMetrics
  let signer: JWTKeyCollection

  /// Every fixture's folder sits in one folder per test process, removed when the process exits.
  static let root: URL = {
    atexit { try? FileManager.default.removeItem(at: HTTPFixture.root) }
    return FileManager.default.temporaryDirectory.appendingPathComponent("ledger-http-\(getpid())")
  }()

  init(limits: Limits = Limits()) async throws {
    let folder = Self.root.appendingPathComponent(UUID().uuidString.lowercased())
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let metrics = LedgerMetrics()
    var configuration = LedgerConfiguration()
    configuration.limits = limits
    configuration.onBatchAnswered = { metrics.batchAnswered($0) }
    ledger = try await Ledger.open(
      path: folder.appendingPathComponent("ledger.sqlite").path, configuration: configuration)
    verifier = try await TokenVerifier(hmacSecret: Self.secret, jwksJSON: nil)
    self.metrics = metrics
    signer = JWTKeyCollection()
    await signer.add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
  }

  /// Runs `body` against a live server on loopback, then closes the ledger (which leaves the
  /// projections caught up for reads from the file).
  func live(
    bodyBytesMax: Int = 1024 * 1024, _ body: @Sendable (any TestClientProtocol) async throws -> Void
  ) async throws {
    var limits = HTTPLimits()
    limits.requestBodyBytesMax = bodyBytesMax
    let app = LedgerServer.application(
      ledger: ledger, verifier: verifier, metrics: metrics, limits: limits, port: 0)
    do {
      try await app.test(.live, body)
    } catch {
      await ledger.close()
      throw error
    }
    await ledger.close()
  }

  /// A token as Supabase signs them; nil leaves a claim out.
  func token(
    role: String = "authenticated", sub: String? = nil, aud: String? = "authenticated",
    expiresIn: TimeInterval = 3600, signer: JWTKeyCollection? = nil, kid: JWKIdentifier? = nil
  ) async throws -> String {
    let claims = TestClaims(
      exp: ExpirationClaim(value: Date().addingTimeInterval(expiresIn)),
      sub: sub.map(SubjectClaim.init(value:)),
      aud: aud.map { AudienceClaim(value: [$0]) }, role: role)
    return try await (signer ?? self.signer).sign(claims, kid: kid)
  }

  func user(_ id: UUID) async throws -> String { try await token(sub: id.lowercased) }
  func service() async throws -> String { try await token(role: "service_role", sub: nil, aud: nil) }

  /// Signs a user up through the library and returns its id.
  func signUp(credits: Int64 = 300) async throws -> UUID {
    try await ledger.signUp(email: "ada@example.com", credits: credits, as: .service).id
  }

  /// Events in the log, read from the file (the ledger may be closed by then).
  func eventCount() async throws -> Int {
    try await LedgerReader.open(path: ledger.path).events(limit: 10_000, as: .service).count
  }

  /// A user's credits, read from the file.
  func credits(_ user: UUID) async throws -> Int64 {
    try await LedgerReader.open(path: ledger.path).balance(userID: user, as: .service).credits
  }
}

struct TestClaims: JWTPayload {
  var exp: ExpirationClaim
  var sub: SubjectClaim?
  var aud: AudienceClaim?
  var role: String

  func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// One call to the server, and its answer as JSON.
struct Call {
  var status: HTTPResponse.Status
  var text: String
  var headers: HTTPFields

  var json: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }
  var array: [[String: Any]] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
  }
}

extension TestClientProtocol {
  /// A POST with a raw body, for bytes that are not text.
  func post(_ uri: String, token: String, bytes: [UInt8]) async throws -> Call {
    let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
    return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) {
      Call(status: $0.status, text: String(buffer: $0.body), headers: $0.headers)
    }
  }

  func call(
    _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
    headers extra: HTTPFields = [:]
  ) async throws -> Call {
    var headers = extra
    if let token { headers[.authorization] = "Bearer \(token)" }
    if json != nil { headers[.contentType] = "application/json" }
    return try await execute(
      uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
    ) {
      Call(status: $0.status, text: String(buffer: $0.body), headers: $0.headers)
    }
  }
}

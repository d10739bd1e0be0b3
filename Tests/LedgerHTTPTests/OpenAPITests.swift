import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import LedgerHTTP
import Testing

@Suite("openapi.yaml is kept true")
struct OpenAPITests {
  /// Every route the server has, as (method, path template, a concrete path to call).
  static let routes: [(String, String, String)] = {
    let id = UUID().lowercased
    return [
      ("get", "/health", "/health"), ("get", "/metrics", "/metrics"),
      ("get", "/openapi.yaml", "/openapi.yaml"),
      ("post", "/v1/users", "/v1/users"), ("get", "/v1/profile", "/v1/profile"),
      ("patch", "/v1/profile", "/v1/profile"),
      ("get", "/v1/users/{id}/profile", "/v1/users/\(id)/profile"),
      ("post", "/v1/users/{id}/credits", "/v1/users/\(id)/credits"),
      ("delete", "/v1/users/{id}", "/v1/users/\(id)"),
      ("get", "/v1/users/{id}/statement", "/v1/users/\(id)/statement"), ("post", "/v1/mails", "/v1/mails"),
      ("get", "/v1/mails", "/v1/mails"), ("get", "/v1/mails/stats", "/v1/mails/stats"),
      ("get", "/v1/mails/{id}", "/v1/mails/\(id)"),
      ("post", "/v1/mails/{id}/refund", "/v1/mails/\(id)/refund"),
      ("get", "/v1/events", "/v1/events"),
    ]
  }()

  /// (method, path) pairs the document declares, read from its `paths:` section.
  static func documented() throws -> Set<String> {
    var pairs: Set<String> = []
    var path: String?
    var inPaths = false
    for line in try OpenAPIDocument.text().split(separator: "\n", omittingEmptySubsequences: false) {
      if line == "paths:" {
        inPaths = true
        continue
      }
      guard inPaths else { continue }
      if let match = line.wholeMatch(of: /\ \ (\/\S*):/) { path = String(match.1) }
      if let match = line.wholeMatch(of: /\ {4}(get|post|patch|put|delete):/), let path {
        pairs.insert("\(match.1) \(path)")
      }
    }
    return pairs
  }

  @Test("the document lists exactly the routes the server has")
  func documentMatchesRoutes() throws {
    #expect(try Self.documented() == Set(Self.routes.map { "\($0.0) \($0.1)" }))
  }

  @Test("every listed route exists on the server: none answers 404 for lack of a route or 405")
  func routesExist() async throws {
    let fixture = try await HTTPFixture()
    let service = try await fixture.service()
    try await fixture.live { client in
      for (method, template, path) in Self.routes {
        let answer = try await client.call(
          HTTPRequest.Method(method.uppercased())!, path, token: service, json: "{}")
        #expect(answer.status != .methodNotAllowed, "\(method) \(template)")
        // A 404 from a route carries the ledger's JSON error; one for a missing route does not.
        if answer.status == .notFound { #expect(answer.json["error"] != nil, "\(method) \(template)") }
      }
    }
  }
}

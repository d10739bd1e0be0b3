import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import LedgerHTTP

@Suite("openapi.yaml is kept true")
struct OpenAPITests {
  /// Every route the server answers, as (method, path template, a concrete path to call):
  /// the table the 405 middleware keeps.
  static let routes: [(String, String, String)] = {
    let id = UUID().lowercased
    return MethodNotAllowedMiddleware<LedgerContext>.routes.flatMap { route in
      let template = "/" + route.template.joined(separator: "/")
      return route.methods.map { method in
        (method.rawValue.lowercased(), template, template.replacingOccurrences(of: "{id}", with: id))
      }
    }
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

  @Test("the document lists exactly the routes the server has (and the 405 table agrees)")
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
      let wrong = try await client.call(.put, "/v1/mails", token: service, json: "{}")
      #expect(wrong.status == .methodNotAllowed && wrong.headers[.allow] == "GET, POST")
    }
  }
}

import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird

/// The ledger's HTTP API, to mount on any Hummingbird router whose context is a
/// ``LedgerRequestContext``: `LedgerRoutes(ledger:verifier:).register(on: router)`.
///
/// Routes under `/v1` need a bearer token; `/health`, `/metrics` and `/openapi.yaml` do not.
public struct LedgerRoutes<Context: LedgerRequestContext>: Sendable {
  let ledger: Ledger
  let verifier: TokenVerifier
  let metrics: LedgerMetrics
  let limits: HTTPLimits

  /// Routes over `ledger`, checking tokens with `verifier`.
  public init(ledger: Ledger, verifier: TokenVerifier, metrics: LedgerMetrics, limits: HTTPLimits = .init()) {
    self.ledger = ledger
    self.verifier = verifier
    self.metrics = metrics
    self.limits = limits
  }

  /// Adds every route to `router`.
  public func register(on router: Router<Context>) {
    router.add(middleware: MethodNotAllowedMiddleware())
    router.get("/health") { _, _ in JSONValue.object(["status": .string("ok")]).response(status: .ok) }
    router.get("/metrics") { _, _ in metrics.exposition(ledger: ledger) }
    router.get("/openapi.yaml") { _, _ in try OpenAPIDocument.response() }
    let api = router.group("/v1").add(middleware: BearerAuthMiddleware(verifier: verifier))
    registerUsers(on: api)
    registerMails(on: api)
    registerAudit(on: api)
  }

  /// Runs a route body, turning the ledger's errors into their HTTP answers.
  func handling(_ body: () async throws -> Response) async throws -> Response {
    do {
      return try await body()
    } catch {
      throw APIError.from(error)
    }
  }

  /// The route's `{id}` as a UUID; anything else is answered as a missing resource.
  func id(_ context: Context) throws -> UUID {
    guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
      throw APIError(.notFound, code: "not_found", message: "no such resource")
    }
    return id
  }

  /// A query parameter as an integer, or a 422 naming it.
  func queryInteger(_ request: Request, _ name: String) throws -> Int64? {
    guard let text = request.uri.queryParameters.get(name) else { return nil }
    guard let value = Int64(text) else { throw APIError.invalid(name, "must be a whole number") }
    return value
  }

  /// A query parameter as an ISO 8601 time, or a 422 naming it.
  func queryDate(_ request: Request, _ name: String) throws -> Date? {
    guard let text = request.uri.queryParameters.get(name) else { return nil }
    guard let date = Date(iso8601: text) else { throw APIError.invalid(name, "must be an ISO 8601 time") }
    return date
  }

  /// Whose data a query is about: a user's own, or the `user_id` the service names.
  func subject(_ request: Request, _ context: Context) throws -> (UUID, Principal) {
    let principal = try principal(context)
    let named = request.uri.queryParameters.get("user_id")
    switch principal {
    case .user(let own):
      if let named, UUID(uuidString: named) != own {
        throw APIError.forbidden("a user token reads only its own data")
      }
      return (own, principal)
    case .service:
      guard let named else { throw APIError.invalid("user_id", "is required with the service role") }
      guard let id = UUID(uuidString: named) else { throw APIError.invalid("user_id", "must be a UUID") }
      return (id, principal)
    }
  }

  /// The principal the middleware proved.
  func principal(_ context: Context) throws -> Principal {
    guard let principal = context.principal else { throw APIError.unauthorized("no principal") }
    return principal
  }

  /// Service-only routes answer 403 to a user token.
  func requireService(_ context: Context) throws {
    guard try principal(context) == .service else {
      throw APIError.forbidden("this route needs the service role")
    }
  }
}

/// Bounds on what the HTTP layer accepts.
public struct HTTPLimits: Sendable {
  /// The largest request body; bigger ones get 413.
  public var requestBodyBytesMax = 1024 * 1024

  /// The defaults: 1 MiB bodies.
  public init() {}
}

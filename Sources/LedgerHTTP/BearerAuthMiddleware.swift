import CreditLedger
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <JWT>` and puts the principal it proves in the context.
/// The token itself is never logged.
public struct BearerAuthMiddleware<Context: LedgerRequestContext>: RouterMiddleware {
  let verifier: TokenVerifier

  /// A middleware checking tokens with `verifier`.
  public init(verifier: TokenVerifier) {
    self.verifier = verifier
  }

  /// Checks the token, then calls the route.
  public func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard let header = request.headers[.authorization] else {
      throw APIError.unauthorized("an Authorization: Bearer token is required")
    }
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
    }
    var context = context
    context.principal = try await verifier.principal(for: String(parts[1]))
    return try await next(request, context)
  }
}

import HTTPTypes
import Hummingbird

/// Answers 405 with an `Allow` header when a request names one of the ledger's paths with a
/// method that path does not have (the router alone would say 404, as for no path at all).
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
  /// Path templates (`{id}` stands for one segment) and the methods each has.
  static var routes: [(template: [Substring], methods: [HTTPRequest.Method])] {
    [
      ("/health", [.get]), ("/metrics", [.get]), ("/openapi.yaml", [.get]), ("/v1/users", [.post]),
      ("/v1/profile", [.get, .patch]), ("/v1/users/{id}/profile", [.get]), ("/v1/users/{id}/balance", [.get]),
      ("/v1/users/{id}/credits", [.post]),
      ("/v1/users/{id}", [.delete]), ("/v1/users/{id}/statement", [.get]), ("/v1/mails", [.get, .post]),
      ("/v1/mails/stats", [.get]), ("/v1/mails/{id}", [.get]), ("/v1/mails/{id}/refund", [.post]),
      ("/v1/events", [.get]),
    ].map { ($0.0.split(separator: "/"), $0.1) }
  }

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let segments = request.uri.path.split(separator: "/")
    // The most specific template wins: `/v1/mails/stats` over `/v1/mails/{id}`.
    let matches = Self.routes.filter { route in
      route.template.count == segments.count
        && zip(route.template, segments).allSatisfy { $0 == "{id}" || $0 == $1 }
    }
    let exact = matches.first { route in zip(route.template, segments).allSatisfy { $0 == $1 } }
    guard let route = exact ?? matches.first, !route.methods.contains(request.method) else {
      return try await next(request, context)
    }
    var error = APIError(
      .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here")
    error.headers[.allow] = route.methods.map(\.rawValue).joined(separator: ", ")
    throw error
  }
}

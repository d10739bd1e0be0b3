import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird

/// Every error the HTTP API returns: a status and a JSON body `{"error":code,"message":…}`,
/// with `field` for invalid input and the seed's shape for insufficient credits.
public struct APIError: Error, HTTPResponseError, Sendable {
  /// The HTTP status.
  public var status: HTTPResponse.Status
  /// The JSON body.
  var body: [String: JSONValue]
  /// Extra headers (`Allow` on a 405).
  var headers: HTTPFields = [:]

  init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
    self.status = status
    body = ["error": .string(code), "message": .string(message)]
    if let field { body["field"] = .string(field) }
  }

  static func unauthorized(_ message: String) -> APIError {
    APIError(.unauthorized, code: "unauthorized", message: message)
  }

  static func forbidden(_ message: String) -> APIError {
    APIError(.forbidden, code: "forbidden", message: message)
  }

  static func badRequest(_ message: String) -> APIError {
    APIError(.badRequest, code: "malformed_request", message: message)
  }

  static func invalid(_ field: String, _ reason: String) -> APIError {
    APIError(
      .unprocessableContent, code: "invalid_field", message: "invalid \(field): \(reason)", field: field)
  }

  /// The response for an error a route threw: the ledger's rules map to their statuses.
  static func from(_ error: any Error) -> any Error {
    switch error {
    case let rejection as Rejection: return APIError(rejection)
    case let error as LedgerError: return APIError(error)
    default: return error
    }
  }

  init(_ rejection: Rejection) {
    let message = rejection.description
    switch rejection {
    case .notPermitted: self.init(.forbidden, code: rejection.code, message: message)
    case .invalidField(let field, _):
      self.init(.unprocessableContent, code: rejection.code, message: message, field: field)
    case .userNotFound, .mailNotFound: self.init(.notFound, code: rejection.code, message: message)
    case .idempotencyKeyReused, .userAlreadyExists, .mailAlreadyRefunded:
      self.init(.conflict, code: rejection.code, message: message)
    case .refundExceedsDebit, .creditsBalanceLimitExceeded:
      self.init(.unprocessableContent, code: rejection.code, message: message)
    case .insufficientCredits(let current):
      // The seed function's failure object.
      self.init(.init(code: 402, reasonPhrase: "Payment Required"), code: rejection.code, message: message)
      body = [
        "success": .bool(false), "error": .string("Insufficient credits"), "current_credits": .int(current),
      ]
    }
  }

  init(_ error: LedgerError) {
    switch error {
    case .ledgerInUse, .closed: self.init(.serviceUnavailable, code: error.code, message: error.description)
    default: self.init(.internalServerError, code: error.code, message: error.description)
    }
  }

  /// The JSON response.
  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var response = JSONValue.object(body).response(status: status)
    response.headers.append(contentsOf: headers)
    return response
  }
}

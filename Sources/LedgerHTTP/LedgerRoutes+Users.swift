import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird

extension LedgerRoutes {
  func registerUsers(on api: RouterGroup<Context>) {
    api.post("/users") { request, context in
      try await handling {
        try requireService(context)
        let body = try await JSONBody.read(
          request, bytesMax: limits.requestBodyBytesMax, allowed: ["email", "id", "credits"])
        let profile = try await ledger.signUp(
          email: body.string("email"), userID: body.uuid("id"), credits: body.optionalInteger("credits"),
          idempotencyKey: request.headers[.idempotencyKey], as: .service)
        return try JSONResponse.make(status: .created, profile)
      }
    }
    api.get("/profile") { _, context in
      try await handling {
        guard case .user(let id) = try principal(context) else {
          throw APIError.forbidden(
            "/v1/profile is a user's own profile; the service uses /v1/users/{id}/profile")
        }
        return try JSONResponse.make(try await ledger.reader.profile(userID: id, as: .user(id)))
      }
    }
    api.patch("/profile") { request, context in
      try await handling {
        guard case .user(let id) = try principal(context) else {
          throw APIError.forbidden("/v1/profile is a user's own profile")
        }
        let body = try await JSONBody.read(
          request, bytesMax: limits.requestBodyBytesMax, allowed: ["email", "credits"])
        if body.has("credits") { throw APIError.badRequest("credits cannot be changed through the profile") }
        let profile = try await ledger.changeEmail(
          userID: id, email: body.string("email"), idempotencyKey: request.headers[.idempotencyKey],
          as: .user(id))
        return try JSONResponse.make(profile)
      }
    }
    api.get("/users/:id/profile") { _, context in
      try await handling {
        let id = try id(context)
        return try JSONResponse.make(try await ledger.reader.profile(userID: id, as: principal(context)))
      }
    }
    // The ledger's reader answers a balance from the writer's durable balances in memory:
    // the cheap read a client polls after each send, never waiting for the projections.
    api.get("/users/:id/balance") { _, context in
      try await handling {
        let id = try id(context)
        return try JSONResponse.make(try await ledger.reader.balance(userID: id, as: principal(context)))
      }
    }
    api.post("/users/:id/credits") { request, context in
      try await handling {
        try requireService(context)
        let id = try id(context)
        let body = try await JSONBody.read(
          request, bytesMax: limits.requestBodyBytesMax, allowed: ["credits", "reason"])
        let balance = try await ledger.grant(
          userID: id, credits: body.integer("credits"), reason: body.optionalString("reason"),
          idempotencyKey: request.headers[.idempotencyKey], as: .service)
        return try JSONResponse.make(status: .created, balance)
      }
    }
    api.delete("/users/:id") { request, context in
      try await handling {
        try requireService(context)
        let id = try id(context)
        let event = try await ledger.deleteUser(
          userID: id, idempotencyKey: request.headers[.idempotencyKey], as: .service)
        return try JSONResponse.make(event)
      }
    }
  }
}

extension HTTPField.Name {
  /// `Idempotency-Key`: a retry with the same key gets the original answer.
  static let idempotencyKey = Self("Idempotency-Key")!
}

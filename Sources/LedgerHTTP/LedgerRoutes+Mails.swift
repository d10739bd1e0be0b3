import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird

extension LedgerRoutes {
  func registerMails(on api: RouterGroup<Context>) {
    api.post("/mails") { request, context in
      try await handling {
        let body = try await JSONBody.read(
          request, bytesMax: limits.requestBodyBytesMax,
          allowed: ["recipient_email", "subject", "content", "mail_type", "credits", "user_id"])
        let principal = try principal(context)
        let userID = try mailOwner(body.uuid("user_id"), principal)
        let mail = SendMail(
          userID: userID, recipientEmail: try body.string("recipient_email"),
          subject: try body.string("subject"),
          content: try body.string("content"), mailType: try body.mailType("mail_type"),
          credits: try body.integer("credits"))
        do {
          let receipt = try await ledger.send(
            mail, idempotencyKey: request.headers[.idempotencyKey], as: principal)
          // A retry with the same Idempotency-Key deducted nothing: count the send once.
          if !receipt.replayed { metrics.deductionAccepted() }
          return try JSONResponse.make(status: .created, receipt)
        } catch let rejection as Rejection {
          metrics.deductionRejected(rejection.code)
          throw rejection
        }
      }
    }
    api.get("/mails") { request, context in
      try await handling {
        let (userID, principal) = try subject(request, context)
        let type = try request.uri.queryParameters.get("mail_type").map { text in
          guard let type = MailType(rawValue: text) else {
            throw APIError.invalid("mail_type", "must be 'custom' or 'template'")
          }
          return type
        }
        let query = HistoryQuery(
          limit: Int(try queryInteger(request, "limit") ?? 50),
          cursor: request.uri.queryParameters.get("cursor"),
          offset: try queryInteger(request, "offset").map(Int.init), mailType: type,
          recipientEmail: request.uri.queryParameters.get("recipient"))
        return try JSONResponse.make(
          try await ledger.reader.history(userID: userID, query: query, as: principal))
      }
    }
    api.get("/mails/stats") { request, context in
      try await handling {
        let (userID, principal) = try subject(request, context)
        let stats = try await ledger.reader.stats(
          userID: userID, since: queryDate(request, "since"), as: principal)
        return try JSONResponse.make(stats)
      }
    }
    api.get("/mails/:id") { _, context in
      try await handling {
        try JSONResponse.make(try await ledger.reader.mail(id: id(context), as: principal(context)))
      }
    }
    api.post("/mails/:id/refund") { request, context in
      try await handling {
        try requireService(context)
        let mailID = try id(context)
        let body = try await JSONBody.read(
          request, bytesMax: limits.requestBodyBytesMax, allowed: ["credits"], emptyAllowed: true)
        let receipt = try await ledger.refund(
          mailID: mailID, credits: body.optionalInteger("credits"),
          idempotencyKey: request.headers[.idempotencyKey],
          as: .service)
        return try JSONResponse.make(status: .created, receipt)
      }
    }
  }

  /// Whose credits pay for a mail: a user's own (naming another user is a 403), or the
  /// `user_id` the service names.
  private func mailOwner(_ named: UUID?, _ principal: Principal) throws -> UUID {
    switch principal {
    case .user(let own):
      if let named, named != own { throw APIError.forbidden("a user token sends only on its own credits") }
      return own
    case .service:
      guard let named else { throw APIError.invalid("user_id", "is required with the service role") }
      return named
    }
  }
}

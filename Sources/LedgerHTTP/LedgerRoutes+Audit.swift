import CreditLedger
import Foundation
import Hummingbird

extension LedgerRoutes {
  func registerAudit(on api: RouterGroup<Context>) {
    api.get("/users/:id/statement") { request, context in
      try await handling {
        let userID = try id(context)
        if let seq = try queryInteger(request, "seq"), seq < 0 {
          throw APIError.invalid("seq", "must not be negative")
        }
        let asOf: AsOf? =
          if let date = try queryDate(request, "as_of") { .time(date) } else {
            try queryInteger(request, "seq").map(AsOf.seq)
          }
        return try JSONResponse.make(
          try await ledger.reader.statement(userID: userID, asOf: asOf, as: principal(context)))
      }
    }
    api.get("/events") { request, context in
      try await handling {
        try requireService(context)
        let after = try queryInteger(request, "after_seq") ?? 0
        guard after >= 0 else { throw APIError.invalid("after_seq", "must not be negative") }
        let events = try await ledger.reader.events(
          afterSeq: after,
          limit: Int(queryInteger(request, "limit") ?? 1000),
          as: .service)
        return try JSONResponse.make(EventPage(items: events))
      }
    }
  }
}

/// One page of the audit feed: `{"items":[…],"next_after_seq":N}`; pass `next_after_seq` as
/// `after_seq` to follow it.
struct EventPage: Encodable {
  var items: [Event]

  enum CodingKeys: String, CodingKey {
    case items
    case nextAfterSeq = "next_after_seq"
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(items, forKey: .items)
    try container.encode(items.last?.seq, forKey: .nextAfterSeq)
  }
}

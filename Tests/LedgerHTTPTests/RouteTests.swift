import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite("HTTP routes end to end: a real server on loopback and a real SQLite file")
struct RouteTests {
  static let mail =
    #"{"recipient_email":"bob@example.com","subject":"Hi","content":"<p>x</p>","mail_type":"custom","credits":5}"#

  @Test("signup, profile, send, history, stats, one mail, refund, grant, statement, events, delete")
  func lifecycle() async throws {
    let fixture = try await HTTPFixture()
    let service = try await fixture.service()
    try await fixture.live { client in
      let id = UUID().lowercased
      let created = try await client.call(
        .post, "/v1/users", token: service, json: #"{"email":"ada@example.com","id":"\#(id)"}"#)
      #expect(created.status == .created && created.json["credits"] as? Int == 300)
      #expect(
        try await client.call(
          .post, "/v1/users", token: service, json: #"{"email":"x@example.com","id":"\#(id)"}"#
        ).status == .conflict)
      let ada = try await fixture.user(UUID(uuidString: id)!)
      #expect(
        try await client.call(.get, "/v1/profile", token: ada).json["email"] as? String == "ada@example.com")
      let patched = try await client.call(
        .patch, "/v1/profile", token: ada, json: #"{"email":"ada@new.example"}"#)
      #expect(patched.status == .ok && patched.json["email"] as? String == "ada@new.example")
      let sent = try await client.call(.post, "/v1/mails", token: ada, json: Self.mail)
      #expect(
        sent.status == .created && sent.json["success"] as? Bool == true
          && sent.json["remaining_credits"] as? Int == 295)
      let mailID = try #require(sent.json["mail_id"] as? String)
      let balance = try await client.call(.get, "/v1/users/\(id)/balance", token: ada)
      #expect(balance.status == .ok && balance.json["credits"] as? Int == 295)
      #expect(balance.json["user_id"] as? String == id)
      _ = try await client.call(
        .post, "/v1/mails", token: service,
        json: Self.mail.replacingOccurrences(of: "}", with: #","user_id":"\#(id)"}"#))
      let page = try await client.call(.get, "/v1/mails?limit=1", token: ada)
      #expect((page.json["items"] as? [Any])?.count == 1)
      let cursor = try #require(page.json["next_cursor"] as? String)
      let next = try await client.call(.get, "/v1/mails?limit=1&cursor=\(cursor)", token: ada)
      #expect(((next.json["items"] as? [[String: Any]])?.first?["id"] as? String) == mailID)
      let stats = try await client.call(.get, "/v1/mails/stats?since=2000-01-01T00:00:00Z", token: ada)
      #expect(stats.array.first?["count"] as? Int == 2 && stats.array.first?["total_credits"] as? Int == 10)
      #expect(
        try await client.call(.get, "/v1/mails/\(mailID)", token: ada).json["subject"] as? String == "Hi")
      let refund = try await client.call(.post, "/v1/mails/\(mailID)/refund", token: service)
      #expect(refund.status == .created && refund.json["remaining_credits"] as? Int == 295)
      #expect(try await client.call(.post, "/v1/mails/\(mailID)/refund", token: service).status == .conflict)
      let granted = try await client.call(
        .post, "/v1/users/\(id)/credits", token: service, json: #"{"credits":5,"reason":"promo"}"#)
      #expect(granted.status == .created && granted.json["credits"] as? Int == 300)
      let statement = try await client.call(.get, "/v1/users/\(id)/statement", token: ada)
      #expect((statement.json["lines"] as? [Any])?.count == 6)
      let events = try await client.call(.get, "/v1/events?after_seq=0&limit=3", token: service)
      #expect((events.json["items"] as? [Any])?.count == 3 && events.json["next_after_seq"] as? Int == 3)
      #expect(try await client.call(.delete, "/v1/users/\(id)", token: service).status == .ok)
      #expect(try await client.call(.get, "/v1/users/\(id)/profile", token: service).status == .notFound)
      #expect(try await client.call(.get, "/v1/users/\(id)/balance", token: service).status == .notFound)
    }
  }

  @Test("short of credits: 402 with the seed's body; invalid input: 422 with the field")
  func refusals() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp(credits: 4)
    let token = try await fixture.user(user)
    try await fixture.live { client in
      let short = try await client.call(.post, "/v1/mails", token: token, json: Self.mail)
      #expect(short.status == .init(code: 402))
      #expect(
        short.json["success"] as? Bool == false && short.json["error"] as? String == "Insufficient credits")
      #expect(short.json["current_credits"] as? Int == 4)
      for (body, field) in [
        (Self.mail.replacingOccurrences(of: "bob@example.com", with: "bob"), "recipient_email"),
        (Self.mail.replacingOccurrences(of: #""subject":"Hi""#, with: #""subject":"""#), "subject"),
        (Self.mail.replacingOccurrences(of: "custom", with: "newsletter"), "mail_type"),
        (Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":0"#), "credits"),
        (Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":-3"#), "credits"),
        (
          Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":99999999999999999999999"#),
          "credits"
        ),
        (Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":true"#), "credits"),
        (Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":"5""#), "credits"),
        (Self.mail.replacingOccurrences(of: "}", with: #","admin":true}"#), "admin"),
        (Self.mail.replacingOccurrences(of: #""subject":"Hi""#, with: #""subject":null"#), "subject"),
        (Self.mail.replacingOccurrences(of: "}", with: #","user_id":null}"#), "user_id"),
      ] {
        let answer = try await client.call(.post, "/v1/mails", token: token, json: body)
        #expect(answer.status == .unprocessableContent, "\(field)")
        #expect(answer.json["field"] as? String == field)
      }
    }
    #expect(try await fixture.eventCount() == 1)
  }

  @Test(
    "another user's data answers 404 like missing data; naming another user is 403; user on a service route is 403"
  )
  func crossUser() async throws {
    let fixture = try await HTTPFixture()
    let ada = try await fixture.signUp()
    let bob = try await fixture.signUp()
    let bobsMail = try await fixture.ledger.send(
      SendMail(
        userID: bob, recipientEmail: "c@example.com", subject: "s", content: "c", mailType: .custom,
        credits: 1),
      as: .service
    ).mailID
    let adaToken = try await fixture.user(ada)
    try await fixture.live { client in
      let other = try await client.call(.get, "/v1/mails/\(bobsMail)", token: adaToken)
      let missing = try await client.call(.get, "/v1/mails/\(UUID().lowercased)", token: adaToken)
      #expect(other.status == .notFound && missing.status == .notFound)
      #expect(other.json["error"] as? String == missing.json["error"] as? String)
      #expect(
        try await client.call(.get, "/v1/users/\(bob.lowercased)/profile", token: adaToken).status
          == .notFound)
      let othersBalance = try await client.call(.get, "/v1/users/\(bob.lowercased)/balance", token: adaToken)
      let missingBalance = try await client.call(
        .get, "/v1/users/\(UUID().lowercased)/balance", token: adaToken)
      #expect(othersBalance.status == .notFound && missingBalance.status == .notFound)
      #expect(othersBalance.json["error"] as? String == missingBalance.json["error"] as? String)
      #expect(
        try await client.call(.get, "/v1/users/\(bob.lowercased)/statement", token: adaToken).status
          == .notFound)
      let named = Self.mail.replacingOccurrences(of: "}", with: #","user_id":"\#(bob.lowercased)"}"#)
      #expect(try await client.call(.post, "/v1/mails", token: adaToken, json: named).status == .forbidden)
      #expect(
        try await client.call(.get, "/v1/mails?user_id=\(bob.lowercased)", token: adaToken).status
          == .forbidden)
      for (method, path, body) in [
        (HTTPRequest.Method.post, "/v1/users", #"{"email":"e@example.com"}"#),
        (.post, "/v1/users/\(ada.lowercased)/credits", #"{"credits":1000}"#),
        (.post, "/v1/mails/\(bobsMail)/refund", nil),
        (.delete, "/v1/users/\(bob.lowercased)", nil),
        (.get, "/v1/events", nil),
      ] {
        #expect(
          try await client.call(method, path, token: adaToken, json: body).status == .forbidden, "\(path)")
      }
      let credits = try await client.call(
        .patch, "/v1/profile", token: adaToken, json: #"{"email":"a@b.co","credits":9999}"#)
      #expect(credits.status == .badRequest)
    }
    #expect(try await fixture.credits(ada) == 300)
    #expect(try await fixture.eventCount() == 3)
  }

  @Test(
    "an idempotent retry gets the original status and body, appends nothing, and is not counted as a deduction"
  )
  func idempotentRetry() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let token = try await fixture.user(user)
    try await fixture.live { client in
      let first = try await client.call(
        .post, "/v1/mails", token: token, json: Self.mail, headers: [.idempotencyKeyHeader: "k-1"])
      _ = try await client.call(.post, "/v1/mails", token: token, json: Self.mail)
      let retry = try await client.call(
        .post, "/v1/mails", token: token, json: Self.mail, headers: [.idempotencyKeyHeader: "k-1"])
      #expect(first.status == .created && retry.status == first.status && retry.text == first.text)
      let other = Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":6"#)
      #expect(
        try await client.call(
          .post, "/v1/mails", token: token, json: other, headers: [.idempotencyKeyHeader: "k-1"]
        ).status == .conflict)
      // Two sends deducted credits; the retry did not, and is not counted again.
      let metrics = try await client.call(.get, "/metrics").text
      #expect(metrics.contains("ledger_deductions_accepted_total 2\n"), "\(metrics)")
    }
    #expect(try await fixture.eventCount() == 3)
  }

  @Test("bodies over the limit get 413, malformed JSON 400; nothing is written")
  func badBodies() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let token = try await fixture.user(user)
    try await fixture.live(bodyBytesMax: 2048) { client in
      let big = Self.mail.replacingOccurrences(of: "<p>x</p>", with: String(repeating: "x", count: 4096))
      let tooLarge = try await client.call(.post, "/v1/mails", token: token, json: big)
      #expect(tooLarge.status == .contentTooLarge && tooLarge.json["error"] as? String == "body_too_large")
      let invalidUTF8 = try await client.post(
        "/v1/mails", token: token, bytes: Array(#"{"subject":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8))
      #expect(invalidUTF8.status == .badRequest)
      for body in ["{", "[1,2]", "null", "\"text\"", "{\"recipient_email\":}"] {
        #expect(
          try await client.call(.post, "/v1/mails", token: token, json: body).status == .badRequest, "\(body)"
        )
      }
    }
    #expect(try await fixture.eventCount() == 1)
  }

  @Test("health, metrics and the OpenAPI document answer without a token")
  func openRoutes() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp()
    let token = try await fixture.user(user)
    try await fixture.live { client in
      _ = try await client.call(.post, "/v1/mails", token: token, json: Self.mail)
      _ = try await client.call(
        .post, "/v1/mails", token: token,
        json: Self.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":500"#))
      #expect(try await client.call(.get, "/health").json["status"] as? String == "ok")
      let metrics = try await client.call(.get, "/metrics").text
      for name in [
        "ledger_deductions_accepted_total 1",
        "ledger_deductions_rejected_total{reason=\"insufficient_credits\"} 1",
        "ledger_batch_commands_bucket", "ledger_queued_seconds_bucket", "ledger_commit_seconds_bucket",
        "ledger_fdatasync_seconds_bucket", "ledger_answered_seconds_bucket", "ledger_writer_queue_depth",
        "ledger_database_bytes", "ledger_projection_lag_seconds", "ledger_projection_failures_total 0",
        "ledger_projection_stuck 0",
      ] {
        #expect(metrics.contains(name), "\(name)")
      }
      // The signup and the two sends each answered in a batch; the refused send needed no
      // fdatasync.
      func count(_ metric: String) -> Int? {
        metrics.split(separator: "\n").first { $0.hasPrefix(metric + "_count ") }
          .flatMap { Int($0.split(separator: " ").last ?? "") }
      }
      let answered = try #require(count("ledger_answered_seconds"))
      let synced = try #require(count("ledger_fdatasync_seconds"))
      #expect(answered >= 3 && synced >= 2 && synced < answered, "answered \(answered), synced \(synced)")
      #expect(try await client.call(.get, "/openapi.yaml").text.hasPrefix("openapi:"))
    }
  }
}

extension HTTPField.Name {
  static let idempotencyKeyHeader = Self("Idempotency-Key")!
}

import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite("HTTP under concurrency")
struct HTTPConcurrencyTests {
  @Test(
    "300 simultaneous sends on a user who can afford 70: exactly 70 get 201, the rest 402, never below zero")
  func simultaneousSends() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp(credits: 70)
    let token = try await fixture.user(user)
    try await fixture.live { client in
      let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<300 {
          group.addTask {
            let body = RouteTests.mail.replacingOccurrences(of: #""credits":5"#, with: #""credits":1"#)
            return try await client.call(.post, "/v1/mails", token: token, json: body).status
          }
        }
        return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == .created }.count == 70)
      #expect(statuses.filter { $0 == .init(code: 402) }.count == 230)
      #expect(try await client.call(.get, "/v1/profile", token: token).json["credits"] as? Int == 0)
    }
  }
}

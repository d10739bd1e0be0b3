import CreditLedger
import Foundation
import Testing

@Suite("Access scopes: the seed's row-level security, with the credits hole closed")
struct AccessTests {
  struct World {
    let ledger: Ledger
    let ada: UUID
    let bob: UUID
    let bobsMail: UUID
  }

  func world() async throws -> World {
    let ledger = try await Fixture().open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let bob = try await ledger.signUp(email: "bob@example.com", as: .service).id
    let mail = try await ledger.send(Fixture.mail(to: bob, credits: 3), as: .service).mailID
    return World(ledger: ledger, ada: ada, bob: bob, bobsMail: mail)
  }

  @Test("another user's data answers exactly as data that does not exist")
  func otherUsersDataIsNotFound() async throws {
    let w = try await world()
    let reader = w.ledger.reader
    let ada = Principal.user(w.ada)
    let missing = UUID()
    await #expect(throws: Rejection.userNotFound(w.bob)) { try await reader.balance(userID: w.bob, as: ada) }
    await #expect(throws: Rejection.userNotFound(missing)) {
      try await reader.balance(userID: missing, as: ada)
    }
    await #expect(throws: Rejection.userNotFound(w.bob)) { try await reader.profile(userID: w.bob, as: ada) }
    await #expect(throws: Rejection.userNotFound(w.bob)) { try await reader.history(userID: w.bob, as: ada) }
    await #expect(throws: Rejection.userNotFound(w.bob)) { try await reader.stats(userID: w.bob, as: ada) }
    await #expect(throws: Rejection.userNotFound(w.bob)) {
      try await reader.statement(userID: w.bob, as: ada)
    }
    await #expect(throws: Rejection.mailNotFound(w.bobsMail)) {
      try await reader.mail(id: w.bobsMail, as: ada)
    }
    await #expect(throws: Rejection.mailNotFound(missing)) { try await reader.mail(id: missing, as: ada) }
    await w.ledger.close()
  }

  @Test("a user cannot act on another user: the answer is not found, and nothing is appended")
  func otherUsersCommandsAreNotFound() async throws {
    let w = try await world()
    let ada = Principal.user(w.ada)
    await #expect(throws: Rejection.userNotFound(w.bob)) {
      try await w.ledger.send(Fixture.mail(to: w.bob), as: ada)
    }
    await #expect(throws: Rejection.userNotFound(w.bob)) {
      try await w.ledger.changeEmail(userID: w.bob, email: "mallory@example.com", as: ada)
    }
    #expect(try await w.ledger.reader.events(as: .service).count == 3)
    #expect(try await w.ledger.reader.profile(userID: w.bob, as: .service).email == "bob@example.com")
    await w.ledger.close()
  }

  @Test("a user can never change credits, not even its own")
  func userCannotChangeCredits() async throws {
    let w = try await world()
    let ada = Principal.user(w.ada)
    await #expect(throws: Rejection.notPermitted("grant needs the service role")) {
      try await w.ledger.grant(userID: w.ada, credits: 1_000, as: ada)
    }
    await #expect(throws: Rejection.notPermitted("refund needs the service role")) {
      try await w.ledger.refund(mailID: w.bobsMail, as: ada)
    }
    await #expect(throws: Rejection.notPermitted("signup needs the service role")) {
      try await w.ledger.signUp(email: "eve@example.com", credits: 1_000_000, as: ada)
    }
    await #expect(throws: Rejection.notPermitted("delete-user needs the service role")) {
      try await w.ledger.deleteUser(userID: w.ada, as: ada)
    }
    await #expect(throws: Rejection.notPermitted("balances of every user need the service role")) {
      try await w.ledger.reader.balances(asOf: .seq(3), as: ada)
    }
    await #expect(throws: Rejection.notPermitted("the event feed needs the service role")) {
      try await w.ledger.reader.events(as: ada)
    }
    #expect(try await w.ledger.reader.balance(userID: w.ada, as: ada).credits == 300)
    await w.ledger.close()
  }

  @Test("a user reads its own data, sends on its own credits and changes its own email")
  func userActsOnOwnData() async throws {
    let w = try await world()
    let bob = Principal.user(w.bob)
    #expect(try await w.ledger.reader.mail(id: w.bobsMail, as: bob).userID == w.bob)
    #expect(try await w.ledger.send(Fixture.mail(to: w.bob, credits: 7), as: bob).remainingCredits == 290)
    #expect(
      try await w.ledger.changeEmail(userID: w.bob, email: "bob@new.example", as: bob).email
        == "bob@new.example")
    #expect(try await w.ledger.reader.history(userID: w.bob, as: bob).items.count == 2)
    #expect(try await w.ledger.reader.statement(userID: w.bob, as: bob).lines.count == 4)
    await w.ledger.close()
  }

  @Test("the service role acts on any user")
  func serviceActsOnAnyone() async throws {
    let w = try await world()
    #expect(try await w.ledger.grant(userID: w.ada, credits: 5, as: .service).credits == 305)
    #expect(try await w.ledger.refund(mailID: w.bobsMail, as: .service).remainingCredits == 300)
    #expect(try await w.ledger.reader.balances(asOf: .seq(.max), as: .service).count == 2)
    await w.ledger.close()
  }
}

import CreditLedger
import Foundation
import GRDB
import Testing

/// Random interleavings of every command from many tasks, from seeds that replay exactly;
/// after each run the ledger's invariants must hold whatever the interleaving did.
@Suite("Concurrency properties: random interleavings keep every invariant")
struct InterleavingTests {
  static let seeds: [UInt64] = Array(
    1...UInt64(ProcessInfo.processInfo.environment["LEDGER_PROPERTY_SEEDS"].flatMap(Int.init) ?? 6))

  @Test(
    "no balance below zero; balances = starts + grants + refunds − debits; one debit per mail; rebuild = live",
    arguments: seeds)
  func interleavings(seed: UInt64) async throws {
    let fixture = try Fixture(startingCredits: 20)
    let ledger = try await fixture.open()
    var users: [UUID] = []
    for n in 0..<6 { users.append(try await ledger.signUp(email: "u\(n)@example.com", as: .service).id) }
    let known = users
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<12 {
        group.addTask {
          var random = SeededGenerator(seed: seed &* 1000 &+ UInt64(task))
          var mails: [UUID] = []
          for _ in 0..<40 {
            let user = known[Int(random.next() % UInt64(known.count))]
            do {
              switch random.next() % 10 {
              case 0...4:
                mails.append(
                  try await ledger.send(
                    Fixture.mail(to: user, credits: Int64(random.next() % 7 + 1)), as: .user(user)
                  ).mailID)
              case 5:
                _ = try await ledger.grant(userID: user, credits: Int64(random.next() % 5 + 1), as: .service)
              case 6:
                if let mail = mails.randomElement(using: &random) {
                  _ = try await ledger.refund(mailID: mail, as: .service)
                }
              case 7:
                _ = try await ledger.changeEmail(
                  userID: user, email: "x\(random.next() % 100)@example.com", as: .user(user))
              case 8: _ = try await ledger.signUp(email: "late@example.com", as: .service)
              default: if random.next() % 8 == 0 { try await ledger.deleteUser(userID: user, as: .service) }
              }
            } catch is Rejection {
              // Refusals are part of the game: short of credits, refunded twice, deleted users.
            }
          }
        }
      }
      try await group.waitForAll()
    }
    await ledger.waitForProjections()
    try await Self.checkInvariants(fixture, ledger)
    await ledger.close()
  }

  static func checkInvariants(_ fixture: Fixture, _ ledger: Ledger) async throws {
    let events = try await ledger.reader.events(limit: 10_000, as: .service)
    var expected: [UUID: Int64] = [:]
    var debits: [UUID: Int] = [:]
    for event in events {
      switch event.body {
      case .userSignedUp(_, let credits): expected[event.userID] = credits
      case .userDeleted: expected[event.userID] = nil
      case .mailSent(let mail, _):
        debits[mail.id, default: 0] += 1
        expected[event.userID, default: 0] += event.creditsDelta
      default: expected[event.userID, default: 0] += event.creditsDelta
      }
      #expect(expected.values.allSatisfy { $0 >= 0 }, "a balance below zero at seq \(event.seq)")
    }
    for (user, credits) in expected {
      #expect(try await ledger.reader.balance(userID: user, as: .service).credits == credits)
    }
    let mailRows = try await fixture.raw().read { db in try UUID.fetchAll(db, sql: "SELECT id FROM mails") }
    #expect(mailRows.allSatisfy { debits[$0] == 1 }, "every mail row has exactly one debit event")
    #expect(debits.values.allSatisfy { $0 == 1 })
    let live = try fixture.projectionDump()
    _ = try await ledger.rebuildProjections()
    #expect(try fixture.projectionDump() == live)
  }
}

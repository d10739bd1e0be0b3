import Foundation
import Synchronization
import Testing

@testable import CreditLedger

@Suite(
  "A lone caller, answered as its sync starts, returns only once its batch is durable or the sync failed")
struct LoneCallerTests {
  /// What the slow flush saw: whether the send had returned while its flush was still running.
  final class Observed: Sendable {
    let slow = Mutex(false)
    let sendReturned = Mutex(false)
    let returnedDuringFlush = Mutex<Bool?>(nil)
  }

  /// A ledger with one user (300 credits), whose flushes from now on take 50 ms and then
  /// succeed or fail (EIO): far longer than the default spin, far shorter than a spin of 10 s.
  func start(spinMax: Duration, failing: Bool) async throws -> (Ledger, UUID, Observed) {
    let fixture = try Fixture()
    let observed = Observed()
    var configuration = fixture.configuration
    configuration.limits.loneCallerSpinMax = spinMax
    configuration.flushForTesting = { descriptor in
      guard observed.slow.withLock({ $0 }) else { return fdatasync(descriptor) }
      usleep(50_000)
      observed.returnedDuringFlush.withLock { $0 = observed.sendReturned.withLock { $0 } }
      guard !failing else {
        errno = EIO
        return -1
      }
      return fdatasync(descriptor)
    }
    let ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    observed.slow.withLock { $0 = true }
    return (ledger, user, observed)
  }

  @Test(
    "the send returns after its flush, with the balance readers then see: answered after the sync (0), suspended after a short spin (default), spinning throughout (10 s)",
    arguments: [Duration.zero, Limits().loneCallerSpinMax, .seconds(10)])
  func returnsOnceDurable(spinMax: Duration) async throws {
    let (ledger, user, observed) = try await start(spinMax: spinMax, failing: false)
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 10), as: .service)
    observed.sendReturned.withLock { $0 = true }
    #expect(observed.returnedDuringFlush.withLock { $0 } == false, "the send returned before its flush did")
    #expect(ledger.statistics.durableSeq == receipt.seq)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 290)
    await ledger.close()
  }

  @Test(
    "a flush that fails fails the lone send, whether its caller spins or suspends, and nothing more is taken",
    arguments: [Duration.zero, Limits().loneCallerSpinMax, .seconds(10)])
  func failsWithTheFlush(spinMax: Duration) async throws {
    let (ledger, user, _) = try await start(spinMax: spinMax, failing: true)
    let failure = await #expect(throws: LedgerError.self) {
      try await ledger.send(Fixture.mail(to: user, credits: 10), as: .service)
    }
    guard case .storageFailure(let message) = failure else {
      Issue.record("expected storageFailure, got \(String(describing: failure))")
      return
    }
    #expect(message.contains("fdatasync"))
    await #expect(throws: LedgerError.self) {
      try await ledger.send(Fixture.mail(to: user, credits: 20), as: .service)
    }
    #expect(ledger.statistics.durableSeq == 1)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 300)
    await ledger.close()
  }
}

import CreditLedger
import Foundation
import Synchronization
import Testing

@Suite("The log's WAL stays bounded under steady load")
struct WALBoundTests {
  @Test(
    "sends without a pause for several checkpoint intervals: the WAL is started over, not grown to hold them all"
  )
  func walRestartsUnderLoad() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.limits.walBytesMax = 64 << 10
    }
    let user = try await ledger.signUp(email: "ada@example.com", credits: 1_000_000, as: .service).id
    let wal = fixture.path + "-wal"
    let restarts = Restarts()
    // Several checkpoint intervals, and enough sends to pass the bound in each, however
    // slow a loaded machine makes them.
    let started = ContinuousClock.now
    let enough: @Sendable () -> Bool = {
      let elapsed = started.duration(to: .now)
      return elapsed > .seconds(60)
        || (elapsed > .milliseconds(3500) && ledger.statistics.committedSeq > 1024)
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<8 {
        group.addTask {
          while !enough() { _ = try await ledger.send(Fixture.mail(to: user), as: .service) }
        }
      }
      group.addTask {
        while !enough() {
          restarts.note(Self.checkpointSequence(wal))
          try await Task.sleep(for: .milliseconds(10))
        }
      }
      try await group.waitForAll()
    }
    await ledger.close()
    // The WAL header's checkpoint sequence number goes up each time the WAL starts over.
    // A PASSIVE checkpoint alone never lets a writer that commits without a pause start it
    // over (in a release build the WAL grew to hold every send); one interval is a second.
    #expect(
      restarts.count >= 3, "WAL started over \(restarts.count - 1) times in \(started.duration(to: .now))")
  }

  /// Bytes 12–15 of the WAL header, big-endian; nil while there is no header.
  static func checkpointSequence(_ path: String) -> UInt32? {
    guard let file = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? file.close() }
    guard let header = try? file.read(upToCount: 16), header.count == 16 else { return nil }
    return header[12..<16].reduce(0) { $0 << 8 | UInt32($1) }
  }

}

/// The distinct WAL checkpoint sequence numbers seen, from any task.
final class Restarts: Sendable {
  private let seen = Mutex<Set<UInt32>>([])
  var count: Int { seen.withLock { $0.count } }
  func note(_ sequence: UInt32?) {
    guard let sequence else { return }
    _ = seen.withLock { $0.insert(sequence) }
  }
}

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
    var configuration = fixture.configuration
    configuration.limits.walBytesMax = 256 << 10
    let ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", credits: 1_000_000, as: .service).id
    let wal = fixture.path + "-wal"
    let largest = LargestSize()
    // Several checkpoint intervals, and enough sends to fill the bound many times over,
    // however slow a loaded machine makes them.
    let started = ContinuousClock.now
    let enough: @Sendable () -> Bool = {
      let elapsed = started.duration(to: .now)
      return elapsed > .seconds(60)
        || (elapsed > .milliseconds(3500) && ledger.statistics.committedSeq > 2048)
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<8 {
        group.addTask {
          while !enough() { _ = try await ledger.send(Fixture.mail(to: user), as: .service) }
        }
      }
      group.addTask {
        while !enough() {
          largest.note(Self.size(wal))
          try await Task.sleep(for: .milliseconds(20))
        }
      }
      try await group.waitForAll()
    }
    let sends = ledger.statistics.committedSeq - 1
    await ledger.close()
    // Each send appends at least one 4 KiB page to the WAL: holding them all would take
    // sends × 4 KiB (in fact more: ~30 MB of ~64 MB here without the restart). Restarted
    // each second, it holds about a second of them (~10 MB).
    let appended = sends * 4096
    #expect(appended > 16 * Int64(256 << 10), "enough load to need restarts: \(sends) sends")
    #expect(largest.value < appended / 4, "largest WAL \(largest.value) bytes for \(appended) appended")
  }

  static func size(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
  }
}

/// The largest value noted, from any task.
final class LargestSize: Sendable {
  private let largest = Mutex<Int64>(0)
  var value: Int64 { largest.withLock { $0 } }
  func note(_ size: Int64) { largest.withLock { $0 = max($0, size) } }
}

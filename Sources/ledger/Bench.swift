import ArgumentParser
import CreditLedger
import Foundation
import LedgerLoad

/// `ledger bench`: a closed-loop load generator for deduction throughput.
struct Bench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure deductions per second: N callers sending for S seconds; prints one JSON object.")

  @Option(help: "The ledger file (default: a fresh temporary ledger, removed afterwards).")
  var db: String?
  @Option(help: "Callers sending at once.") var concurrency = 32
  @Option(help: "Seconds to send.") var duration = 10.0
  @Option(help: "Users the sends spread over.") var users = 10_000
  @Option(name: .customLong("body-bytes"), help: "HTML body size of each mail.") var bodyBytes = 1024
  @Flag(help: "Put every caller on one user.") var hot = false
  @Option(help: "fsync at every commit (full) or not (normal).")
  var synchronous: LedgerConfiguration.Synchronous = .full
  @Option(
    name: .customLong("ack-file"),
    help:
      "Append 'mail_id user_id remaining_credits' to this file as each send is acknowledged (crash tests).")
  var ackFile: String?

  func validate() throws {
    guard (1...4096).contains(concurrency) else { throw ValidationError("--concurrency must be 1…4096") }
    guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be 0…3600 s") }
    guard (1...10_000_000).contains(users) else { throw ValidationError("--users must be 1…10,000,000") }
    guard (1...(512 * 1024)).contains(bodyBytes) else {
      throw ValidationError("--body-bytes must be 1…524288")
    }
  }

  func run() async throws {
    try await Output.run {
      var settings = LoadRun.Settings()
      settings.concurrency = concurrency
      settings.duration = .milliseconds(Int(duration * 1000))
      settings.users = users
      settings.bodyBytes = bodyBytes
      settings.hot = hot
      let folder = db == nil ? try temporaryFolder() : nil
      defer { folder.map { try? FileManager.default.removeItem(at: $0) } }
      let path = db ?? folder!.appendingPathComponent("bench.sqlite").path
      var configuration = LedgerConfiguration()
      configuration.synchronous = synchronous
      let stages = BatchStages()
      configuration.onBatchAnswered = { stages.record($0) }
      let ledger = try await Ledger.open(path: path, configuration: configuration)
      do {
        let load = LoadRun(settings: settings)
        let ids = try await load.prepare(ledger)
        let acks = try ackFile.map(AckFile.init(path:))
        let acknowledged: (@Sendable (UUID, MailReceipt) -> Void)? =
          if let acks { { acks.record(user: $0, receipt: $1) } } else { nil }
        let progress: @Sendable (Double, Int) -> Void = { elapsed, done in
          let line = String(
            format: "bench: %5.1f s  %9d deductions  %8.0f/s\n", elapsed, done, Double(done) / elapsed)
          FileHandle.standardError.write(Data(line.utf8))
        }
        let report = try await load.run(
          ledger, users: ids, progress: progress, acknowledged: acknowledged, stages: stages)
        await ledger.close()
        try Output.print(report)
      } catch {
        await ledger.close()
        throw error
      }
    }
  }

  private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("ledger-bench-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }
}

/// Where `ledger bench --ack-file` writes each acknowledged send: one `write(2)` per line on an
/// `O_APPEND` descriptor, so every line written before a SIGKILL is in the file.
final class AckFile: Sendable {
  private let descriptor: Int32

  init(path: String) throws {
    descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw Rejection.invalidField(field: "ack_file", reason: "cannot open \(path)")
    }
  }

  func record(user: UUID, receipt: MailReceipt) {
    let line = "\(receipt.mailID.lowercased) \(user.lowercased) \(receipt.remainingCredits)\n"
    _ = line.withCString { write(descriptor, $0, strlen($0)) }
  }

  deinit { close(descriptor) }
}

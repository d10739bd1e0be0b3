import Foundation
import Testing

@Suite("ledger bench: the load generator's report and its bounds")
struct BenchCommandTests {
  @Test("a short run prints one JSON object with the figures and the settings it ran with")
  func report() throws {
    let cli = try CLI()
    let result = try cli.run(
      ["bench", "--concurrency", "4", "--duration", "1", "--users", "50", "--body-bytes", "100"], db: false)
    #expect(result.status == 0)
    let report = result.json
    #expect((report["deductions"] as? Int ?? 0) > 0 && report["rejected"] as? Int == 0)
    #expect((report["deductions_per_second"] as? Double ?? 0) > 0)
    for key in ["p50_ms", "p99_ms", "p999_ms", "max_ms", "average_batch_size", "projection_lag_p99_ms"] {
      #expect(report[key] is Double, "\(key)")
    }
    #expect(report["concurrency"] as? Int == 4 && report["users"] as? Int == 50)
    #expect(report["body_bytes"] as? Int == 100 && report["hot"] as? Bool == false)
    // Where the time went, stage by stage; the round trip holds the commit and the sync.
    let stages = try #require(report["stages_ms"] as? [String: [String: Double]])
    #expect(Set(stages.keys) == ["queued", "commit", "sync_wait", "fdatasync", "answered"])
    for (name, stage) in stages { #expect(stage["mean"] != nil && stage["p99"] != nil, "\(name)") }
    let commit = stages["commit"]?["mean"] ?? 0
    let fdatasync = stages["fdatasync"]?["mean"] ?? 0
    #expect(commit > 0 && fdatasync > 0 && (stages["answered"]?["mean"] ?? 0) >= commit + fdatasync)
    // The fresh temporary ledger is gone afterwards; nothing was left in the working folder.
    #expect(try FileManager.default.contentsOfDirectory(atPath: cli.folder.path).isEmpty)
  }

  @Test("settings out of bounds are usage errors")
  func bounds() throws {
    let cli = try CLI()
    for arguments in [
      ["--concurrency", "0"], ["--duration", "0"], ["--users", "0"], ["--body-bytes", "0"],
    ] {
      #expect(try cli.run(["bench"] + arguments, db: false).status == 64, "\(arguments)")
    }
  }
}

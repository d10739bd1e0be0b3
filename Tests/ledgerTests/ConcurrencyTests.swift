import CreditLedger
import Foundation
import Testing

@Suite("ledger processes on one file: serialised writers, readers beside them")
struct ConcurrencyTests {
  @Test("forty parallel sends on a user who can afford twenty-three: exactly twenty-three succeed")
  func fortyParallelSends() async throws {
    let cli = try CLI()
    let user = try cli.signUp(credits: 23)
    let results = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
      for _ in 0..<40 {
        group.addTask { try cli.send(user, credits: 1, extra: ["--lock-timeout", "120"]) }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.filter { $0.status == 0 }.count == 23)
    #expect(results.filter { $0.status == 1 && $0.stdout.contains("Insufficient credits") }.count == 17)
    #expect(try cli.run(["balance", "--user", user]).json["credits"] as? Int == 0)
  }

  @Test(
    "while a long-lived writer holds the file, a write fails after the timeout saying the ledger is in use")
  func writerHoldsTheFile() async throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let server = try await Ledger.open(path: cli.path)
    let blocked = try cli.run(["grant", "--user", user, "--credits", "5", "--lock-timeout", "0.5"])
    #expect(blocked.status == 4)
    #expect(blocked.stderr.contains("ledger_in_use") && blocked.stderr.contains("in use"))
    // Reads go on beside the writer, and see its writes.
    _ = try await server.grant(userID: UUID(uuidString: user)!, credits: 7, as: .service)
    let read = try cli.run(["balance", "--user", user])
    #expect(read.status == 0 && read.json["credits"] as? Int == 307)
    await server.close()
    #expect(try cli.run(["grant", "--user", user, "--credits", "5"]).json["credits"] as? Int == 312)
  }
}

// A fixed amount of work for valgrind's callgrind to count: `LedgerInstructions CALLERS SENDS`
// signs up 1,000 users in a fresh ledger in a temporary folder, then has CALLERS concurrent
// callers send SENDS mails each (1 KB bodies, one credit), closes the ledger and prints what
// its writer did as JSON. `Benchmarks/instructions.sh` runs it twice with different SENDS and
// divides the difference by the extra deductions: the instructions one deduction costs,
// whatever the start-up and the signups cost.
//
// Synchronous top-level code on purpose: an `async` main ends in `dispatch_main()`, whose
// `sigsuspend` crashes valgrind 3.19 (Debian 12's) before the program does anything.
import CreditLedger
import Dispatch
import Foundation
import Synchronization

/// What one run did, printed as JSON.
struct InstructionsRun: Encodable {
  var callers: Int
  var sendsPerCaller: Int
  var deductions: Int
  var batches: Int
  var commands: Int

  enum CodingKeys: String, CodingKey {
    case callers, deductions, batches, commands
    case sendsPerCaller = "sends_per_caller"
  }
}

/// Runs the work on `path`: 1,000 signups, then `callers` × `sendsPerCaller` sends.
func countedWork(callers: Int, sendsPerCaller: Int, path: String) async throws -> InstructionsRun {
  var configuration = LedgerConfiguration()
  // Spinning executes instructions in proportion to time, not to work: none here.
  configuration.limits.writerIdleSpinMax = .zero
  configuration.limits.loneCallerSpinMax = .zero
  let ledger = try await Ledger.open(path: path, configuration: configuration)
  var users: [UUID] = []
  for n in 0..<1000 {
    users.append(try await ledger.signUp(email: "user\(n)@example.com", as: .service).id)
  }
  let everyone = users
  let content = String(String(repeating: "<p>credit ledger</p>", count: 52).prefix(1024))
  try await withThrowingTaskGroup(of: Void.self) { group in
    for caller in 0..<callers {
      group.addTask {
        for send in 0..<sendsPerCaller {
          let mail = SendMail(
            userID: everyone[(caller * 7919 + send * 31) % everyone.count],
            recipientEmail: "bob@example.com", subject: "Your credits", content: content,
            mailType: .custom, credits: 1)
          _ = try await ledger.send(mail, as: .service)
        }
      }
    }
    try await group.waitForAll()
  }
  await ledger.close()
  let statistics = ledger.statistics
  return InstructionsRun(
    callers: callers, sendsPerCaller: sendsPerCaller, deductions: callers * sendsPerCaller,
    batches: statistics.batches, commands: statistics.commands)
}

let arguments = CommandLine.arguments.dropFirst().map { Int($0) ?? 0 }
guard arguments.count == 2, arguments.allSatisfy({ $0 > 0 }), arguments[0] * arguments[1] <= 250_000
else {
  // 1,000 users of 300 credits each: at most 300,000 one-credit sends succeed.
  FileHandle.standardError.write(Data("usage: LedgerInstructions CALLERS SENDS (product ≤ 250000)\n".utf8))
  exit(2)
}
let directory = FileManager.default.temporaryDirectory
  .appendingPathComponent("ledger-instructions-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let path = directory.appendingPathComponent("ledger.sqlite").path
let (callers, sendsPerCaller) = (arguments[0], arguments[1])
let finished = DispatchSemaphore(value: 0)
let succeeded = Atomic<Bool>(false)
Task.detached {
  defer { finished.signal() }
  do {
    let run = try await countedWork(callers: callers, sendsPerCaller: sendsPerCaller, path: path)
    print(String(decoding: try JSONEncoder().encode(run), as: UTF8.self))
    succeeded.store(true, ordering: .releasing)
  } catch {
    FileHandle.standardError.write(Data("LedgerInstructions: \(error)\n".utf8))
  }
}
finished.wait()
try? FileManager.default.removeItem(at: directory)
exit(succeeded.load(ordering: .acquiring) ? 0 : 1)

import Foundation
import Synchronization

/// Runs the built `ledger` binary, as a user would, in a temporary folder of its own.
struct CLI {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Stdout as one JSON object.
    var json: [String: Any] {
      (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
  }

  let folder: URL
  var path: String { folder.appendingPathComponent("ledger.sqlite").path }

  /// Every test's folder sits in one folder per test process, removed when the process exits.
  static let root: URL = {
    atexit { try? FileManager.default.removeItem(at: CLI.root) }
    return FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cli-\(getpid())")
  }()

  init() throws {
    folder = Self.root.appendingPathComponent(UUID().uuidString.lowercased())
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  /// `ledger` sits beside the test bundle in the build folder (the test target depends on it).
  static let binary: URL = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = exe.deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("ledger").path),
      folder.path != "/"
    {
      folder = folder.deletingLastPathComponent()
    }
    return folder.appendingPathComponent("ledger")
  }()

  /// Launches `process`, one launch at a time in this test process: Foundation's
  /// `Process.run()` once crashed inside a `memcpy` (SIGSEGV in a fresh-clone CI run) while
  /// forty launches ran at once. The processes still run together; only their starts take
  /// turns.
  static func launch(_ process: Process) throws {
    try launching.withLock { _ in try process.run() }
  }

  private static let launching = Mutex(())

  /// Runs `ledger ARGS` with `--db` pointing at this folder's file unless `db` is false.
  func run(_ arguments: [String], db: Bool = true, environment: [String: String] = [:]) throws -> Result {
    let process = Process()
    process.executableURL = Self.binary
    process.currentDirectoryURL = folder
    process.arguments = arguments + (db ? ["--db", path] : [])
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try Self.launch(process)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  /// Signs a user up and returns its id.
  func signUp(credits: Int = 300) throws -> String {
    let result = try run(["signup", "--email", "ada@example.com", "--credits", "\(credits)"])
    return result.json["id"] as? String ?? "signup failed: \(result.stderr)"
  }

  func send(_ user: String, credits: Int = 1, extra: [String] = []) throws -> Result {
    try run(
      [
        "send", "--user", user, "--to", "bob@example.com", "--subject", "Hi", "--content", "<p>x</p>",
        "--type", "custom", "--credits", "\(credits)",
      ] + extra)
  }
}

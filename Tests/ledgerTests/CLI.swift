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
    // Into files, read once the process has exited, not through pipes: Foundation's
    // `readDataToEndOfFile()` traps when a read is interrupted by a signal (EINTR), which a
    // child of a concurrent test exiting can cause (a fresh-clone CI run crashed so).
    let out = try Self.outputFile(in: folder)
    let err = try Self.outputFile(in: folder)
    defer { for file in [out, err] { try? FileManager.default.removeItem(at: file.url) } }
    process.standardOutput = out.handle
    process.standardError = err.handle
    process.standardInput = FileHandle.nullDevice
    try Self.launch(process)
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: out.url), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: err.url), as: UTF8.self))
  }

  /// A new empty file in `folder` for a process's output, and a handle that writes it.
  private static func outputFile(in folder: URL) throws -> (url: URL, handle: FileHandle) {
    let url = folder.appendingPathComponent("output-\(UUID().uuidString.lowercased())")
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
    return (url, try FileHandle(forWritingTo: url))
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

import Foundation

/// A small tmpfs of its own, to give the ledger a real full disk or a read-only file system.
/// Mounting needs privilege (root in a container); the tests that use it are skipped, and say
/// so, where it is missing.
final class TmpfsMount {
  let path: String

  /// Whether this process may mount a tmpfs here.
  static let permitted: Bool = {
    guard let probe = try? TmpfsMount(bytes: 1 << 20) else { return false }
    probe.unmount()
    return true
  }()

  init(bytes: Int) throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("ledger-tmpfs-\(UUID().uuidString.lowercased())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try Self.run(["mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
  }

  /// `mount -o remount,OPTIONS`: `size=N` to grow it, `ro`/`rw` while nothing holds a file open for writing.
  func remount(_ options: String) throws {
    try Self.run(["mount", "-o", "remount,\(options)", path])
  }

  func unmount() {
    try? Self.run(["umount", "-l", path])
    try? FileManager.default.removeItem(atPath: path)
  }

  private static func run(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CocoaError(
        .fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: arguments.joined(separator: " ")])
    }
  }
}

/// The `sqlite3` shell holding SQLite's write lock on a file, as a person poking at a live
/// ledger might: `BEGIN IMMEDIATE` and nothing after it until ``release()``.
final class ForeignLock {
  private let process = Process()
  private let input = Pipe()
  private let output = Pipe()

  init(path: String) throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", path]
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nSELECT 'locked';\n".utf8))
    var seen = Data()
    while !String(decoding: seen, as: UTF8.self).contains("locked") {
      // A plain read(2): `availableData` traps when a signal interrupts its read (EINTR),
      // and `read(upToCount:)` waits for the whole count. An interrupted read is tried again.
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = read(output.fileHandleForReading.fileDescriptor, &chunk, chunk.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      seen.append(contentsOf: chunk[..<count])
    }
  }

  func release() {
    input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }
}

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Durable file replacement for backups, restores and imports: a copy is written beside
/// its destination, flushed, renamed over it, and the directory flushed, so that a crash
/// leaves either the old file or the whole new one.
enum FileSync {
  /// Flushes `path` (a file or a directory) to stable storage.
  static func flush(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure("open", path) }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
  }

  /// Moves the finished `copy` over `destination` and makes the move durable. A WAL and
  /// shared-memory file left by the replaced database go first: SQLite would otherwise
  /// apply the old WAL's pages to the new file.
  static func replace(_ destination: String, with copy: String) throws {
    try flush(copy)
    for suffix in ["-wal", "-shm", "-journal"] { unlink(destination + suffix) }
    guard rename(copy, destination) == 0 else { throw failure("rename", copy) }
    let directory = (destination as NSString).deletingLastPathComponent
    try flush(directory.isEmpty ? "." : directory)
  }

  /// Removes a database file and its companions; missing ones are fine.
  static func remove(_ path: String) {
    for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
  }

  private static func failure(_ call: String, _ path: String) -> LedgerError {
    .storageFailure("\(call) \(path): \(String(cString: strerror(errno)))")
  }
}

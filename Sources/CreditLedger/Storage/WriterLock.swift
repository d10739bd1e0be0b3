import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One writer per database file, across processes: an exclusive `flock` on `PATH.lock`, held
/// for the life of the writer. The kernel drops it when the process dies, so a crash never
/// leaves the ledger locked.
///
/// A holder that made nothing at the path (a refused import or restore) removes the lock file
/// as it lets go, so no stray file is left; a waiter that then gets the lock finds it holds a
/// file no longer at the path, and opens the path again — the lock is always the file's there.
///
/// A separate file, because closing any descriptor of the database itself would drop
/// SQLite's own POSIX locks on it.
final class WriterLock: Sendable {
  let path: String
  private let descriptor: Int32

  private init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
  }

  /// Takes the lock, waiting up to `timeout` for the current holder to let go.
  static func acquire(databasePath: String, timeout: Duration) async throws -> WriterLock {
    let path = databasePath + ".lock"
    let deadline = ContinuousClock.now + timeout
    while true {
      let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
      guard descriptor >= 0 else {
        throw LedgerError.storageFailure("cannot open \(path): \(String(cString: strerror(errno)))")
      }
      while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
        guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
          let holder = Self.holder(descriptor)
          close(descriptor)
          throw LedgerError.ledgerInUse(path: databasePath, holder: holder)
        }
        // Waiters poll with a little jitter so that no one of many parallel commands starves.
        do {
          try await Task.sleep(for: .milliseconds(Int.random(in: 2...10)))
        } catch {
          close(descriptor)
          throw error
        }
      }
      // The holder before removed the file as it let go: lock the one at the path now.
      guard Self.isAtPath(descriptor, path) else {
        close(descriptor)
        continue
      }
      let note = "pid \(getpid())"
      _ = ftruncate(descriptor, 0)
      _ = pwrite(descriptor, note, note.utf8.count, 0)
      return WriterLock(path: path, descriptor: descriptor)
    }
  }

  /// Whether `descriptor` is the file at `path` (the same device and inode).
  private static func isAtPath(_ descriptor: Int32, _ path: String) -> Bool {
    var opened = stat()
    var named = stat()
    guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
    return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
  }

  private static func holder(_ descriptor: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = pread(descriptor, &buffer, buffer.count, 0)
    let text = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    return text.isEmpty ? "another process" : text
  }

  /// Lets the next writer in; `removingFile` when this holder made nothing at the path, so
  /// that no lock file is left beside nothing (removed while still locked: see the type).
  func release(removingFile: Bool = false) {
    if removingFile { _ = unlink(path) }
    _ = flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}

import Foundation

extension Ledger {
  /// How a restore and an import put a new ledger file at `path`: refuse an existing `path`
  /// unless `force`, take its writer lock (so no running writer is replaced), let `build`
  /// write the new file beside it, verify that file (against `notedHead` when `build` returns
  /// one), and only then move it into place. Nothing is left behind when any step fails: not
  /// even the lock file, where no ledger was at `path`.
  static func installVerified<T>(
    at path: String, force: Bool, lockTimeout: Duration, suffix: String, progress: ProgressHandler?,
    build: (_ partial: String) async throws -> (T, notedHead: ChainHash?)
  ) async throws -> (T, VerifyReport) {
    guard force || !FileManager.default.fileExists(atPath: path) else {
      throw Rejection.invalidField(field: "db", reason: "\(path) exists; give --force to replace it")
    }
    let lock = try await WriterLock.acquire(databasePath: path, timeout: lockTimeout)
    defer { lock.release(removingFile: !FileManager.default.fileExists(atPath: path)) }
    let partial = path + suffix
    FileSync.remove(partial)
    do {
      let (built, notedHead) = try await build(partial)
      let report = try await Verifier.verify(path: partial, notedHead: notedHead, progress: progress)
      guard report.ok else { throw LedgerError.verificationFailed(report) }
      try FileSync.replace(path, with: partial)
      // The new file holds its projections; the old ledger's projections file must not
      // outlive it (a writer that opens the new one makes its own).
      ProjectionStore.remove(forLog: path)
      return (built, report)
    } catch {
      FileSync.remove(partial)
      throw error
    }
  }
}

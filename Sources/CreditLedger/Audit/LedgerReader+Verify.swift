import Foundation
import GRDB

extension LedgerReader {
  /// Checks the file end to end: recomputes the hash chain over every event, replays the log
  /// (checking each event's invariants) into a scratch database, and compares the replay with
  /// the live projections up to their checkpoint. Runs beside a live writer, on one snapshot.
  /// Service only.
  ///
  /// With `notedHead` (a head printed earlier by ``head(as:)``), the recomputed chain must
  /// also pass through it: the proof that nothing before it changed, even if someone
  /// recomputed every link after an edit.
  ///
  /// The scratch database goes in the temporary directory (`TMPDIR`); it needs about the
  /// size of the projections.
  public func verify(
    notedHead: ChainHash? = nil, as principal: Principal, progress: ProgressHandler? = nil
  ) async throws -> VerifyReport {
    guard principal == .service else { throw Rejection.notPermitted("verify needs the service role") }
    return try await Verifier.verify(path: path, notedHead: notedHead, progress: progress)
  }

  /// The last event's sequence number and link of the hash chain, for an auditor to note.
  /// Service only.
  public func head(as principal: Principal) async throws -> ChainHead {
    guard principal == .service else { throw Rejection.notPermitted("the chain head needs the service role") }
    let (seq, hash) = try await database.read { try EventLog.head($0) }
    return ChainHead(seq: seq, head: hash)
  }
}

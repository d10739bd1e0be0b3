import CLedgerSQLite
import Foundation
import GRDBSQLite

extension Storage {
  /// What GRDB opens for a connection that writes the file at `path` (the log's writer, the
  /// projections' catch-ups): a URI naming the `credit-ledger` VFS (`LedgerVFS.c`), which
  /// writes each transaction's WAL frames to the file in one call where SQLite makes two per
  /// frame. That was four and a half `pwrite` calls per deduction, one after; a deduction's
  /// CPU went down by 4–6 µs of ~70 (README, Performance).
  ///
  /// The path itself where this SQLite does not read URIs in file names (it is built with
  /// `SQLITE_USE_URI` on Debian and most Linux distributions) or the VFS is not there: the
  /// ledger then works the same, with SQLite's own writes.
  static func writingFilename(_ path: String) -> String {
    guard gatheredWALWrites else { return path }
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    let encoded = absolute.addingPercentEncoding(withAllowedCharacters: uriPathCharacters) ?? absolute
    // `file://` and an empty authority: a path that starts with `//` stays a path.
    return "file://\(encoded)?vfs=\(LEDGER_SQLITE_VFS_NAME)"
  }

  /// Whether connections that write use the gathering VFS: registered once per process.
  ///
  /// SQLite's memory statistics go off first, while SQLite is not initialized yet (the
  /// registration initializes it): in a process whose first SQLite connection is a ledger's,
  /// that is every ledger that writes. With them on, 256 callers made 84,000–101,000
  /// deductions a second against 97,000–107,000 off, alternating three rounds.
  static let gatheredWALWrites: Bool = {
    _ = ledger_sqlite3_memstatus_off()
    return sqlite3_compileoption_used("USE_URI") == 1 && ledger_sqlite3_register_vfs() == SQLITE_OK
  }()

  /// Unreserved characters and `/`: SQLite decodes `%HH` in a URI's path, so `?`, `#`, `%`
  /// and everything outside ASCII in a file name are encoded.
  private static let uriPathCharacters = CharacterSet(
    charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
}

import Foundation
import GRDB
import Synchronization

/// A few read-only connections that run a short query on the calling thread.
///
/// A read through GRDB's `DatabasePool` from async code hops to a reader's queue and back: two
/// thread switches, about 100 µs on this project's VM and several times that while the writer
/// keeps both cores busy, for a balance that SQLite finds in a few microseconds. A point read
/// or a page does not need its own thread: it borrows an idle connection here and runs in
/// place. It never waits for one: when every connection is busy (or none could be opened)
/// ``read(_:)`` returns nil and the caller goes through the pool, so a cooperative thread is
/// never blocked on another reader.
final class InlineReaders: Sendable {
  private struct Connections: ~Copyable {
    var idle: [DatabaseQueue] = []
    var opened = 0
    var closed = false
  }

  private let connections = Mutex(Connections())
  private let countMax: Int
  private let open: @Sendable () throws -> DatabaseQueue

  /// Up to `countMax` connections, each made by `open` the first time one more is needed.
  init(countMax: Int, open: @escaping @Sendable () throws -> DatabaseQueue) {
    self.countMax = countMax
    self.open = open
  }

  /// Runs `body` in a read transaction on an idle connection, on this thread; nil when none
  /// is free (the caller reads through its pool instead).
  func read<T>(_ body: (Database) throws -> T) throws -> T? {
    guard let queue = take() else { return nil }
    defer { give(back: queue) }
    return try queue.inDatabase { db in
      // BEGIN and COMMIT prepared once per connection and stepped through SQLite's C API:
      // through GRDB's `execute()` (its checks and bookkeeping) they cost more than the balance
      // read between them — p50 13–16 µs against 7–9, p99 58–77 µs against 32–46, for a
      // balance on a concurrent reader while 32 callers write (package benchmark).
      var result: T?
      try RawStatement.transaction(immediate: false, db) { result = try body(db) }
      return result
    }
  }

  /// Closes the idle connections and opens no more; busy ones close when they come back.
  func close() {
    let idle = connections.withLock { connections in
      connections.closed = true
      defer { connections.idle.removeAll() }
      return connections.idle
    }
    for queue in idle { try? queue.close() }
  }

  private func take() -> DatabaseQueue? {
    enum Next {
      case reuse(DatabaseQueue)
      case openOne
      case none
    }
    let next = connections.withLock { connections -> Next in
      if connections.closed { return .none }
      if let queue = connections.idle.popLast() { return .reuse(queue) }
      guard connections.opened < countMax else { return .none }
      connections.opened += 1
      return .openOne
    }
    switch next {
    case .reuse(let queue): return queue
    case .none: return nil
    case .openOne:
      do {
        return try open()
      } catch {
        connections.withLock { $0.opened -= 1 }
        return nil
      }
    }
  }

  private func give(back queue: DatabaseQueue) {
    let kept = connections.withLock { connections in
      guard !connections.closed else { return false }
      connections.idle.append(queue)
      return true
    }
    if !kept { try? queue.close() }
  }
}

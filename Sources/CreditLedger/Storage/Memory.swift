import Foundation

/// Hands memory the process freed back to the system, where the C library allows it.
enum Memory {
  /// glibc keeps freed heap pages for reuse; `malloc_trim` returns them. Looked up at run time:
  /// Swift's Glibc module does not export `<malloc.h>`, and other C libraries lack it.
  static func returnFreedToSystem() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
  }
}

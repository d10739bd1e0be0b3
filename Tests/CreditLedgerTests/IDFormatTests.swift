import Foundation
import Testing

@testable import CreditLedger

@Suite("Ids: printed as PostgreSQL prints a uuid, and sorted in that order")
struct IDFormatTests {
  @Test("lowercased is Foundation's uuidString in lower case, for any id")
  func lowercased() {
    var generator = SeededGenerator(seed: 3)
    let fixed = [
      UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
    ]
    let random = (0..<500).map { _ in
      var bytes = (
        UInt64.random(in: .min ... .max, using: &generator),
        UInt64.random(in: .min ... .max, using: &generator)
      )
      return withUnsafeBytes(of: &bytes) { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
    for id in fixed + random {
      #expect(id.lowercased == id.uuidString.lowercased())
    }
  }

  @Test("precedes orders ids exactly as their printed forms sort")
  func order() {
    var generator = SeededGenerator(seed: 4)
    let ids = (0..<300).map { _ in
      var bytes = (
        UInt64.random(in: .min ... .max, using: &generator),
        UInt64.random(in: .min ... .max, using: &generator)
      )
      return withUnsafeBytes(of: &bytes) { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
    #expect(ids.sorted { $0.precedes($1) }.map(\.lowercased) == ids.map(\.lowercased).sorted())
  }
}

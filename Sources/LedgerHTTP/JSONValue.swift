import Foundation
import Hummingbird

/// A JSON value, for bodies built by hand (errors) and read strictly (requests).
enum JSONValue: Sendable, Hashable {
  case string(String)
  case int(Int64)
  case bool(Bool)
  case object([String: JSONValue])

  var foundation: Any {
    switch self {
    case .string(let text): text
    case .int(let number): number
    case .bool(let flag): flag
    case .object(let fields): fields.mapValues(\.foundation)
    }
  }

  func response(status: HTTPResponse.Status) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: foundation, options: [.sortedKeys])) ?? Data()
    return JSONResponse.make(status: status, data: data)
  }
}

/// JSON responses with the ledger's one JSON form (sorted keys, the library's `Encodable`s).
enum JSONResponse {
  static func make(status: HTTPResponse.Status, data: Data) -> Response {
    Response(
      status: status, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func make(status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return make(status: status, data: try encoder.encode(value))
  }
}

import CreditLedger
import Foundation
import Hummingbird

/// A request's JSON object, read strictly: malformed JSON is a 400, an unknown or mistyped
/// field a 422 naming it, a body over the limit a 413. Nothing reaches the ledger before the
/// whole body has passed.
struct JSONBody {
  private let fields: [String: Field]

  /// One value of the object, as JSON typed it.
  enum Field: Decodable {
    case string(String)
    case integer(Int64)
    case null
    case other(String)

    init(from decoder: any Decoder) throws {
      let value = try decoder.singleValueContainer()
      if value.decodeNil() {
        self = .null
      } else if let number = try? value.decode(Int64.self) {
        self = .integer(number)
      } else if let text = try? value.decode(String.self) {
        self = .string(text)
      } else if (try? value.decode(Bool.self)) != nil {
        self = .other("a boolean")
      } else if (try? value.decode(Double.self)) != nil {
        self = .other("a number that is not a whole number within 64 bits")
      } else {
        self = .other("an array or object")
      }
    }
  }

  /// Collects at most `bytesMax` bytes and parses one JSON object with only `allowed` keys.
  /// With `emptyAllowed`, an empty body reads as `{}` (for routes whose fields are all optional).
  static func read(
    _ request: Request, bytesMax: Int, allowed: Set<String>, emptyAllowed: Bool = false
  ) async throws -> JSONBody {
    let buffer: ByteBuffer
    do {
      buffer = try await request.body.collect(upTo: bytesMax)
    } catch let error as HTTPResponseError where error.status == .contentTooLarge {
      throw APIError(.contentTooLarge, code: "body_too_large", message: "the body is over \(bytesMax) bytes")
    }
    let data = Data(buffer: buffer)
    if data.isEmpty && emptyAllowed { return JSONBody(fields: [:]) }
    guard String(data: data, encoding: .utf8) != nil else {
      throw APIError.badRequest("the body is not UTF-8")
    }
    guard let object = try? JSONDecoder().decode([String: Field].self, from: data) else {
      throw APIError.badRequest("the body is not a JSON object")
    }
    if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw APIError.invalid(unknown, "is not a field of this request")
    }
    return JSONBody(fields: object)
  }

  func has(_ key: String) -> Bool { fields[key] != nil }

  func string(_ key: String) throws -> String {
    guard let value = try optionalString(key) else { throw APIError.invalid(key, "is required") }
    return value
  }

  func optionalString(_ key: String) throws -> String? {
    switch fields[key] {
    case nil: return nil
    case .null: throw APIError.invalid(key, "must not be null; leave it out instead")
    case .string(let text): return text
    default: throw APIError.invalid(key, "must be a string")
    }
  }

  func integer(_ key: String) throws -> Int64 {
    guard let value = try optionalInteger(key) else { throw APIError.invalid(key, "is required") }
    return value
  }

  /// A whole number within 64 bits; booleans, fractions and huge numbers are refused.
  func optionalInteger(_ key: String) throws -> Int64? {
    switch fields[key] {
    case nil: return nil
    case .null: throw APIError.invalid(key, "must not be null; leave it out instead")
    case .integer(let number): return number
    case .other(let what): throw APIError.invalid(key, "must be a whole number, not \(what)")
    case .string: throw APIError.invalid(key, "must be a whole number, not a string")
    }
  }

  func uuid(_ key: String) throws -> UUID? {
    guard let text = try optionalString(key) else { return nil }
    guard let id = UUID(uuidString: text) else { throw APIError.invalid(key, "'\(text)' is not a UUID") }
    return id
  }

  func mailType(_ key: String) throws -> MailType {
    let text = try string(key)
    guard let type = MailType(rawValue: text) else {
      throw APIError.invalid(key, "must be 'custom' or 'template'")
    }
    return type
  }
}

import Foundation
import Hummingbird

/// `openapi.yaml`, shipped with the target and served at `/openapi.yaml`.
public enum OpenAPIDocument {
  /// The document's text.
  public static func text() throws -> String {
    guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
      throw APIError(.internalServerError, code: "missing_openapi", message: "openapi.yaml is not bundled")
    }
    return try String(contentsOf: url, encoding: .utf8)
  }

  static func response() throws -> Response {
    Response(
      status: .ok, headers: [.contentType: "application/yaml"],
      body: ResponseBody(byteBuffer: ByteBuffer(string: try text())))
  }
}

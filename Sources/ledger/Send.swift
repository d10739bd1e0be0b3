import ArgumentParser
import CreditLedger
import Foundation

/// `ledger send`: deduct credits and record the mail, atomically.
struct Send: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Send a mail: deduct its credits and record it, as one event.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "Whose credits pay.") var user: String
  @Option(help: "The recipient's email.") var to: String
  @Option(help: "The subject line.") var subject: String
  @Option(help: "The HTML body.") var content: String?
  @Option(name: .customLong("content-file"), help: "Read the HTML body from a file (- for stdin).")
  var contentFile: String?
  @Option(help: "custom or template.") var type: MailType
  @Option(help: "Credits the mail costs.") var credits: Int64
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func validate() throws {
    if (content == nil) == (contentFile == nil) {
      throw ValidationError("give exactly one of --content and --content-file")
    }
  }

  func run() async throws {
    try await Output.run {
      let mail = SendMail(
        userID: try parseID(user, field: "user_id"), recipientEmail: to, subject: subject,
        content: try body(), mailType: type, credits: credits)
      let principal = try options.principal()
      let receipt = try await options.write { ledger in
        try await ledger.send(mail, idempotencyKey: idempotencyKey, as: principal)
      }
      try Output.print(receipt)
    }
  }

  private func body() throws -> String {
    if let content { return content }
    let path = contentFile ?? "-"
    let data =
      path == "-"
      ? FileHandle.standardInput.readDataToEndOfFile()
      : try readFile(path)
    guard let text = String(data: data, encoding: .utf8) else {
      throw Rejection.invalidField(field: "content", reason: "\(path) is not UTF-8 text")
    }
    return text
  }

  private func readFile(_ path: String) throws -> Data {
    do {
      return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw Rejection.invalidField(field: "content", reason: "cannot read \(path)")
    }
  }
}

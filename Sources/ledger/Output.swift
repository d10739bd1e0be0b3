import ArgumentParser
import CreditLedger
import Foundation

/// Printing results and errors, and the exit codes documented in `ledger --help`.
enum Output {
  static func print(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
  }

  /// Runs a subcommand's body; turns every failure into a JSON line on stderr and its exit code.
  static func run(_ body: () async throws -> Void) async throws {
    do {
      try await body()
    } catch let error as ExitCode {
      throw error
    } catch let rejection as Rejection {
      if case .insufficientCredits(let current) = rejection {
        // The seed function's failure object, on stdout, as a caller of `send` expects it.
        try print(InsufficientCredits(currentCredits: current))
      }
      report(code: rejection.code, message: rejection.description, field: rejection.field)
      throw ExitCode(exitCode(for: rejection))
    } catch let error as LedgerError {
      report(code: error.code, message: error.description, field: nil)
      throw ExitCode(exitCode(for: error))
    } catch {
      report(code: "storage_failure", message: String(describing: error), field: nil)
      throw ExitCode(5)
    }
  }

  static func exitCode(for rejection: Rejection) -> Int32 {
    switch rejection {
    case .invalidField: 2
    case .userNotFound, .mailNotFound: 3
    default: 1
    }
  }

  static func exitCode(for error: LedgerError) -> Int32 {
    switch error {
    case .ledgerNotFound: 3
    case .ledgerInUse: 4
    case .incompatibleSchema, .closed, .storageFailure, .corruptLog: 5
    case .verificationFailed: 6
    }
  }

  private static func report(code: String, message: String, field: String?) {
    var object = ["error": code, "message": message]
    object["field"] = field
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(object)) ?? Data(message.utf8)
    FileHandle.standardError.write(data + Data("\n".utf8))
  }

  private struct InsufficientCredits: Encodable {
    let success = false
    let error = "Insufficient credits"
    let currentCredits: Int64

    enum CodingKeys: String, CodingKey {
      case success, error
      case currentCredits = "current_credits"
    }
  }
}

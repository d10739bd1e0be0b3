import CreditLedger
import Foundation
import Testing

@Suite("ledger commands: JSON out, errors and exit codes")
struct CommandTests {
  @Test("signup prints the profile: a lower-case UUID and ISO 8601 UTC times with milliseconds")
  func signup() throws {
    let cli = try CLI()
    let result = try cli.run([
      "signup", "--email", "ada@example.com", "--user-id", "A1B2C3D4-0000-4000-8000-000000000001",
    ])
    #expect(result.status == 0)
    let json = result.json
    #expect(json["id"] as? String == "a1b2c3d4-0000-4000-8000-000000000001")
    #expect(json["email"] as? String == "ada@example.com")
    #expect(json["credits"] as? Int == 300)
    let time = try #require(json["created_at"] as? String)
    #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    #expect(json["updated_at"] as? String == time)
  }

  @Test("send prints the seed's success object; short credits print its failure object and exit 1")
  func send() throws {
    let cli = try CLI()
    let user = try cli.signUp(credits: 10)
    let ok = try cli.send(user, credits: 6)
    #expect(ok.status == 0)
    #expect(ok.json["success"] as? Bool == true)
    #expect(ok.json["credits_used"] as? Int == 6 && ok.json["remaining_credits"] as? Int == 4)
    #expect(UUID(uuidString: ok.json["mail_id"] as? String ?? "") != nil)
    let short = try cli.send(user, credits: 6)
    #expect(short.status == 1)
    #expect(short.json["success"] as? Bool == false)
    #expect(short.json["error"] as? String == "Insufficient credits")
    #expect(short.json["current_credits"] as? Int == 4)
    #expect(short.stderr.contains("insufficient_credits"))
  }

  @Test("invalid input exits 2 and names the field on stderr; nothing is appended")
  func invalidInput() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let result = try cli.run(
      [
        "send", "--user", user, "--to", "not-an-address", "--subject", "Hi", "--content", "x",
        "--type", "custom", "--credits", "1",
      ])
    #expect(result.status == 2)
    #expect(result.stderr.contains(#""field":"recipient_email""#))
    #expect(try cli.run(["events"]).stdout.split(separator: "\n").count == 1)
    let badType = try cli.run(
      [
        "send", "--user", user, "--to", "b@example.com", "--subject", "Hi", "--content", "x",
        "--type", "newsletter", "--credits", "1",
      ])
    #expect(badType.status == 64)
    #expect(badType.stderr.contains("custom") && badType.stderr.contains("template"))
  }

  @Test("unknown users and mails exit 3; a read on a missing ledger exits 3 and creates nothing")
  func notFound() throws {
    let cli = try CLI()
    #expect(try cli.run(["balance", "--user", UUID().uuidString]).status == 3)
    #expect(!FileManager.default.fileExists(atPath: cli.path))
    _ = try cli.signUp()
    #expect(try cli.send(UUID().uuidString).status == 3)
    #expect(try cli.run(["refund", "--mail", UUID().uuidString]).status == 3)
  }

  @Test("refund, change-email, delete-user, and a deleted user is unknown afterwards")
  func lifecycle() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let mail = try #require(try cli.send(user, credits: 30).json["mail_id"] as? String)
    let refund = try cli.run(["refund", "--mail", mail])
    #expect(refund.status == 0 && refund.json["remaining_credits"] as? Int == 300)
    #expect(try cli.run(["refund", "--mail", mail]).status == 1)
    let changed = try cli.run(["change-email", "--user", user, "--email", "ada@new.example"])
    #expect(changed.json["email"] as? String == "ada@new.example")
    #expect(
      try cli.run(["grant", "--user", user, "--credits", "5", "--reason", "promo"]).json["credits"] as? Int
        == 305)
    #expect(try cli.run(["delete-user", "--user", user]).status == 0)
    #expect(try cli.run(["balance", "--user", user]).status == 3)
    #expect(try cli.send(user).status == 3)
    #expect(try cli.run(["events"]).stdout.split(separator: "\n").count == 6)
  }

  @Test("a user principal cannot grant itself credits")
  func asUser() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let result = try cli.run(["grant", "--user", user, "--credits", "1000", "--as-user", user])
    #expect(result.status == 1 && result.stderr.contains("not_permitted"))
    #expect(try cli.run(["balance", "--user", user, "--as-user", user]).json["credits"] as? Int == 300)
    #expect(try cli.run(["balance", "--user", user, "--as-user", UUID().uuidString]).status == 3)
  }

  @Test("idempotent retry through the CLI returns the original receipt")
  func idempotentRetry() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let first = try cli.send(user, credits: 5, extra: ["--idempotency-key", "mail-1"])
    let retry = try cli.send(user, credits: 5, extra: ["--idempotency-key", "mail-1"])
    #expect(first.stdout == retry.stdout && first.status == 0)
    let other = try cli.send(user, credits: 6, extra: ["--idempotency-key", "mail-1"])
    #expect(other.status == 1 && other.stderr.contains("idempotency_key_reused"))
  }

  @Test("history pages, stats, statement, balances as of, content from a file, LEDGER_DB")
  func queries() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    let file = cli.folder.appendingPathComponent("body.html")
    try Data("<h1>Hello</h1>".utf8).write(to: file)
    for _ in 0..<3 {
      _ = try cli.run(
        [
          "send", "--user", user, "--to", "bob@example.com", "--subject", "S", "--content-file", file.path,
          "--type", "template", "--credits", "2",
        ])
    }
    let first = try cli.run(["history", "--user", user, "--limit", "2"]).json
    #expect((first["items"] as? [[String: Any]])?.first?["content"] as? String == "<h1>Hello</h1>")
    let cursor = try #require(first["next_cursor"] as? String)
    let second = try cli.run(["history", "--user", user, "--limit", "2", "--cursor", cursor]).json
    #expect((second["items"] as? [Any])?.count == 1 && second["next_cursor"] is NSNull)
    let stats = try cli.run(["stats", "--user", user, "--since", "2000-01-01"]).stdout
    #expect(stats.contains(#""count":3"#) && stats.contains(#""total_credits":6"#))
    let statement = try cli.run(["statement", "--user", user, "--seq", "2"]).json
    #expect((statement["lines"] as? [Any])?.count == 2)
    let balances = try cli.run(["balances", "--seq", "3"]).stdout
    #expect(balances.contains(#""credits":296"#))
    let viaEnvironment = try cli.run(
      ["balance", "--user", user], db: false, environment: ["LEDGER_DB": cli.path])
    #expect(viaEnvironment.json["credits"] as? Int == 294)
  }

  @Test(
    "info reports counts, sizes, the checkpoint and index use for the seed's queries; schema prints the DDL")
  func infoAndSchema() throws {
    let cli = try CLI()
    let user = try cli.signUp()
    _ = try cli.send(user, credits: 3)
    let info = try cli.run(["info"]).json
    #expect(info["events"] as? Int == 2 && info["users"] as? Int == 1 && info["mails"] as? Int == 1)
    #expect(info["projection_checkpoint"] as? Int == 2 && (info["database_bytes"] as? Int ?? 0) > 0)
    #expect((info["projections_bytes"] as? Int ?? 0) > 0)
    #expect(try info["chain_head"] as? String == cli.run(["head"]).json["head"] as? String)
    let plans = try #require(info["query_plans"] as? [String: [String]])
    #expect(plans["history_page"]?.contains { $0.contains("SEARCH m USING INTEGER PRIMARY KEY") } == true)
    #expect(plans["balance"]?.contains { $0.contains("PRIMARY KEY") } == true)
    #expect(try cli.run(["info", "--as-user", user]).status == 1)
    let schema = try cli.run(["schema"], db: false).stdout
    #expect(schema.contains("CREATE TABLE events") && schema.contains("events_refuse_update"))
    #expect(schema.contains("ADD COLUMN hash") == false && schema.contains("hash BLOB"))
    #expect(schema.contains("events_require_hash"))
    #expect(
      schema.contains("-- projections file\nCREATE TABLE profiles")
        && schema.contains("CREATE TEMP VIEW user_mails"))
  }
}

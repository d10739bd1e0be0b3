import Foundation
import Testing

@Suite("ledger verify, head, backup, restore, export, import: as an operator runs them")
struct AuditCommandTests {
  /// Runs the sqlite3 shell on `path`, as someone tampering with the file would.
  func sqlite3(_ path: String, _ sql: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", path, sql]
    process.standardOutput = FileHandle.nullDevice
    try CLI.launch(process)
    process.waitUntilExit()
    return process.terminationStatus
  }

  func history(_ cli: CLI) throws -> String {
    let user = try cli.signUp()
    for n in 1...3 { _ = try cli.send(user, credits: n) }
    _ = try cli.run(["grant", "--user", user, "--credits", "4"])
    return user
  }

  @Test(
    "verify passes, then names the first bad event after an edit, a delete or a reorder with the sqlite3 shell"
  )
  func tamperWithShell() throws {
    let tampering = [
      (
        "DROP TRIGGER events_refuse_update; UPDATE events SET payload = replace(payload, '\"credits_used\":2', '\"credits_used\":1') WHERE seq = 3;",
        3
      ),
      ("DROP TRIGGER events_refuse_delete; DELETE FROM events WHERE seq = 2;", 2),
      (
        "DROP TRIGGER events_refuse_update; UPDATE events SET seq = 100 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 4; UPDATE events SET seq = 4 WHERE seq = 100;",
        3
      ),
    ]
    for (sql, bad) in tampering {
      let cli = try CLI()
      _ = try history(cli)
      let clean = try cli.run(["verify"])
      #expect(clean.status == 0 && clean.json["ok"] as? Bool == true && clean.json["events"] as? Int == 5)
      #expect(try sqlite3(cli.path, sql) == 0)
      let caught = try cli.run(["verify"])
      #expect(caught.status == 6, "\(sql)")
      #expect(caught.json["ok"] as? Bool == false && caught.json["first_bad_seq"] as? Int == bad, "\(sql)")
    }
  }

  @Test("verify --head proves the noted head is still in the chain; head needs the service role")
  func notedHead() throws {
    let cli = try CLI()
    let user = try history(cli)
    let head = try #require(cli.run(["head"]).json["head"] as? String)
    _ = try cli.send(user)
    #expect(try cli.run(["verify", "--head", head]).status == 0)
    let wrong = try cli.run(["verify", "--head", String(repeating: "0", count: 63) + "1"])
    #expect(wrong.status == 6 && wrong.stdout.contains("noted head"))
    #expect(try cli.run(["verify", "--head", "xyz"]).status == 2)
    #expect(try cli.run(["head", "--as-user", user]).status == 1)
  }

  @Test("backup, restore into a new file, export, import: the copies verify and export the same")
  func operations() throws {
    let cli = try CLI()
    _ = try history(cli)
    let folder = cli.folder.path
    let backup = try cli.run(["backup", "\(folder)/backup.sqlite"])
    #expect(backup.status == 0 && backup.json["events"] as? Int == 5)
    #expect(try cli.run(["backup", "\(folder)/backup.sqlite"]).status == 2)
    let restored = "\(folder)/restored.sqlite"
    let restore = try cli.run(["restore", "\(folder)/backup.sqlite", "--db", restored], db: false)
    #expect(restore.status == 0 && restore.json["ok"] as? Bool == true)
    #expect(try cli.run(["restore", "\(folder)/backup.sqlite", "--db", restored], db: false).status == 2)
    let original = try cli.run(["export", "--events"]).stdout
    #expect(original.split(separator: "\n").count == 5)
    #expect(try cli.run(["export", "--events", "--out", "\(folder)/events.ndjson"]).status == 0)
    let imported = "\(folder)/imported.sqlite"
    let report = try cli.run(["import", "--events", "\(folder)/events.ndjson", "--db", imported], db: false)
    #expect(report.status == 0 && report.json["events"] as? Int == 5)
    for copy in [restored, imported] {
      #expect(try cli.run(["export", "--events", "--db", copy], db: false).stdout == original)
      for table in ["profiles", "user_mails"] {
        #expect(
          try cli.run(["export", "--table", table, "--format", "csv", "--db", copy], db: false).stdout
            == cli.run(["export", "--table", table, "--format", "csv"]).stdout)
      }
    }
    #expect(try cli.run(["export"]).status == 64)
    #expect(try cli.run(["export", "--table", "nope"]).status == 64)
    // Quiet when stderr is not a terminal: nothing but JSON anywhere.
    #expect(try cli.run(["verify"]).stderr.isEmpty)
  }
}

#ifndef CLEDGERSQLITE_H
#define CLEDGERSQLITE_H

/// Sets one of SQLite's integer connection options (`SQLITE_DBCONFIG_ENABLE_TRIGGER`, …) on
/// `connection`, a `sqlite3 *`; returns SQLite's result code. `sqlite3_db_config` is variadic,
/// which Swift cannot call.
int ledger_sqlite3_db_config_int(void *connection, int option, int value);

#endif

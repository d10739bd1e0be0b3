#include <sqlite3.h>

#include "CLedgerSQLite.h"

int ledger_sqlite3_db_config_int(void *connection, int option, int value) {
  return sqlite3_db_config((sqlite3 *)connection, option, value, (int *)0);
}

int ledger_sqlite3_memstatus_off(void) {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

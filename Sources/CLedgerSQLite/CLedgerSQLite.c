#define _GNU_SOURCE
#include <fcntl.h>
#include <sqlite3.h>

#include "CLedgerSQLite.h"

int ledger_sqlite3_db_config_int(void *connection, int option, int value) {
  return sqlite3_db_config((sqlite3 *)connection, option, value, (int *)0);
}

int ledger_sqlite3_memstatus_off(void) {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int ledger_start_writeback(int descriptor) {
#ifdef SYNC_FILE_RANGE_WRITE
  return sync_file_range(descriptor, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
  (void)descriptor;
  return 0;
#endif
}

#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
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

int ledger_thread_set_up(const char *name, int batch) {
#ifdef __linux__
  // The policy first: a thread that bears the name is already batch-scheduled.
  struct sched_param parameters = {.sched_priority = 0};
  batch = batch && sched_setscheduler(0, SCHED_BATCH, &parameters) == 0;
  char shortName[16];
  strncpy(shortName, name, sizeof shortName - 1);
  shortName[sizeof shortName - 1] = 0;
  pthread_setname_np(pthread_self(), shortName);
  return batch;
#else
  (void)name;
  (void)batch;
  return 0;
#endif
}

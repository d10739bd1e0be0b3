#ifndef CLEDGERSQLITE_H
#define CLEDGERSQLITE_H

/// Sets one of SQLite's integer connection options (`SQLITE_DBCONFIG_ENABLE_TRIGGER`, …) on
/// `connection`, a `sqlite3 *`; returns SQLite's result code. `sqlite3_db_config` is variadic,
/// which Swift cannot call.
int ledger_sqlite3_db_config_int(void *connection, int option, int value);

/// Turns off SQLite's memory statistics for the process, which only SQLite's own
/// `sqlite3_memory_used` and soft heap limits read. Debian builds SQLite with them on and
/// without lookaside memory, so every allocation and free of every connection took one
/// process-wide mutex: the writer, the projections and the checkpointer queued on it. Works
/// only before SQLite initializes (after, SQLite returns `SQLITE_MISUSE` and changes
/// nothing); returns SQLite's result code.
int ledger_sqlite3_memstatus_off(void);

/// Starts writing back the file's dirty pages without waiting (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`, where Linux has it): a hint that makes no promise of durability;
/// returns its result (0 where it does not exist).
int ledger_start_writeback(int descriptor);

/// Sets up the calling thread as one of the ledger's own (Linux; elsewhere it does nothing):
/// names it `name` (its first 15 bytes, what the kernel keeps) for `top -H`, `perf` and
/// `/proc`, and, when `batch` is not 0, schedules it `SCHED_BATCH`, so that waking it never
/// preempts the thread that has the CPU: it waits for that thread's turn to end instead.
/// Returns 1 if the thread is `SCHED_BATCH` now.
int ledger_thread_set_up(const char *name, int batch);

/// The name of the VFS that ``ledger_sqlite3_register_vfs`` registers.
#define LEDGER_SQLITE_VFS_NAME "credit-ledger"

/// Registers, once per process, a VFS named `credit-ledger` over the default one, which
/// writes each transaction's WAL frames to the file in one call instead of two per frame
/// (see LedgerVFS.c). It is not made the default: a connection asks for it by name. Returns
/// SQLite's result code.
int ledger_sqlite3_register_vfs(void);

/// 1 if `connection`'s main database file was opened through that VFS and it found the file's
/// descriptor, so that a checkpoint that grows the file allocates the space in one
/// `posix_fallocate` call (else it falls back to SQLite's page-by-page writes); 0 otherwise.
int ledger_sqlite3_vfs_allocates(void *connection);

/// Makes the checkpoints of `connection` (whose main database file was opened through that
/// VFS) write their pages back in steps of `stepBytes`: once a step's pages are written, the
/// checkpoint waits until the step before is on the disk and starts this one's writeback
/// (`sync_file_range`), so that its closing `fsync` does not send them all at once. Only a
/// pace: what is durable is still the `fsync`'s. Returns 1 if set; 0 where the file was not
/// opened through the VFS, `stepBytes` is not positive, or the system has no
/// `sync_file_range`.
int ledger_sqlite3_vfs_write_back_checkpoints(void *connection, long long stepBytes);

#endif

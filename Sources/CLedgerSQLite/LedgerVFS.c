#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "CLedgerSQLite.h"

// A VFS over SQLite's "unix" one that writes each transaction's WAL frames to the file in
// one call. SQLite writes every frame with two calls (its 24-byte header, then the page),
// each a system call that straddles two kernel pages: a catch-up of the projections writes
// hundreds of frames, and the calls, not the bytes, were most of its time in the kernel.
//
// Frames appended at the WAL's end are gathered in a buffer. The buffer reaches the file:
// - when the page of a commit frame is appended (SQLite marks a commit frame with a nonzero
//   database size in its header): within that write call, so a failed write fails the
//   commit, and the commit is in the file before SQLite publishes it in the WAL index;
// - when it is full, before a write anywhere else in the file, and before any other call on
//   the WAL (read, sync, truncate, size, lock, file control, close);
// - before any change of the connection's WAL-index locks (`xShmLock` on the main database
//   file): frames of a transaction that spilled its cache and then rolled back are written
//   before the write lock is released, as SQLite would have written them, so they can never
//   land over another writer's frames later. Such frames are beyond the committed end, and
//   if that write fails they are dropped: no reader ever looks at them.
// Readers therefore never see a frame that is not in the file, and a crash loses only what
// a crash in the middle of a commit loses anyway. Every other file (journals, temporary
// files) is the "unix" VFS's own object, untouched.
//
// A checkpoint's copies into the database file are gathered the same way: SQLite writes
// them a page a call, in page order, and for the log (whose pages are appended) nearly all
// are consecutive. A 4 KiB write to new pages of a file cost this kernel ~3.5 µs of CPU, a
// 64 KiB one ~1 µs a 4 KiB page (large folios): the log's checkpointer thread went from 19%
// to 11% of the CPU at 256 callers. Pages are gathered only between SQLite's
// SQLITE_FCNTL_CKPT_START and SQLITE_FCNTL_CKPT_DONE, and only below a size the disk has
// been made to hold first (SQLite's size hint for the checkpoint, allocated then): the
// buffer reaches the file when full, before a write elsewhere, before any other call on the
// database file, and at CKPT_DONE — before SQLite records the pages as copied (its
// `nBackfill`, after which readers read them from the database file). A write that fails
// mid-checkpoint fails the checkpoint, as SQLite's own would. One at CKPT_DONE, which SQLite
// cannot be told of, can only be a disk error on space already held: the process stops
// there rather than let readers read pages that are not in the file; the WAL, synced before
// the copy began, still holds them, and the next open copies them again.
//
// The log's checkpointer also asks for its copy to be written back in steps (`WriteBack`):
// left to the checkpoint's closing `fsync`, a second of the log's pages (~80–140 MB under
// load) went to the disk at once, and every `fdatasync` of the WAL meanwhile waited behind
// them: 30–150 ms, holding every caller and the projections (their lag is counted from the
// commit). Written back a step at a time, the checkpointer waiting for the step before, the
// disk's queue holds at most two steps of it.

// The buffer's size: under 128 KiB, the most the "unix" VFS writes in one call (it masks the
// length to 17 bits: SQLite itself never writes more than a page). A catch-up of the
// projections writes a few of these; the writer's batches, one.
enum { walFrameHeaderBytes = 24, bufferBytesMax = 120 << 10 };

typedef struct WalFile WalFile;

/// Writes held back to go out in one call: `used` bytes, for `offset` onwards.
typedef struct Gathered {
  unsigned char *buffer;
  int used;
  sqlite3_int64 offset;
} Gathered;

/// A checkpoint's copy written back a step at a time: the pages written since the last step
/// (`start`..`end`), and the step before them (`previousStart`..`previousEnd`), under way.
typedef struct WriteBack {
  sqlite3_int64 stepBytes, start, end, previousStart, previousEnd;
} WriteBack;

/// A main database file: the "unix" file, the WAL its connection has open, and the pages a
/// checkpoint is copying, gathered.
typedef struct DatabaseFile {
  sqlite3_file base;
  WalFile *wal;
  sqlite3_file *real;
  /// Between SQLITE_FCNTL_CKPT_START and SQLITE_FCNTL_CKPT_DONE.
  int checkpointing;
  /// Pages ending at or below this are gathered: the file's size when the checkpoint began,
  /// or the size it will have after it, once the disk holds that much.
  sqlite3_int64 reservedEnd;
  Gathered pages;
  /// The "unix" file's descriptor, for `posix_fallocate`; -1 if it could not be known.
  int descriptor;
  /// The pace of a checkpoint's writeback; `stepBytes` 0 where none was asked for.
  WriteBack writeBack;
} DatabaseFile;

/// How the "unix" VFS's file object begins (os_unix.c's `unixFile`, unchanged in SQLite 3 for
/// a decade): its descriptor is the fourth member. SQLite offers no call that returns it, and
/// Debian's build fakes the size hint's allocation with a 1-byte write per 4 KiB block
/// (no HAVE_POSIX_FALLOCATE): 60% of the log's checkpointer thread at 256 callers.
typedef struct UnixFileStart {
  const sqlite3_io_methods *methods;
  sqlite3_vfs *vfs;
  void *inode;
  int descriptor;
} UnixFileStart;

/// The descriptor of the "unix" file `real` opened for `name`, if it is that file's (the
/// same device and inode as the path's); -1 otherwise, and then nothing is allocated ahead.
static int descriptorOf(sqlite3_file *real, const char *name) {
  int descriptor = ((UnixFileStart *)real)->descriptor;
  struct stat opened, named;
  if (name == 0 || descriptor < 0 || fstat(descriptor, &opened) != 0 || stat(name, &named) != 0) return -1;
  return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino ? descriptor : -1;
}

/// A WAL file: the "unix" file, and the frames not written to it yet.
struct WalFile {
  sqlite3_file base;
  DatabaseFile *database;
  Gathered frames;
  /// The end of the last write that reached the file: the next append, if nothing waits.
  sqlite3_int64 end;
  /// The last frame header appended is a commit frame's.
  int commitFrame;
  sqlite3_file *real;
};

static sqlite3_vfs ledgerVFS;
static sqlite3_vfs *unixVFS;
static sqlite3_io_methods walMethods;
static sqlite3_io_methods databaseMethods;

#define REAL(f) (((WalFile *)(f))->real)
#define DB_REAL(f) (((DatabaseFile *)(f))->real)

#define RETURN_IF_FAILS(call)                 \
  do {                                        \
    int code_ = (call);                       \
    if (code_ != SQLITE_OK) return code_;     \
  } while (0)

/// Writes what is gathered to `real`. On failure the bytes stay, and the next flush writes
/// them again, whole.
static int writeGathered(Gathered *gathered, sqlite3_file *real) {
  if (gathered->used == 0) return SQLITE_OK;
  int code = real->pMethods->xWrite(real, gathered->buffer, gathered->used, gathered->offset);
  if (code == SQLITE_OK) gathered->used = 0;
  return code;
}

/// Holds back `amount` bytes for `offset`, which the caller made sure follow what is held
/// and fit in the buffer.
static int gather(Gathered *gathered, const void *data, int amount, sqlite3_int64 offset) {
  if (gathered->buffer == 0) {
    gathered->buffer = sqlite3_malloc(bufferBytesMax);
    if (gathered->buffer == 0) return SQLITE_NOMEM;
  }
  if (gathered->used == 0) gathered->offset = offset;
  memcpy(gathered->buffer + gathered->used, data, (size_t)amount);
  gathered->used += amount;
  return SQLITE_OK;
}

static void releaseGathered(Gathered *gathered) {
  sqlite3_free(gathered->buffer);
  gathered->buffer = 0;
  gathered->used = 0;
}

static int flush(WalFile *file) {
  sqlite3_int64 end = file->frames.offset + file->frames.used;
  if (file->frames.used == 0) return SQLITE_OK;
  RETURN_IF_FAILS(writeGathered(&file->frames, file->real));
  file->end = end;
  return SQLITE_OK;
}

#define FLUSH_OR_RETURN(f) RETURN_IF_FAILS(flush((WalFile *)(f)))

static int walWrite(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
  WalFile *file = (WalFile *)f;
  if (amount == walFrameHeaderBytes) {
    // A frame's header: the pages written until the next header belong to a commit frame
    // when it names the database's size after the commit.
    const unsigned char *header = data;
    file->commitFrame = (header[4] | header[5] | header[6] | header[7]) != 0;
  }
  Gathered *frames = &file->frames;
  int appends = frames->used > 0 ? offset == frames->offset + frames->used : offset == file->end;
  if (!appends || amount > bufferBytesMax || frames->used + amount > bufferBytesMax) FLUSH_OR_RETURN(file);
  if (!appends || amount > bufferBytesMax) {
    int code = REAL(f)->pMethods->xWrite(REAL(f), data, amount, offset);
    if (code == SQLITE_OK) file->end = offset + amount;
    return code;
  }
  RETURN_IF_FAILS(gather(frames, data, amount, offset));
  // A commit frame's page (all of it, if SQLite writes it in two parts around a sync
  // point) goes to the file now, with every frame before it, and a failure fails the commit.
  return amount != walFrameHeaderBytes && file->commitFrame ? flush(file) : SQLITE_OK;
}

static int walClose(sqlite3_file *f) {
  WalFile *file = (WalFile *)f;
  int flushed = flush(file);
  releaseGathered(&file->frames);
  if (file->database) file->database->wal = 0;
  int code = REAL(f)->pMethods->xClose(REAL(f));
  return flushed != SQLITE_OK ? flushed : code;
}
static int walRead(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xRead(REAL(f), data, amount, offset);
}
static int walTruncate(sqlite3_file *f, sqlite3_int64 size) {
  FLUSH_OR_RETURN(f);
  int code = REAL(f)->pMethods->xTruncate(REAL(f), size);
  if (code == SQLITE_OK) ((WalFile *)f)->end = size;
  return code;
}
static int walSync(sqlite3_file *f, int flags) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int walFileSize(sqlite3_file *f, sqlite3_int64 *size) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int walLock(sqlite3_file *f, int lock) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int walUnlock(sqlite3_file *f, int lock) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int walCheckReservedLock(sqlite3_file *f, int *out) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int walFileControl(sqlite3_file *f, int op, void *arg) {
  FLUSH_OR_RETURN(f);
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int walSectorSize(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int walDeviceCharacteristics(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/// Writes the WAL's waiting frames before the connection's WAL-index locks change; drops
/// them if that fails (they are never committed frames: see the top of the file).
static void flushBeforeLocking(DatabaseFile *file) {
  if (file->wal == 0 || file->wal->frames.used == 0) return;
  if (flush(file->wal) != SQLITE_OK) file->wal->frames.used = 0;
}

/// Paces a checkpoint's copy (see the top of the file): once the pages written since the
/// last step reach `stepBytes`, waits until the step before them is on the disk, then starts
/// writing these back. Only a pace: durability is still the checkpoint's `fsync`.
static void writeBackStep(DatabaseFile *file, sqlite3_int64 start, sqlite3_int64 end) {
#ifdef SYNC_FILE_RANGE_WRITE
  WriteBack *step = &file->writeBack;
  if (start != step->end) step->start = start;
  step->end = end;
  if (step->end - step->start < step->stepBytes) return;
  if (step->previousEnd > step->previousStart)
    sync_file_range(file->descriptor, step->previousStart, step->previousEnd - step->previousStart,
                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  sync_file_range(file->descriptor, step->start, step->end - step->start, SYNC_FILE_RANGE_WRITE);
  step->previousStart = step->start;
  step->previousEnd = step->end;
  step->start = step->end;
#else
  (void)file;
  (void)start;
  (void)end;
#endif
}

static int databaseFlush(DatabaseFile *file) {
  sqlite3_int64 start = file->pages.offset, end = start + file->pages.used;
  int code = writeGathered(&file->pages, file->real);
  if (code == SQLITE_OK && end > start && file->writeBack.stepBytes > 0) writeBackStep(file, start, end);
  return code;
}

#define DB_FLUSH_OR_RETURN(f) RETURN_IF_FAILS(databaseFlush((DatabaseFile *)(f)))

/// Where no error can be returned and SQLite will next treat the gathered pages as in the
/// file: see the top of the file.
static void databaseFlushOrStop(DatabaseFile *file) {
  if (databaseFlush(file) == SQLITE_OK || databaseFlush(file) == SQLITE_OK) return;
  fprintf(stderr, "credit-ledger: a checkpoint's write to the database file failed on space already "
                  "allocated; stopping the process (the WAL still holds the pages)\n");
  abort();
}

/// Makes the disk hold `size` bytes of the file now, as the "unix" VFS's size hint does
/// where SQLite is built with posix_fallocate: one call, not a write per block.
static int reserve(DatabaseFile *file, sqlite3_int64 size) {
  struct stat now;
  if (file->descriptor < 0 || fstat(file->descriptor, &now) != 0) return SQLITE_IOERR_WRITE;
  if (size <= now.st_size) return SQLITE_OK;
  int error;
  do {
    error = posix_fallocate(file->descriptor, now.st_size, size - now.st_size);
  } while (error == EINTR);
  return error == 0 ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

static int databaseClose(sqlite3_file *f) {
  DatabaseFile *file = (DatabaseFile *)f;
  int flushed = databaseFlush(file);
  releaseGathered(&file->pages);
  if (file->wal) file->wal->database = 0;
  int code = DB_REAL(f)->pMethods->xClose(DB_REAL(f));
  return flushed != SQLITE_OK ? flushed : code;
}
static int databaseRead(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xRead(DB_REAL(f), data, amount, offset);
}
static int databaseWrite(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
  DatabaseFile *file = (DatabaseFile *)f;
  int gathers = file->checkpointing && amount <= bufferBytesMax && offset + amount <= file->reservedEnd;
  Gathered *pages = &file->pages;
  int follows = pages->used > 0 && offset == pages->offset + pages->used;
  if (pages->used > 0 && (!gathers || !follows || pages->used + amount > bufferBytesMax)) DB_FLUSH_OR_RETURN(file);
  if (!gathers) return DB_REAL(f)->pMethods->xWrite(DB_REAL(f), data, amount, offset);
  return gather(pages, data, amount, offset);
}
static int databaseTruncate(sqlite3_file *f, sqlite3_int64 size) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xTruncate(DB_REAL(f), size);
}
static int databaseSync(sqlite3_file *f, int flags) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xSync(DB_REAL(f), flags);
}
static int databaseFileSize(sqlite3_file *f, sqlite3_int64 *size) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xFileSize(DB_REAL(f), size);
}
static int databaseLock(sqlite3_file *f, int lock) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xLock(DB_REAL(f), lock);
}
static int databaseUnlock(sqlite3_file *f, int lock) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xUnlock(DB_REAL(f), lock);
}
static int databaseCheckReservedLock(sqlite3_file *f, int *out) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xCheckReservedLock(DB_REAL(f), out);
}
/// Follows a checkpoint: gathering starts at CKPT_START, below the file's size; the size
/// hint of a checkpoint that grows the file extends that once the disk holds it; CKPT_DONE
/// writes what is gathered.
static int checkpointControl(DatabaseFile *file, int op, void *arg) {
  if (op == SQLITE_FCNTL_CKPT_START) {
    file->checkpointing = 1;
    if (file->real->pMethods->xFileSize(file->real, &file->reservedEnd) != SQLITE_OK) file->reservedEnd = 0;
  } else if (op == SQLITE_FCNTL_SIZE_HINT && file->checkpointing) {
    sqlite3_int64 size = *(sqlite3_int64 *)arg;
    // Refused (a full disk): pages past the old end are written one by one, and the first
    // that does not fit fails the checkpoint, as without this VFS.
    if (size > file->reservedEnd && reserve(file, size) == SQLITE_OK) file->reservedEnd = size;
  } else if (op == SQLITE_FCNTL_CKPT_DONE) {
    databaseFlushOrStop(file);
    file->checkpointing = 0;
    file->reservedEnd = 0;
  } else {
    DB_FLUSH_OR_RETURN(file);
  }
  return SQLITE_OK;
}
static int databaseFileControl(sqlite3_file *f, int op, void *arg) {
  int gathered = checkpointControl((DatabaseFile *)f, op, arg);
  if (gathered != SQLITE_OK) return gathered;
  int code = DB_REAL(f)->pMethods->xFileControl(DB_REAL(f), op, arg);
  if (op == SQLITE_FCNTL_VFSNAME && code == SQLITE_OK) {
    // Names this VFS before the one below it, as SQLite's own shims do.
    char *below = *(char **)arg;
    *(char **)arg = sqlite3_mprintf("%s/%s", LEDGER_SQLITE_VFS_NAME, below ? below : "");
    sqlite3_free(below);
  }
  return code;
}
static int databaseSectorSize(sqlite3_file *f) { return DB_REAL(f)->pMethods->xSectorSize(DB_REAL(f)); }
static int databaseDeviceCharacteristics(sqlite3_file *f) {
  return DB_REAL(f)->pMethods->xDeviceCharacteristics(DB_REAL(f));
}
static int databaseShmMap(sqlite3_file *f, int region, int size, int extend, void volatile **out) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xShmMap(DB_REAL(f), region, size, extend, out);
}
static int databaseShmLock(sqlite3_file *f, int offset, int n, int flags) {
  DB_FLUSH_OR_RETURN(f);
  flushBeforeLocking((DatabaseFile *)f);
  return DB_REAL(f)->pMethods->xShmLock(DB_REAL(f), offset, n, flags);
}
static void databaseShmBarrier(sqlite3_file *f) {
  // SQLite publishes a commit in the WAL index after this barrier. The commit frame's write
  // wrote every frame already: there is nothing to write here, unless by mistake.
  DatabaseFile *file = (DatabaseFile *)f;
  if (file->wal) (void)flush(file->wal);
  databaseFlushOrStop(file);
  DB_REAL(f)->pMethods->xShmBarrier(DB_REAL(f));
}
static int databaseShmUnmap(sqlite3_file *f, int deleteFlag) {
  DB_FLUSH_OR_RETURN(f);
  flushBeforeLocking((DatabaseFile *)f);
  return DB_REAL(f)->pMethods->xShmUnmap(DB_REAL(f), deleteFlag);
}
static int databaseFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out) {
  DB_FLUSH_OR_RETURN(f);
  return DB_REAL(f)->pMethods->xFetch(DB_REAL(f), offset, amount, out);
}
static int databaseUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *page) {
  return DB_REAL(f)->pMethods->xUnfetch(DB_REAL(f), offset, page);
}

static int ledgerOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
  (void)vfs;
  if (flags & SQLITE_OPEN_MAIN_DB) {
    DatabaseFile *file = (DatabaseFile *)f;
    memset(file, 0, sizeof(DatabaseFile));
    file->real = (sqlite3_file *)(file + 1);
    int code = unixVFS->xOpen(unixVFS, name, file->real, flags, outFlags);
    // SQLite closes a file whose pMethods is set, even after a failed open.
    file->base.pMethods = file->real->pMethods ? &databaseMethods : 0;
    file->descriptor = code == SQLITE_OK ? descriptorOf(file->real, name) : -1;
    return code;
  }
  if (flags & SQLITE_OPEN_WAL) {
    WalFile *file = (WalFile *)f;
    memset(file, 0, sizeof(WalFile));
    file->real = (sqlite3_file *)(file + 1);
    int code = unixVFS->xOpen(unixVFS, name, file->real, flags, outFlags);
    file->base.pMethods = file->real->pMethods ? &walMethods : 0;
    if (code == SQLITE_OK) {
      sqlite3_file *database = sqlite3_database_file_object(name);
      if (database && database->pMethods == &databaseMethods) {
        file->database = (DatabaseFile *)database;
        file->database->wal = file;
      }
    }
    return code;
  }
  // Any other file is the "unix" VFS's object, in place: no call goes through this one.
  return unixVFS->xOpen(unixVFS, name, f, flags, outFlags);
}

/// `connection`'s main database file, if it was opened through this VFS and its descriptor is
/// known; 0 otherwise.
static DatabaseFile *databaseFileOf(void *connection) {
  sqlite3_file *file = 0;
  if (sqlite3_file_control(connection, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == 0) return 0;
  if (file->pMethods != &databaseMethods || ((DatabaseFile *)file)->descriptor < 0) return 0;
  return (DatabaseFile *)file;
}

int ledger_sqlite3_vfs_allocates(void *connection) { return databaseFileOf(connection) != 0; }

int ledger_sqlite3_vfs_write_back_checkpoints(void *connection, long long stepBytes) {
#ifdef SYNC_FILE_RANGE_WRITE
  DatabaseFile *file = databaseFileOf(connection);
  if (file == 0 || stepBytes <= 0) return 0;
  file->writeBack = (WriteBack){.stepBytes = stepBytes};
  return 1;
#else
  (void)connection;
  (void)stepBytes;
  return 0;
#endif
}

static int ledgerDelete(sqlite3_vfs *v, const char *name, int syncDir) {
  (void)v;
  return unixVFS->xDelete(unixVFS, name, syncDir);
}
static int ledgerAccess(sqlite3_vfs *v, const char *name, int flags, int *out) {
  (void)v;
  return unixVFS->xAccess(unixVFS, name, flags, out);
}
static int ledgerFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) {
  (void)v;
  return unixVFS->xFullPathname(unixVFS, name, n, out);
}
static void *ledgerDlOpen(sqlite3_vfs *v, const char *name) {
  (void)v;
  return unixVFS->xDlOpen(unixVFS, name);
}
static void ledgerDlError(sqlite3_vfs *v, int n, char *out) {
  (void)v;
  unixVFS->xDlError(unixVFS, n, out);
}
static void (*ledgerDlSym(sqlite3_vfs *v, void *handle, const char *symbol))(void) {
  (void)v;
  return unixVFS->xDlSym(unixVFS, handle, symbol);
}
static void ledgerDlClose(sqlite3_vfs *v, void *handle) {
  (void)v;
  unixVFS->xDlClose(unixVFS, handle);
}
static int ledgerRandomness(sqlite3_vfs *v, int n, char *out) {
  (void)v;
  return unixVFS->xRandomness(unixVFS, n, out);
}
static int ledgerSleep(sqlite3_vfs *v, int microseconds) {
  (void)v;
  return unixVFS->xSleep(unixVFS, microseconds);
}
static int ledgerCurrentTime(sqlite3_vfs *v, double *out) {
  (void)v;
  return unixVFS->xCurrentTime(unixVFS, out);
}
static int ledgerGetLastError(sqlite3_vfs *v, int n, char *out) {
  (void)v;
  return unixVFS->xGetLastError(unixVFS, n, out);
}
static int ledgerCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) {
  (void)v;
  return unixVFS->xCurrentTimeInt64(unixVFS, out);
}

static void setUp(void) {
  walMethods = (sqlite3_io_methods){
    .iVersion = 1,
    .xClose = walClose,
    .xRead = walRead,
    .xWrite = walWrite,
    .xTruncate = walTruncate,
    .xSync = walSync,
    .xFileSize = walFileSize,
    .xLock = walLock,
    .xUnlock = walUnlock,
    .xCheckReservedLock = walCheckReservedLock,
    .xFileControl = walFileControl,
    .xSectorSize = walSectorSize,
    .xDeviceCharacteristics = walDeviceCharacteristics,
  };
  databaseMethods = (sqlite3_io_methods){
    .iVersion = 3,
    .xClose = databaseClose,
    .xRead = databaseRead,
    .xWrite = databaseWrite,
    .xTruncate = databaseTruncate,
    .xSync = databaseSync,
    .xFileSize = databaseFileSize,
    .xLock = databaseLock,
    .xUnlock = databaseUnlock,
    .xCheckReservedLock = databaseCheckReservedLock,
    .xFileControl = databaseFileControl,
    .xSectorSize = databaseSectorSize,
    .xDeviceCharacteristics = databaseDeviceCharacteristics,
    .xShmMap = databaseShmMap,
    .xShmLock = databaseShmLock,
    .xShmBarrier = databaseShmBarrier,
    .xShmUnmap = databaseShmUnmap,
    .xFetch = databaseFetch,
    .xUnfetch = databaseUnfetch,
  };
  int wrapper = (int)(sizeof(DatabaseFile) > sizeof(WalFile) ? sizeof(DatabaseFile) : sizeof(WalFile));
  ledgerVFS = (sqlite3_vfs){
    .iVersion = 2,
    .szOsFile = wrapper + unixVFS->szOsFile,
    .mxPathname = unixVFS->mxPathname,
    .zName = LEDGER_SQLITE_VFS_NAME,
    .xOpen = ledgerOpen,
    .xDelete = ledgerDelete,
    .xAccess = ledgerAccess,
    .xFullPathname = ledgerFullPathname,
    .xDlOpen = ledgerDlOpen,
    .xDlError = ledgerDlError,
    .xDlSym = ledgerDlSym,
    .xDlClose = ledgerDlClose,
    .xRandomness = ledgerRandomness,
    .xSleep = ledgerSleep,
    .xCurrentTime = ledgerCurrentTime,
    .xGetLastError = ledgerGetLastError,
    .xCurrentTimeInt64 = ledgerCurrentTimeInt64,
  };
}

int ledger_sqlite3_register_vfs(void) {
  static int registered = 0;
  int code = sqlite3_initialize();
  if (code != SQLITE_OK) return code;
  sqlite3_mutex *mutex = sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_APP1);
  sqlite3_mutex_enter(mutex);
  if (!registered) {
    unixVFS = sqlite3_vfs_find("unix");
    // Wraps "unix" by name, not whatever is the default: what it writes (up to 120 KiB at
    // once, at any offset) is what the unix VFS is known to take.
    if (unixVFS == 0 || unixVFS->iVersion < 2 || unixVFS->xCurrentTimeInt64 == 0 || unixVFS->xGetLastError == 0) {
      code = SQLITE_NOTFOUND;
    } else {
      setUp();
      code = sqlite3_vfs_register(&ledgerVFS, 0);
      registered = code == SQLITE_OK;
    }
  }
  sqlite3_mutex_leave(mutex);
  return code;
}

// A thin layer over the SQLite C API for SqliteStorage: one connection with its cached prepared
// statements, a statement handle that resets itself, a transaction guard, and the one place
// SQLite result codes become absl::Status. Nothing outside server/storage includes this header.
#ifndef PROCTOR_SERVER_STORAGE_SQLITE_CONNECTION_H_
#define PROCTOR_SERVER_STORAGE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace proctor::server {

// The status for SQLite result code `rc` (primary or extended), with `context` (what we were
// doing) and `detail` (SQLite's message):
//   BUSY, LOCKED, FULL, IOERR, READONLY, CANTOPEN, PROTOCOL -> UNAVAILABLE (retrying may help)
//   CONSTRAINT_UNIQUE / _PRIMARYKEY -> ALREADY_EXISTS; CONSTRAINT_FOREIGNKEY -> NOT_FOUND
//   CORRUPT, NOTADB -> DATA_LOSS; NOMEM -> RESOURCE_EXHAUSTED; anything else -> INTERNAL.
// The message reads "sqlite: <context>: <detail>". Every status but ALREADY_EXISTS and NOT_FOUND
// is a failure of the database and is marked internal (common/internal_status.h): callers get a
// generic message, the operator's log the full one.
absl::Status SqliteStatus(int rc, absl::string_view context, absl::string_view detail);

// A cached prepared statement borrowed from its SqliteConnection. On destruction it is reset and
// its bindings cleared, so it never holds a read snapshot or a pointer into caller memory beyond
// its scope. Move-only; used by one thread at a time, like its connection.
class SqliteStatement {
 public:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based. Text and blob bytes are not copied: they must stay valid until the
  // next Reset() or the statement's destruction. A failed bind is reported by the next Step().
  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view text);
  // An empty blob binds a zero-length BLOB, not NULL.
  void BindBlob(int index, const void* data, size_t size);
  void BindNull(int index);

  // SQLITE_ROW, SQLITE_DONE, or an error code (the first failed bind's, if any).
  int Step();
  // Ready to bind and step again (bindings are kept until rebound).
  void Reset();

  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;
  // Copies a BLOB into `out` when it holds exactly out_size bytes; false otherwise.
  bool BlobInto(int column, uint8_t* out, size_t out_size) const;

 private:
  void NoteBind(int rc);

  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
};

// One SQLite connection and its prepared-statement cache. Not thread-safe: the owner serializes
// every use (SqliteStorage guards each connection with a mutex).
class SqliteConnection {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_NOMUTEX is added) and extended result
  // codes on; waits up to busy_timeout_ms for another connection's lock. With SQLITE_OPEN_CREATE
  // the database file is created mode 0600, so its -wal and -shm are 0600 too, and an existing
  // database (with its -wal and -shm) that others may read is narrowed to 0600.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int flags,
                                                                int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // The statement for `sql` (one statement), prepared on first use and kept until the
  // connection closes. Only one SqliteStatement per `sql` may be alive at a time.
  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // Runs `sql`, which may hold several statements and return no rows.
  absl::Status Exec(const char* sql, absl::string_view context);
  // Runs a query (uncached) and returns the first column of its first row as text, "" when it
  // returns no row (PRAGMA answers, one-off checks).
  absl::StatusOr<std::string> QueryText(const char* sql, absl::string_view context);

  // Copies this connection's database, whole and as of one moment, into the new file `path`
  // (created 0600; ALREADY_EXISTS if it exists) with SQLite's backup API, and leaves the copy
  // in rollback-journal mode: one self-contained file.
  absl::Status BackupInto(const std::string& path);

  // The status for `rc` from the last call on this connection, with SQLite's message.
  absl::Status Error(int rc, absl::string_view context) const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  // True while a transaction is open.
  bool InTransaction() const;
  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* const db_;
  const std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// Runs a write transaction on a connection: Begin() takes the write lock at once (BEGIN
// IMMEDIATE, so two writers never deadlock upgrading read locks); anything not committed when the
// guard goes out of scope is rolled back.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteConnection* connection) : connection_(connection) {}
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  absl::Status Begin(absl::string_view context);
  absl::Status Commit(absl::string_view context);

 private:
  SqliteConnection* const connection_;
  bool open_ = false;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_SQLITE_CONNECTION_H_

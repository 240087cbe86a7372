#include "server/storage/sqlite_connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/internal_status.h"

namespace proctor::server {
namespace {

// True for an empty file or one that starts with SQLite's header: a file proctor may narrow.
bool EmptyOrSqlite(int fd) {
  static constexpr char kHeader[] = "SQLite format 3";  // 16 bytes with its NUL
  char head[sizeof kHeader] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  return n == 0 ||
         (n == static_cast<ssize_t>(sizeof head) && std::memcmp(head, kHeader, sizeof head) == 0);
}

// The database holds sealed biometric data and the audit log: owner only. SQLite would create
// the file 0644 (less the umask) and gives the -wal and -shm files it creates the database
// file's mode, so the file is created 0600 here before SQLite opens it. A database left
// group- or world-readable by an older proctor, and its -wal and -shm after a crash, are
// narrowed to 0600 too (best effort: a file of another owner keeps its mode); a file that is
// not a database is left alone for SQLite to refuse.
absl::Status CreateOwnerOnly(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MarkInternal(
        absl::UnavailableError(absl::StrCat("sqlite: opening ", path, ": ", strerror(errno))));
  }
  struct stat st {};
  const bool narrow = EmptyOrSqlite(fd);
  if (narrow && ::fstat(fd, &st) == 0 && (st.st_mode & 0077) != 0) (void)::fchmod(fd, 0600);
  ::close(fd);
  if (!narrow) return absl::OkStatus();
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string companion = path + suffix;
    if (::stat(companion.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
      (void)::chmod(companion.c_str(), 0600);
    }
  }
  return absl::OkStatus();
}

// The status for `rc` with `message`, before SqliteStatus marks it.
absl::Status StatusForCode(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::InternalError(absl::StrCat(message, " (no error code)"));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return absl::NotFoundError(absl::StrCat(message, " (a row it refers to does not exist)"));
      }
      return absl::InternalError(message);
    case SQLITE_CORRUPT:
      return absl::DataLossError(message);
    case SQLITE_NOTADB:
      return absl::DataLossError(
          absl::StrCat(message, " (the file is not a SQLite database, or is damaged)"));
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

absl::Status SqliteStatus(int rc, absl::string_view context, absl::string_view detail) {
  absl::Status status = StatusForCode(rc, absl::StrCat("sqlite: ", context, ": ", detail));
  // ALREADY_EXISTS and NOT_FOUND answer the call; every other code is a failure of the database,
  // whose message (a path, SQLite's words) is for the operator only.
  if (absl::IsAlreadyExists(status) || absl::IsNotFound(status)) return status;
  return MarkInternal(std::move(status));
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void SqliteStatement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value));
}

void SqliteStatement::BindText(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; "" keeps an empty string a string.
  NoteBind(sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(),
                               SQLITE_STATIC, SQLITE_UTF8));
}

void SqliteStatement::BindBlob(int index, const void* data, size_t size) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size, SQLITE_STATIC));
}

void SqliteStatement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index)); }

int SqliteStatement::Step() {
  if (bind_error_ != SQLITE_OK) return bind_error_;
  return sqlite3_step(stmt_);
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  bind_error_ = SQLITE_OK;
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double SqliteStatement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::vector<uint8_t> SqliteStatement::Blob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};
  return std::vector<uint8_t>(data, data + sqlite3_column_bytes(stmt_, column));
}

bool SqliteStatement::BlobInto(int column, uint8_t* out, size_t out_size) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr || static_cast<size_t>(sqlite3_column_bytes(stmt_, column)) != out_size) {
    return false;
  }
  std::memcpy(out, data, out_size);
  return true;
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                         int flags,
                                                                         int busy_timeout_ms) {
  if ((flags & SQLITE_OPEN_CREATE) != 0) {
    if (absl::Status created = CreateOwnerOnly(path); !created.ok()) return created;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // Even a failed open usually returns a handle that holds the message, and must be closed.
    absl::Status status = SqliteStatus(rc, absl::StrCat("opening ", path),
                                       db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<SqliteStatement> SqliteConnection::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return SqliteStatement(it->second);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, absl::StrCat("preparing \"",
                                  absl::string_view(sql.data(), std::min<size_t>(sql.size(), 60)),
                                  "...\" on ", path_));
  }
  statements_.emplace(std::string(sql), stmt);
  return SqliteStatement(stmt);
}

absl::Status SqliteConnection::Exec(const char* sql, absl::string_view context) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteConnection::QueryText(const char* sql,
                                                        absl::string_view context) {
  // Not cached: these run once per connection, and preparing is where a file that is not a
  // database first shows itself, which must be reported with the caller's context.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return Error(rc, context);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  return text == nullptr ? std::string() : std::string(text);
}

absl::Status SqliteConnection::BackupInto(const std::string& path) {
  // O_EXCL: never overwrite a file, whatever it is.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) return absl::AlreadyExistsError(absl::StrCat(path, " already exists"));
    return absl::UnavailableError(absl::StrCat("creating ", path, ": ", strerror(error)));
  }
  ::close(fd);
  auto target = Open(path, SQLITE_OPEN_READWRITE, /*busy_timeout_ms=*/5000);
  if (!target.ok()) return target.status();
  sqlite3_backup* backup = sqlite3_backup_init((*target)->db_, "main", db_, "main");
  if (backup == nullptr) return (*target)->Error(sqlite3_errcode((*target)->db_), "backup");
  // All pages in one step: one read transaction (a consistent copy that writers in WAL mode do
  // not wait for, and that their commits cannot restart). BUSY only if a writer holds an
  // exclusive lock (a checkpoint truncating the WAL): try again shortly.
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 100; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(50);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return (*target)->Error(rc, absl::StrCat("backing up into ", path));
  // The copy carries the source's WAL flag; a single file needs no -wal beside it.
  return (*target)->Exec("PRAGMA journal_mode=DELETE", "closing the backup");
}

absl::Status SqliteConnection::Error(int rc, absl::string_view context) const {
  return SqliteStatus(rc, context, sqlite3_errmsg(db_));
}

int64_t SqliteConnection::Changes() const { return sqlite3_changes64(db_); }

bool SqliteConnection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

SqliteTransaction::~SqliteTransaction() {
  // COMMIT can fail after SQLite already rolled back by itself (an I/O error); then there is
  // nothing left to roll back.
  if (open_ && connection_->InTransaction()) {
    (void)connection_->Exec("ROLLBACK", "rolling back");
  }
}

absl::Status SqliteTransaction::Begin(absl::string_view context) {
  absl::Status status = connection_->Exec("BEGIN IMMEDIATE", context);
  open_ = status.ok();
  return status;
}

absl::Status SqliteTransaction::Commit(absl::string_view context) {
  absl::Status status = connection_->Exec("COMMIT", context);
  if (status.ok()) open_ = false;
  return status;
}

}  // namespace proctor::server

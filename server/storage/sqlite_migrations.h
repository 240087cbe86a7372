// The SQLite schema migrations, embedded at build time from server/storage/migrations/sqlite/
// (NNNN_name.sql; the CMake step that generates their definition is in this folder's
// CMakeLists.txt). SqliteStorage::Open applies the ones a database lacks.
#ifndef PROCTOR_SERVER_STORAGE_SQLITE_MIGRATIONS_H_
#define PROCTOR_SERVER_STORAGE_SQLITE_MIGRATIONS_H_

#include <vector>

namespace proctor::server {

struct SqlMigration {
  int version;       // the file's NNNN prefix, >= 1
  const char* name;  // the file name, for messages
  const char* sql;   // the file's statements, NUL-terminated
};

// Every migration, ascending by version; versions are 1, 2, ... without gaps (checked at
// configure time).
const std::vector<SqlMigration>& SqliteMigrations();

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_SQLITE_MIGRATIONS_H_

// The schema migrations of both SQL engines, embedded at build time from
// server/storage/migrations/<engine>/NNNN_name.sql (the CMake step that generates their
// definitions is in this folder's CMakeLists.txt). Both engines have the same versions with the
// same file names: a schema change is one numbered file per engine, checked at configure time.
// SqliteStorage::Open and PostgresStorage::Open apply the ones a database lacks.
#ifndef PROCTOR_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_
#define PROCTOR_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_

#include <vector>

namespace proctor::server {

struct SqlMigration {
  int version;       // the file's NNNN prefix, >= 1
  const char* name;  // the file name, for messages
  const char* sql;   // the file's statements, NUL-terminated
};

// Every migration of one engine, ascending by version; versions are 1, 2, ... without gaps.
const std::vector<SqlMigration>& SqliteMigrations();
const std::vector<SqlMigration>& PostgresMigrations();

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_

// PostgresTestServer: a throwaway PostgreSQL server for tests. Start() runs initdb into a fresh
// temporary directory and starts `postgres` on a free loopback port (TCP only, trust
// authentication for the superuser "proctor"); the destructor stops it and removes the
// directory. As root it runs the server binaries as the "postgres" user (initdb refuses root),
// which the Debian package creates. The server process gets SIGKILL if the test process dies.
//
// The binaries are taken from $PROCTOR_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin
// (Debian's layout). Start() fails, naming the package to install, when there are none: tests
// that need PostgreSQL fail rather than skip.
//
// Not thread-safe: one thread starts, stops and restarts it (any thread may connect).
#ifndef PROCTOR_TESTS_SUPPORT_POSTGRES_TEST_SERVER_H_
#define PROCTOR_TESTS_SUPPORT_POSTGRES_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proctor::testing {

struct PostgresTestServerOptions {
  // fsync and full-page writes on (a durable server, for benchmarks and crash tests); off by
  // default, which makes unit tests fast and changes nothing they can observe.
  bool durable = false;
  // Extra "-c name=value" settings for the server.
  std::vector<std::string> settings;
};

class PostgresTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> Start(
      const PostgresTestServerOptions& options = {});
  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  int port() const { return port_; }
  // postgresql://proctor@127.0.0.1:PORT/DATABASE
  std::string Uri(const std::string& database) const;
  // Creates an empty UTF8 database and returns its URI.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  // Runs SQL statements (no results) on a database, as the superuser.
  absl::Status Execute(const std::string& database, const std::string& sql);

  // Fast shutdown (SIGINT), waiting for the server to exit.
  absl::Status Stop();
  // SIGKILL, as a crash.
  absl::Status Kill();
  // Starts the stopped (or killed) server again on the same port and data.
  absl::Status Restart();
  bool running() const { return pid_ > 0; }

 private:
  PostgresTestServer() = default;
  absl::Status RunServer();
  absl::Status WaitForExit(int timeout_ms);
  std::string LogTail() const;

  std::string bin_dir_;
  std::string dir_;  // temporary; holds data/ and server.log
  uid_t uid_ = 0;    // the user the binaries run as
  gid_t gid_ = 0;
  bool switch_user_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
  PostgresTestServerOptions options_;
};

// The folder holding initdb and postgres, or FAILED_PRECONDITION naming what to install.
absl::StatusOr<std::string> FindPostgresBinDir();

}  // namespace proctor::testing

#endif  // PROCTOR_TESTS_SUPPORT_POSTGRES_TEST_SERVER_H_

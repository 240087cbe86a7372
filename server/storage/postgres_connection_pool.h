// PostgresConnectionPool: a few libpqxx connections to one PostgreSQL database, handed out one
// call at a time, reconnected when the server comes back; and the conversion of libpqxx
// exceptions to absl::Status (the only place where they are caught). Used by PostgresStorage;
// nothing outside server/storage includes this header.
#ifndef PROCTOR_SERVER_STORAGE_POSTGRES_CONNECTION_POOL_H_
#define PROCTOR_SERVER_STORAGE_POSTGRES_CONNECTION_POOL_H_

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace proctor::server {

// The connection string without its password (URI user:password@ and password=... parameters),
// for messages and logs: "postgresql://proctor@db.example:5432/proctor".
std::string RedactPostgresConninfo(absl::string_view conninfo);

// What a failed attempt means: the status to return, and whether the same call may run again.
struct PostgresFailure {
  absl::Status status;
  // A transaction conflict (serialization failure, deadlock), or a pooled connection found dead
  // before anything was committed: running the call once more on a (fresh) connection is safe.
  bool retry = false;
  // The connection is open but leads nowhere useful: its server refuses writes (a primary
  // demoted to a standby after a failover). Dropped, so that the next attempt connects anew and
  // libpq's target_session_attrs finds the member that writes now.
  bool reconnect = false;
};

// Where a pool writes: the member it last connected to and how often that changed.
struct PostgresWriter {
  std::string member;      // "host:port" of the last connection made; "" before the first
  uint64_t failovers = 0;  // times a new connection reached another member than the one before
};

// With several hosts (a URI's "h1:p1,h2:p2" or host=h1,h2), a cluster's members, adds what the
// connection string does not set itself:
// - target_session_attrs=read-write: else libpq may settle on a standby, which refuses writes;
// - tcp_user_timeout=10000 (ms): a call on a member that vanished from the network (its host
//   died, or was cut off) fails after 10 s of unacknowledged data instead of TCP's ~15 minutes,
//   and the next attempt finds the new primary.
// Any other connection string is returned unchanged.
std::string WithClusterDefaults(const std::string& conninfo);

// Converts the exception in flight (libpqxx, std) to a status whose message reads
// "postgresql: <context> on <target>: <cause>". Connection loss, shutdowns, a server that
// refuses writes (read-only, disk full, too many connections) and an unknown commit outcome are
// UNAVAILABLE; unique and foreign-key violations ALREADY_EXISTS and NOT_FOUND; text the
// database cannot hold INVALID_ARGUMENT; damaged data DATA_LOSS; anything else INTERNAL. All but
// ALREADY_EXISTS, NOT_FOUND and INVALID_ARGUMENT are marked internal (common/internal_status.h),
// so callers never see the database's address; those three answer the call and name no
// database ("postgresql: <context>: <cause>").
// `stale_connection`: the connection was made by an earlier call (so a break is most likely a
// server restart since, not the server going away now).
PostgresFailure ConvertPostgresException(std::exception_ptr error, absl::string_view context,
                                         absl::string_view target, bool stale_connection,
                                         bool connection_open);

// Thread-safe. Holds `size` connection slots; a slot connects on first use and again after its
// connection broke, so while the server is down calls fail UNAVAILABLE and once it is back they
// succeed, without a restart of the process.
class PostgresConnectionPool {
 public:
  // Runs on every new connection before its first use (settings, prepared statements); throws
  // libpqxx exceptions like any call.
  using Setup = std::function<void(pqxx::connection&)>;

  // `conninfo`: a libpq URI or key=value string; `target`: its redacted form, for messages.
  PostgresConnectionPool(std::string conninfo, std::string target, int size, Setup setup);
  PostgresConnectionPool(const PostgresConnectionPool&) = delete;
  PostgresConnectionPool& operator=(const PostgresConnectionPool&) = delete;

  const std::string& target() const { return target_; }
  // Thread-safe.
  PostgresWriter writer() const;

  // Runs fn(pqxx::connection&) -> absl::Status or absl::StatusOr<T> on an idle connection
  // (waiting while all are busy), connecting first if needed, and returns its result or the
  // converted exception. fn may run more than once (see PostgresFailure::retry), so it must not
  // keep effects outside the database between attempts, and it must commit its own work in one
  // transaction (a statement outside a transaction would be in doubt when the connection breaks).
  template <typename Fn>
  auto Run(absl::string_view context, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>()));

 private:
  static constexpr int kMaxAttempts = 4;

  // An idle slot (its connection, or nullptr if it has none), waiting for one if all are busy.
  std::unique_ptr<pqxx::connection> Acquire();
  void Release(std::unique_ptr<pqxx::connection> connection);
  // A new connection with Setup applied; throws like libpqxx.
  std::unique_ptr<pqxx::connection> Connect();

  const std::string conninfo_;
  const std::string target_;
  const Setup setup_;
  mutable std::mutex mu_;
  PostgresWriter writer_;  // guarded by mu_
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mu_; nullptr: unconnected
};

template <typename Fn>
auto PostgresConnectionPool::Run(absl::string_view context, Fn&& fn)
    -> decltype(fn(std::declval<pqxx::connection&>())) {
  using Result = decltype(fn(std::declval<pqxx::connection&>()));
  absl::Status last_error;
  bool reconnect = false;  // after a break, the other pooled connections are suspect too
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::unique_ptr<pqxx::connection> connection = Acquire();
    if (reconnect) connection.reset();
    const bool stale = connection != nullptr;
    try {
      if (connection == nullptr) connection = Connect();
      Result result = fn(*connection);
      Release(std::move(connection));
      return result;
    } catch (...) {
      bool open = false;
      try {
        open = connection != nullptr && connection->is_open();
      } catch (...) {
      }
      PostgresFailure failure =
          ConvertPostgresException(std::current_exception(), context, target_, stale, open);
      if (!open || failure.reconnect) {
        connection.reset();  // the next call on this slot reconnects
        reconnect = true;
      }
      Release(std::move(connection));
      if (!failure.retry) return Result(failure.status);
      last_error = failure.status;
    }
  }
  return Result(last_error);
}

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_STORAGE_POSTGRES_CONNECTION_POOL_H_

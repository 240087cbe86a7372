#include "server/storage/postgres_connection_pool.h"

#include <cctype>
#include <new>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/internal_status.h"

namespace proctor::server {
namespace {

constexpr char kRedacted[] = "***";

// libpqxx messages are the server's ("ERROR:  ...\nDETAIL:  ...\n") or libpq's, over several
// lines; a status message is one line.
std::string OneLine(absl::string_view message) {
  for (absl::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
    if (absl::StartsWith(message, prefix)) message.remove_prefix(prefix.size());
  }
  std::string out;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out.empty() ? "no message" : out;
}

// Redacts password=VALUE in a key=value string (VALUE bare or 'quoted'), or in a URI's query
// (VALUE up to the next &).
std::string RedactPasswordParameters(absl::string_view in, bool uri) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    const size_t at = in.find("password=", i);
    const bool key_start =
        at != absl::string_view::npos &&
        (at == 0 || (uri ? (in[at - 1] == '?' || in[at - 1] == '&')
                         : std::isspace(static_cast<unsigned char>(in[at - 1])) != 0));
    if (at == absl::string_view::npos) break;
    const size_t value = at + 9;
    absl::StrAppend(&out, in.substr(i, value - i));
    if (!key_start) {
      i = value;
      continue;
    }
    size_t end = value;
    if (uri) {
      while (end < in.size() && in[end] != '&') ++end;
    } else if (end < in.size() && in[end] == '\'') {
      for (++end; end < in.size() && in[end] != '\''; ++end) {
        if (in[end] == '\\') ++end;
      }
      if (end < in.size()) ++end;
    } else {
      while (end < in.size() && std::isspace(static_cast<unsigned char>(in[end])) == 0) ++end;
    }
    out.append(kRedacted);
    i = end;
  }
  if (i < in.size()) absl::StrAppend(&out, in.substr(i));
  return out;
}

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (state == "23505") return absl::StatusCode::kAlreadyExists;  // unique_violation
  if (state == "23503") return absl::StatusCode::kNotFound;       // foreign_key_violation
  // character_not_in_repertoire, untranslatable_character, string_data_right_truncation.
  if (state == "22021" || state == "22P05" || state == "22001") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (state == "XX001" || state == "XX002") return absl::StatusCode::kDataLoss;  // corrupted
  // Connection exceptions (08), insufficient resources: disk full, out of memory, too many
  // connections (53), operator intervention: shutdown, cancel (57), system errors (58),
  // transaction rollbacks: conflicts (40), a read-only server (25006), lock not available.
  for (absl::string_view unavailable_class : {"08", "53", "57", "58", "40"}) {
    if (absl::StartsWith(state, unavailable_class)) return absl::StatusCode::kUnavailable;
  }
  if (state == "25006" || state == "55P03") return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string RedactPostgresConninfo(absl::string_view conninfo) {
  for (absl::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!absl::StartsWith(conninfo, scheme)) continue;
    absl::string_view rest = conninfo.substr(scheme.size());
    const size_t authority_end = rest.find_first_of("/?");
    absl::string_view authority = rest.substr(0, authority_end);
    const absl::string_view tail =
        authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
    std::string out(scheme);
    const size_t at = authority.rfind('@');
    if (at != absl::string_view::npos) {
      const absl::string_view userinfo = authority.substr(0, at);
      absl::StrAppend(&out, userinfo.substr(0, userinfo.find(':')), "@");
      authority.remove_prefix(at + 1);
    }
    absl::StrAppend(&out, authority, RedactPasswordParameters(tail, /*uri=*/true));
    return out;
  }
  return RedactPasswordParameters(conninfo, /*uri=*/false);
}

namespace {

// ConvertPostgresException before the mark.
PostgresFailure ClassifyPostgresException(std::exception_ptr error, absl::string_view context,
                                          absl::string_view target, bool stale_connection,
                                          bool connection_open) {
  const std::string where = absl::StrCat("postgresql: ", context, " on ", target, ": ");
  // A pooled connection that died since its last use (the server restarted, or dropped it) and
  // broke before anything was committed: the same call on a new connection is safe.
  const bool broken_before_commit = stale_connection && !connection_open;
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::in_doubt_error& e) {
    return {absl::UnavailableError(absl::StrCat(
                where, "the connection broke during COMMIT, so whether it committed is unknown (",
                OneLine(e.what()), ")")),
            false};
  } catch (const pqxx::broken_connection& e) {
    return {absl::UnavailableError(
                absl::StrCat(where, "cannot reach the database: ", OneLine(e.what()))),
            broken_before_commit};
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const absl::StatusCode code = CodeForSqlState(state);
    // An answer to the call (a duplicate, a missing row, a bad value) may reach the caller: it
    // names no database. A failure of the database names it, for the operator (marked below).
    const bool answer = code == absl::StatusCode::kAlreadyExists ||
                        code == absl::StatusCode::kNotFound ||
                        code == absl::StatusCode::kInvalidArgument;
    std::string message = absl::StrCat(answer ? absl::StrCat("postgresql: ", context, ": ") : where,
                                       OneLine(e.what()), " (SQLSTATE ", state, ")");
    if (code == absl::StatusCode::kNotFound) {
      absl::StrAppend(&message, " (a row it refers to does not exist)");
    }
    const bool conflict = state == "40001" || state == "40P01";
    // read_only_sql_transaction: the member this connection reached is a standby now (demoted
    // by a failover). Refused before anything was written, so safe to run again elsewhere.
    const bool read_only = state == "25006";
    return {absl::Status(code, message), conflict || broken_before_commit || read_only, read_only};
  } catch (const std::bad_alloc&) {
    return {absl::ResourceExhaustedError(absl::StrCat(where, "out of memory")), false};
  } catch (const std::exception& e) {
    return {absl::InternalError(absl::StrCat(where, OneLine(e.what()))), broken_before_commit};
  } catch (...) {
    return {absl::InternalError(absl::StrCat(where, "unknown exception")), false};
  }
}

}  // namespace

PostgresFailure ConvertPostgresException(std::exception_ptr error, absl::string_view context,
                                         absl::string_view target, bool stale_connection,
                                         bool connection_open) {
  PostgresFailure failure = ClassifyPostgresException(std::move(error), context, target,
                                                      stale_connection, connection_open);
  // ALREADY_EXISTS, NOT_FOUND and INVALID_ARGUMENT answer the call; every other code is a failure
  // of the database, whose message names it (host, port, user, database) for the operator only.
  const absl::StatusCode code = failure.status.code();
  if (code != absl::StatusCode::kAlreadyExists && code != absl::StatusCode::kNotFound &&
      code != absl::StatusCode::kInvalidArgument) {
    failure.status = MarkInternal(std::move(failure.status));
  }
  return failure;
}

PostgresConnectionPool::PostgresConnectionPool(std::string conninfo, std::string target, int size,
                                               Setup setup)
    : conninfo_(std::move(conninfo)), target_(std::move(target)), setup_(std::move(setup)) {
  idle_.resize(static_cast<size_t>(size));
}

std::unique_ptr<pqxx::connection> PostgresConnectionPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return !idle_.empty(); });
  // Prefer a connected slot: connecting costs a round trip or three.
  for (size_t i = idle_.size(); i-- > 0;) {
    if (idle_[i] != nullptr) {
      std::swap(idle_[i], idle_.back());
      break;
    }
  }
  std::unique_ptr<pqxx::connection> connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void PostgresConnectionPool::Release(std::unique_ptr<pqxx::connection> connection) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(connection));
  }
  idle_cv_.notify_one();
}

std::unique_ptr<pqxx::connection> PostgresConnectionPool::Connect() {
  auto connection = std::make_unique<pqxx::connection>(conninfo_);
  setup_(*connection);
  const char* host = connection->hostname();
  const char* port = connection->port();
  std::string member = absl::StrCat(host != nullptr ? host : "local", ":",
                                    port != nullptr ? port : "");
  std::lock_guard<std::mutex> lock(mu_);
  if (!writer_.member.empty() && writer_.member != member) ++writer_.failovers;
  writer_.member = std::move(member);
  return connection;
}

PostgresWriter PostgresConnectionPool::writer() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writer_;
}

namespace {

// Whether the connection string lists several hosts (a URI's h1:p1,h2:p2, or host=a,b /
// hostaddr=a,b); *uri tells the form.
bool NamesSeveralHosts(const std::string& conninfo, bool* uri) {
  *uri = false;
  for (absl::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!absl::StartsWith(conninfo, scheme)) continue;
    *uri = true;
    absl::string_view rest = absl::string_view(conninfo).substr(scheme.size());
    absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const size_t at = authority.rfind('@');
    if (at != absl::string_view::npos) authority.remove_prefix(at + 1);
    return absl::StrContains(authority, ',');
  }
  for (const std::string key : {"host=", "hostaddr="}) {
    size_t at = conninfo.find(key);
    while (at != std::string::npos && at > 0 &&
           std::isspace(static_cast<unsigned char>(conninfo[at - 1])) == 0) {
      at = conninfo.find(key, at + 1);
    }
    if (at == std::string::npos) continue;
    const size_t value = at + key.size();
    const size_t end = conninfo.find_first_of(" \t", value);
    if (absl::string_view(conninfo).substr(value, end - value).find(',') !=
        absl::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string WithClusterDefaults(const std::string& conninfo) {
  bool uri = false;
  if (!NamesSeveralHosts(conninfo, &uri)) return conninfo;
  std::string out = conninfo;
  const auto add = [&](absl::string_view key, absl::string_view value) {
    if (absl::StrContains(conninfo, key)) return;  // the administrator's choice stands
    if (uri) {
      absl::StrAppend(&out, absl::StrContains(out, "?") ? "&" : "?", key, "=", value);
    } else {
      absl::StrAppend(&out, " ", key, "=", value);
    }
  };
  add("target_session_attrs", "read-write");
  add("tcp_user_timeout", "10000");
  return out;
}

}  // namespace proctor::server

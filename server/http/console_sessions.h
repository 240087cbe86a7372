// Signed-in examiners of the web console: an opaque random cookie value maps to the principal
// who signed in with their token, a per-session CSRF token for state-changing forms, an expiry,
// and the proctoring sessions whose evidence view this sign-in has already put in the audit log.
// The bearer token itself is never kept. In memory only: a restart signs everyone out.
// Thread-safe.
#ifndef PROCTOR_SERVER_HTTP_CONSOLE_SESSIONS_H_
#define PROCTOR_SERVER_HTTP_CONSOLE_SESSIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "server/core/proctor_core.h"

namespace proctor::server::http {

struct ConsoleSession {
  Principal who;
  std::string csrf_token;
  int64_t expires_at_unix_ms = 0;
  std::string token_hash;  // SecretHash of the token signed in with: re-checked on each use
};

struct ConsoleSessionOptions {
  // A session ends this long after its last use, milliseconds; default 30 minutes.
  int64_t idle_timeout_ms = 30 * 60 * 1000;
  // ... and at the latest this long after sign-in, milliseconds; default 12 hours.
  int64_t max_lifetime_ms = 12 * 3600 * 1000;
  // Most concurrent sessions; the oldest is dropped beyond it. Default 1000.
  size_t max_sessions = 1000;
};

class ConsoleSessions {
 public:
  // `clock` (Unix time of sign-ins and expiry) must outlive the sessions.
  ConsoleSessions(ConsoleSessionOptions options, const Clock* clock);

  // Returns the new cookie value (32 random bytes, base32).
  // `token_hash`: the credential behind the sign-in, for the console to see it revoked.
  std::string Create(const Principal& who, const std::string& token_hash = "");
  // The session behind a cookie value, refreshing its idle timer; nullopt when unknown or expired.
  std::optional<ConsoleSession> Find(const std::string& cookie);
  void Remove(const std::string& cookie);

  // Whether this sign-in already recorded an evidence view of proctoring session `session_id`
  // (false for an unknown cookie). Neither refreshes nor expires anything.
  bool EvidenceViewRecorded(const std::string& cookie, const std::string& session_id);
  // Notes that it has, for as long as the sign-in lasts; nothing for an unknown cookie.
  void MarkEvidenceViewRecorded(const std::string& cookie, const std::string& session_id);

 private:
  struct Entry {
    ConsoleSession session;
    int64_t created_at_unix_ms = 0;
    std::set<std::string> evidence_viewed;  // proctoring session ids
  };
  const ConsoleSessionOptions options_;
  const Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, Entry> sessions_;  // keyed by SecretHash(cookie), guarded by mu_
};

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_CONSOLE_SESSIONS_H_

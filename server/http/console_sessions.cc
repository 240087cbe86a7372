#include "server/http/console_sessions.h"

#include <algorithm>

#include "common/crypto.h"

namespace proctor::server::http {

ConsoleSessions::ConsoleSessions(ConsoleSessionOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

std::string ConsoleSessions::Create(const Principal& who, const std::string& token_hash) {
  const std::string cookie = RandomToken(32);
  const int64_t now = clock_->NowUnixMs();
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= options_.max_sessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.created_at_unix_ms < b.second.created_at_unix_ms;
    });
    sessions_.erase(oldest);
  }
  Entry entry{{who, RandomToken(32), now + options_.idle_timeout_ms, token_hash}, now, {}};
  // Keyed by the hash, as tokens are in the database: a memory dump does not hand out cookies.
  sessions_[SecretHash(cookie)] = std::move(entry);
  return cookie;
}

std::optional<ConsoleSession> ConsoleSessions::Find(const std::string& cookie) {
  if (cookie.empty()) return std::nullopt;
  const int64_t now = clock_->NowUnixMs();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(SecretHash(cookie));
  if (it == sessions_.end()) return std::nullopt;
  Entry& entry = it->second;
  if (now >= entry.session.expires_at_unix_ms ||
      now >= entry.created_at_unix_ms + options_.max_lifetime_ms) {
    sessions_.erase(it);
    return std::nullopt;
  }
  entry.session.expires_at_unix_ms = now + options_.idle_timeout_ms;
  return entry.session;
}

void ConsoleSessions::Remove(const std::string& cookie) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(SecretHash(cookie));
}

bool ConsoleSessions::EvidenceViewRecorded(const std::string& cookie,
                                           const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(SecretHash(cookie));
  return it != sessions_.end() && it->second.evidence_viewed.count(session_id) != 0;
}

void ConsoleSessions::MarkEvidenceViewRecorded(const std::string& cookie,
                                               const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(SecretHash(cookie));
  if (it != sessions_.end()) it->second.evidence_viewed.insert(session_id);
}

}  // namespace proctor::server::http

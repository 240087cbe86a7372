// The journal's two small files, apart from what the journal does with them:
//   session.json  JournalMeta — what is needed to continue the session after a restart (written
//                 once, atomically and synced; holds secrets and the enrolled templates);
//   state.json    JournalState — the acknowledged seq and, once closed, the verdict (rewritten
//                 by rename, not synced: if it is lost, events are resent and the server
//                 acknowledges them as duplicates).
// Pure functions; thread-safe.
#ifndef PROCTOR_CLIENT_JOURNAL_JOURNAL_FILES_H_
#define PROCTOR_CLIENT_JOURNAL_JOURNAL_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol/identity_rule.h"

namespace proctor::client {

struct JournalMeta {
  std::string server;  // the --server value the session was opened with
  std::string session_id;
  std::string session_token;         // secret
  std::vector<uint8_t> signing_key;  // 64-byte libsodium Ed25519 secret key; secret
  std::string pass_hash;             // SecretHash(pass): a rerun must present the same pass
  // Every enrolled template from OpenSession, in the server's order (biometric).
  std::vector<protocol::Template> templates;
  protocol::MatchThreshold match_threshold = protocol::kDefaultMatchThreshold;
  int64_t identity_interval_ms = 0;
  int64_t opened_at_unix_ms = 0;
  // The learner's CONSENT_GIVEN detail (protocol/consent.h), the session's first event; empty in
  // journals written before consent existed.
  std::string consent_detail;
  // The server's liveness challenge nonce (protocol/liveness.h); empty when it issued none.
  std::string liveness_nonce;
};

struct JournalState {
  uint64_t acked_seq = 0;
  bool closed = false;
  std::string verdict;
  double risk_score = 0;
};

std::string EncodeMeta(const JournalMeta& meta);
// DATA_LOSS naming `path` when the text is damaged; FAILED_PRECONDITION for a newer version.
absl::StatusOr<JournalMeta> DecodeMeta(const std::string& path, const std::string& text);

std::string EncodeState(const JournalState& state);
// An unreadable state is no state (everything counts as unacknowledged: a resend, not a loss).
JournalState DecodeState(const std::string& text);

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_JOURNAL_JOURNAL_FILES_H_

// The event stream of one synthetic learner session: mostly heartbeats every 200 ms of media
// time, a 1 s FACE_ABSENT BEGIN/END pair every 50 events, optional JPEG evidence — chained by the
// protocol's ChainLinker, each batch signed by its head as the wire requires.
#ifndef PROCTOR_SERVER_LOADGEN_SYNTHETIC_SESSION_H_
#define PROCTOR_SERVER_LOADGEN_SYNTHETIC_SESSION_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "common/crypto.h"
#include "common/event.h"
#include "proctor/v1/session.pb.h"
#include "protocol/chain.h"

namespace proctor::loadgen {

// Not thread-safe: one owner at a time (the setup, then the session's stream).
class SyntheticSession {
 public:
  // `total_events` >= 1; `evidence_every` 0 means never. Generates a fresh Ed25519 key.
  SyntheticSession(int64_t total_events, int evidence_every);

  const PublicKey& public_key() const { return key_.public_key(); }
  // Set once OpenSession has answered; `consent_detail` is the CONSENT_GIVEN detail naming the
  // notice it returned (the session's first event, as the real client's).
  void Bind(std::string session_id, std::string session_token, std::string consent_detail);
  const std::string& session_id() const { return session_id_; }
  const std::string& session_token() const { return session_token_; }

  // Replaces *batch with the next min(max_events, remaining) events, signed. Requires !done().
  void NextBatch(int max_events, v1::EventBatch* batch);
  bool done() const { return next_seq_ > static_cast<uint64_t>(total_events_); }
  // Media time of the last event made so far (what CloseSession reports as the end).
  int64_t last_at_ms() const {
    return AtMs(std::max<int64_t>(1, static_cast<int64_t>(next_seq_) - 1));
  }

  static constexpr int64_t kEventIntervalMs = 200;

 private:
  static int64_t AtMs(int64_t seq) { return (seq - 1) * kEventIntervalMs; }
  Event MakeEvent(uint64_t seq) const;

  const int64_t total_events_;
  const int evidence_every_;
  SigningKey key_;
  std::string session_id_;
  std::string session_token_;
  std::string consent_detail_;
  uint64_t next_seq_ = 1;
  protocol::ChainLinker linker_{""};  // the chain up to event next_seq_ - 1
};

}  // namespace proctor::loadgen

#endif  // PROCTOR_SERVER_LOADGEN_SYNTHETIC_SESSION_H_

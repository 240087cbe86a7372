// EventSealer: gives each new event its place in the session's hash chain and signs it.
// seq = previous + 1, prev_hash = hash of the previous event, hash = EventDigest, signature =
// Ed25519 over the hash with the session's key. Not thread-safe (one producer per session).
#ifndef PROCTOR_CLIENT_JOURNAL_EVENT_SEALER_H_
#define PROCTOR_CLIENT_JOURNAL_EVENT_SEALER_H_

#include <string>
#include <vector>

#include "client/journal/journal.h"
#include "common/crypto.h"

namespace proctor::client {

class EventSealer {
 public:
  // Continues the chain after (last_seq, head) — (0, zeros) for a new session.
  EventSealer(std::string session_id, SigningKey key, uint64_t last_seq, const Hash32& head)
      : session_id_(std::move(session_id)), key_(std::move(key)), seq_(last_seq), head_(head) {}

  SignedEvent Seal(Event event);
  std::vector<SignedEvent> SealAll(std::vector<Event> events);

  uint64_t last_seq() const { return seq_; }

 private:
  std::string session_id_;
  SigningKey key_;
  uint64_t seq_;
  Hash32 head_;
};

}  // namespace proctor::client

#endif  // PROCTOR_CLIENT_JOURNAL_EVENT_SEALER_H_

// The attestation chain, sealed and verified in one place for every producer (the learner
// client, `proctorctl session replay`, `proctor-loadgen`, the test harness) and every verifier
// (the client journal, the server's ledger, the review console's report).
//
// A session's events form a hash chain: event n has seq n (1-based, contiguous), prev_hash =
// EventDigest of event n-1 (zeros for seq 1), and its own hash EventDigest(event), which covers
// prev_hash — so the hash of the last event commits to the whole session so far. Every event is
// signed (Ed25519 over its hash) with the session's key; a batch on the wire carries the
// signature of its last event, and one verification covers the batch.
#ifndef PROCTOR_PROTOCOL_CHAIN_H_
#define PROCTOR_PROTOCOL_CHAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/crypto.h"
#include "common/event.h"

namespace proctor::protocol {

// Where a chain stands: the last seq and its hash — (0, zeros) before the first event.
struct ChainHead {
  uint64_t seq = 0;
  Hash32 hash{};
};

// An event with its hash (EventDigest) and the session key's signature over that hash. Any
// event's signature can sign a batch that ends with it.
struct SignedEvent {
  Event event;
  Hash32 hash{};
  Signature signature{};
};

// Why an event does not continue a chain.
enum class LinkFault {
  kNone,
  kGap,       // seq is not head.seq + 1
  kPrevHash,  // prev_hash is not head.hash
};

// Whether `next` continues the chain at `head`.
LinkFault CheckLink(const ChainHead& head, const Event& next);

// The message every verifier gives for a link fault (FAILED_PRECONDITION): "gap in the session:
// expected seq 8, got seq 9; resend from seq 8" or "broken hash chain at seq 9: ...". OK for kNone.
absl::Status LinkError(LinkFault fault, const ChainHead& head, const Event& next);

// Gives each new event its place in the chain: session_id, seq = head.seq + 1, prev_hash =
// head.hash; returns its hash. For a producer that signs only each batch's last event, as the
// wire allows (proctor-loadgen); the client signs every event (ChainSealer). Not thread-safe.
class ChainLinker {
 public:
  // Continues the chain after `head` — ChainHead{} for a new session.
  explicit ChainLinker(std::string session_id, ChainHead head = {})
      : session_id_(std::move(session_id)), head_(head) {}

  Hash32 Link(Event& event);
  const ChainHead& head() const { return head_; }

 private:
  std::string session_id_;
  ChainHead head_;
};

// Links each new event (ChainLinker) and signs it with the session's key. Not thread-safe (one
// producer per session).
class ChainSealer {
 public:
  // Continues the chain after `head` — ChainHead{} for a new session.
  ChainSealer(std::string session_id, SigningKey key, ChainHead head = {})
      : linker_(std::move(session_id), head), key_(std::move(key)) {}

  SignedEvent Seal(Event event);
  std::vector<SignedEvent> SealAll(std::vector<Event> events);

  const ChainHead& head() const { return linker_.head(); }
  const SigningKey& key() const { return key_; }

 private:
  ChainLinker linker_;
  SigningKey key_;
};

// Follows a chain event by event. Append checks the link (LinkError on a fault, the head does
// not move) and advances. Not thread-safe.
class ChainVerifier {
 public:
  explicit ChainVerifier(ChainHead start = {}) : head_(start) {}

  // `hash` must be EventDigest(event) (callers usually have it already).
  absl::Status Append(const Event& event, const Hash32& hash);
  // Computes the hash itself; returns it through `hash` when not null.
  absl::Status Append(const Event& event, Hash32* hash = nullptr);
  // Moves the head forward to `head` without events (a journal's rebase, a server's stored
  // head); INVALID_ARGUMENT if it would go backwards.
  absl::Status Rebase(const ChainHead& head);

  const ChainHead& head() const { return head_; }

 private:
  ChainHead head_;
};

// The batch signature rule: `signature` is the session key's Ed25519 signature of the hash of
// the batch's last event.
bool VerifyBatchHead(const PublicKey& session_key, const Hash32& head_hash,
                     const Signature& signature);

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_CHAIN_H_

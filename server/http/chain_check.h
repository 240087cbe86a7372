// Re-verification of a stored session for its report: every event's hash is recomputed from
// the stored fields (with the decrypted evidence, which the hash covers), each prev_hash must
// be the hash of the event before it, seqs must run 1..n, and the last hash must equal the
// session's head. What cannot be checked (evidence purged) is counted, not assumed. Then every
// stored batch signature is verified again with the session's key over the stored hash of its
// head event, and events after the last signed head are counted as unsigned.
#ifndef PROCTOR_SERVER_HTTP_CHAIN_CHECK_H_
#define PROCTOR_SERVER_HTTP_CHAIN_CHECK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/core/domain.h"

namespace proctor::server::http {

struct ChainCheck {
  size_t events = 0;
  size_t recomputed = 0;    // hash recomputed from the stored fields and equal to the stored one
  size_t linked = 0;        // prev_hash equal to the stored hash of the event before
  size_t unverifiable = 0;  // evidence purged: the hash cannot be recomputed (the link still is)
  bool head_matches = false;
  std::vector<std::string> problems;  // every failure, in words; empty when all checks pass
  bool ok() const { return problems.empty(); }
};

// Plain evidence bytes of event `seq`; NOT_FOUND when purged.
using EvidenceOpener = std::function<absl::StatusOr<std::vector<uint8_t>>(uint64_t seq)>;

// `events` in seq order as Storage::ListEvents returns them.
ChainCheck VerifyChain(const SessionRecord& session, const std::vector<StoredEvent>& events,
                       const EvidenceOpener& open_evidence);

struct SignatureCheck {
  size_t signatures = 0;  // stored batch signatures
  size_t verified = 0;    // Ed25519-valid with the session key over the stored hash of head_seq
  std::vector<uint64_t> failed;       // head seqs of the others, ascending
  std::vector<std::string> problems;  // why each failed, in words, same order
  uint64_t last_signed_seq = 0;       // highest head_seq with a stored signature; 0 when none
  size_t unsigned_events = 0;         // stored events after last_signed_seq (should be none)
  bool ok() const { return failed.empty() && unsigned_events == 0; }
};

// `events` in seq order as Storage::ListEvents returns them, `signatures` as
// Storage::ListBatchSignatures does. A signature whose head names no stored event, or a session
// key that is not 32 bytes, fails it. A signed head vouches for every event up to it only with
// an intact chain: read it together with VerifyChain.
SignatureCheck VerifyBatchSignatures(const SessionRecord& session,
                                     const std::vector<StoredEvent>& events,
                                     const std::vector<BatchSignature>& signatures);

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_CHAIN_CHECK_H_

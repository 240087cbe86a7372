// Re-verification of a stored session for its report: every event's hash is recomputed from
// the stored fields (with the decrypted evidence, which the hash covers), each prev_hash must
// be the hash of the event before it, seqs must run 1..n, and the last hash must equal the
// session's head. What cannot be checked (evidence purged) is counted, not assumed.
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

}  // namespace proctor::server::http

#endif  // PROCTOR_SERVER_HTTP_CHAIN_CHECK_H_

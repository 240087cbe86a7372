#include "server/http/chain_check.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace proctor::server::http {

ChainCheck VerifyChain(const SessionRecord& session, const std::vector<StoredEvent>& events,
                       const EvidenceOpener& open_evidence) {
  ChainCheck check;
  check.events = events.size();
  Hash32 previous{};
  for (size_t i = 0; i < events.size(); ++i) {
    const StoredEvent& stored = events[i];
    const uint64_t seq = stored.event.seq;
    if (seq != i + 1) {
      check.problems.push_back(absl::StrCat("event ", i + 1, " carries seq ", seq));
    }
    if (stored.event.prev_hash == previous) {
      ++check.linked;
    } else {
      check.problems.push_back(
          absl::StrCat("seq ", seq, ": prev_hash is not the hash of the event before it"));
    }
    Event event = stored.event;
    bool recomputable = true;
    if (stored.has_evidence) {
      auto jpeg = open_evidence(seq);
      if (jpeg.ok()) {
        event.evidence_jpeg = std::move(*jpeg);
      } else if (absl::IsNotFound(jpeg.status())) {
        recomputable = false;
        ++check.unverifiable;
      } else {
        recomputable = false;
        check.problems.push_back(absl::StrCat("seq ", seq, ": evidence cannot be opened (",
                                              jpeg.status().message(), ")"));
      }
    }
    if (recomputable) {
      if (EventDigest(event) == stored.hash) {
        ++check.recomputed;
      } else {
        check.problems.push_back(
            absl::StrCat("seq ", seq, ": stored fields do not hash to the stored hash"));
      }
    }
    previous = stored.hash;
  }
  check.head_matches = previous == session.head_hash && events.size() == session.last_seq;
  if (!check.head_matches) {
    check.problems.push_back(absl::StrCat("the session head (seq ", session.last_seq,
                                          ") is not the hash of the last stored event"));
  }
  return check;
}

}  // namespace proctor::server::http

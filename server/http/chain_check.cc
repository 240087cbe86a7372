#include "server/http/chain_check.h"

#include <algorithm>

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

namespace {

// The stored hash of event `seq`, or nullptr when no stored event has that seq.
const Hash32* StoredHash(const std::vector<StoredEvent>& events, uint64_t seq) {
  auto it = std::lower_bound(events.begin(), events.end(), seq,
                             [](const StoredEvent& e, uint64_t s) { return e.event.seq < s; });
  if (it == events.end() || it->event.seq != seq) return nullptr;
  return &it->hash;
}

// Empty when `signature` verifies; otherwise why not.
std::string SignatureProblem(const SessionRecord& session, const std::vector<StoredEvent>& events,
                             const BatchSignature& signature) {
  PublicKey key{};
  if (session.client_public_key.size() != key.size()) {
    return absl::StrCat("seq ", signature.head_seq, ": the session key is ",
                        session.client_public_key.size(), " bytes, not 32; nothing can verify");
  }
  std::copy(session.client_public_key.begin(), session.client_public_key.end(), key.begin());
  const Hash32* hash = StoredHash(events, signature.head_seq);
  if (hash == nullptr) {
    return absl::StrCat("seq ", signature.head_seq, ": signed, but no such event is stored");
  }
  if (!VerifySignature(key, hash->data(), hash->size(), signature.signature)) {
    return absl::StrCat("seq ", signature.head_seq,
                        ": the batch signature does not verify with the session key over the "
                        "stored hash of this event");
  }
  return "";
}

}  // namespace

SignatureCheck VerifyBatchSignatures(const SessionRecord& session,
                                     const std::vector<StoredEvent>& events,
                                     const std::vector<BatchSignature>& signatures) {
  SignatureCheck check;
  check.signatures = signatures.size();
  for (const BatchSignature& signature : signatures) {
    check.last_signed_seq = std::max(check.last_signed_seq, signature.head_seq);
    std::string problem = SignatureProblem(session, events, signature);
    if (problem.empty()) {
      ++check.verified;
    } else {
      check.failed.push_back(signature.head_seq);
      check.problems.push_back(std::move(problem));
    }
  }
  check.unsigned_events =
      static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](const StoredEvent& e) {
        return e.event.seq > check.last_signed_seq;
      }));
  return check;
}

}  // namespace proctor::server::http

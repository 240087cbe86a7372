#include "protocol/chain.h"

#include "absl/strings/str_cat.h"

namespace proctor::protocol {

LinkFault CheckLink(const ChainHead& head, const Event& next) {
  if (next.seq != head.seq + 1) return LinkFault::kGap;
  if (next.prev_hash != head.hash) return LinkFault::kPrevHash;
  return LinkFault::kNone;
}

absl::Status LinkError(LinkFault fault, const ChainHead& head, const Event& next) {
  switch (fault) {
    case LinkFault::kNone:
      return absl::OkStatus();
    case LinkFault::kGap:
      return absl::FailedPreconditionError(absl::StrCat("gap in the session: expected seq ",
                                                        head.seq + 1, ", got seq ", next.seq,
                                                        "; resend from seq ", head.seq + 1));
    case LinkFault::kPrevHash:
      return absl::FailedPreconditionError(
          absl::StrCat("broken hash chain at seq ", next.seq,
                       ": prev_hash is not the hash of the event before it"));
  }
  return absl::InternalError("unknown link fault");
}

Hash32 ChainLinker::Link(Event& event) {
  event.session_id = session_id_;
  event.seq = head_.seq + 1;
  event.prev_hash = head_.hash;
  head_ = {event.seq, EventDigest(event)};
  return head_.hash;
}

SignedEvent ChainSealer::Seal(Event event) {
  SignedEvent out;
  out.hash = linker_.Link(event);
  out.signature = key_.Sign(out.hash.data(), out.hash.size());
  out.event = std::move(event);
  return out;
}

std::vector<SignedEvent> ChainSealer::SealAll(std::vector<Event> events) {
  std::vector<SignedEvent> out;
  out.reserve(events.size());
  for (auto& e : events) out.push_back(Seal(std::move(e)));
  return out;
}

absl::Status ChainVerifier::Append(const Event& event, const Hash32& hash) {
  const LinkFault fault = CheckLink(head_, event);
  if (fault != LinkFault::kNone) return LinkError(fault, head_, event);
  head_ = {event.seq, hash};
  return absl::OkStatus();
}

absl::Status ChainVerifier::Append(const Event& event, Hash32* hash) {
  const Hash32 h = EventDigest(event);
  if (hash != nullptr) *hash = h;
  return Append(event, h);
}

absl::Status ChainVerifier::Rebase(const ChainHead& head) {
  if (head.seq < head_.seq) {
    return absl::InvalidArgumentError(
        absl::StrCat("the chain cannot move back from seq ", head_.seq, " to ", head.seq));
  }
  head_ = head;
  return absl::OkStatus();
}

bool VerifyBatchHead(const PublicKey& session_key, const Hash32& head_hash,
                     const Signature& signature) {
  return VerifySignature(session_key, head_hash.data(), head_hash.size(), signature);
}

}  // namespace proctor::protocol

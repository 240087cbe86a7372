#include "client/journal/event_sealer.h"

namespace proctor::client {

SignedEvent EventSealer::Seal(Event event) {
  event.session_id = session_id_;
  event.seq = ++seq_;
  event.prev_hash = head_;
  SignedEvent out;
  out.hash = EventDigest(event);
  out.signature = key_.Sign(out.hash.data(), out.hash.size());
  out.event = std::move(event);
  head_ = out.hash;
  return out;
}

std::vector<SignedEvent> EventSealer::SealAll(std::vector<Event> events) {
  std::vector<SignedEvent> out;
  out.reserve(events.size());
  for (auto& e : events) out.push_back(Seal(std::move(e)));
  return out;
}

}  // namespace proctor::client

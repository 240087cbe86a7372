#include "server/loadgen/synthetic_session.h"

#include <algorithm>

#include "protocol/event_codec.h"
#include "server/loadgen/evidence_jpeg.h"

namespace proctor::loadgen {
namespace {

// Within every 50 events the face is absent from the 20th to the 25th (1 s of media time).
constexpr uint64_t kAbsencePeriod = 50;
constexpr uint64_t kAbsenceBegins = 20;
constexpr uint64_t kAbsenceEnds = 25;

}  // namespace

SyntheticSession::SyntheticSession(int64_t total_events, int evidence_every)
    : total_events_(total_events), evidence_every_(evidence_every), key_(SigningKey::Generate()) {}

void SyntheticSession::Bind(std::string session_id, std::string session_token,
                            std::string consent_detail) {
  session_id_ = std::move(session_id);
  consent_detail_ = std::move(consent_detail);
  linker_ = protocol::ChainLinker(session_id_);
  session_token_ = std::move(session_token);
}

Event SyntheticSession::MakeEvent(uint64_t seq) const {
  Event e;
  e.at_ms = AtMs(static_cast<int64_t>(seq));
  const uint64_t position = (seq - 1) % kAbsencePeriod;
  if (seq == 1) {
    e.kind = EventKind::kConsentGiven;
    e.detail = consent_detail_;
    return e;  // no evidence: consent comes before the camera
  } else if (seq == 2) {
    e.kind = EventKind::kSessionStarted;
  } else if (position == kAbsenceBegins || position == kAbsenceEnds) {
    e.kind = EventKind::kFaceAbsent;
    e.face_count = 0;
    e.phase = position == kAbsenceBegins ? EventPhase::kBegin : EventPhase::kEnd;
    if (e.phase == EventPhase::kEnd) {
      e.duration_ms = (kAbsenceEnds - kAbsenceBegins) * kEventIntervalMs;
    }
  } else {
    e.kind = EventKind::kHeartbeat;
    e.face_count = position > kAbsenceBegins && position < kAbsenceEnds ? 0 : 1;
  }
  if (evidence_every_ > 0 && seq % static_cast<uint64_t>(evidence_every_) == 0) {
    e.evidence_jpeg = EvidenceJpeg();
  }
  return e;
}

void SyntheticSession::NextBatch(int max_events, v1::EventBatch* batch) {
  batch->Clear();
  const uint64_t last =
      std::min<uint64_t>(next_seq_ + max_events - 1, static_cast<uint64_t>(total_events_));
  for (; next_seq_ <= last; ++next_seq_) {
    Event event = MakeEvent(next_seq_);
    linker_.Link(event);  // seq next_seq_, chained after the last
    protocol::EventToProto(event, batch->add_events());
  }
  // The wire needs only the batch head signed (the client signs every event; a load test that
  // did would measure its own Ed25519 rate, not the server).
  const Signature signature = key_.Sign(linker_.head().hash.data(), linker_.head().hash.size());
  batch->set_head_signature(signature.data(), signature.size());
}

}  // namespace proctor::loadgen

#include "server/service/proto_convert.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace proctor::server {

absl::StatusOr<Event> EventFromProto(const v1::Event& p) {
  if (p.prev_hash().size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event seq ", p.seq(), ": prev_hash must be 32 bytes, got ", p.prev_hash().size()));
  }
  if (!v1::EventKind_IsValid(p.kind()) || p.kind() == v1::EVENT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("event seq ", p.seq(), ": unknown event kind ", p.kind()));
  }
  if (!v1::EventPhase_IsValid(p.phase())) {
    return absl::InvalidArgumentError(
        absl::StrCat("event seq ", p.seq(), ": unknown phase ", p.phase()));
  }
  Event e;
  e.session_id = p.session_id();
  e.seq = p.seq();
  e.kind = static_cast<EventKind>(p.kind());
  e.phase = static_cast<EventPhase>(p.phase());
  e.at_ms = p.at_ms();
  e.duration_ms = p.duration_ms();
  e.descriptor.assign(p.face_descriptor().begin(), p.face_descriptor().end());
  e.client_distance = p.client_distance();
  e.face_count = p.face_count();
  e.evidence_jpeg.assign(p.evidence_jpeg().begin(), p.evidence_jpeg().end());
  e.detail = p.detail();
  std::copy(p.prev_hash().begin(), p.prev_hash().end(), e.prev_hash.begin());
  return e;
}

void EventToProto(const Event& e, v1::Event* p) {
  p->set_session_id(e.session_id);
  p->set_seq(e.seq);
  p->set_kind(static_cast<v1::EventKind>(e.kind));
  p->set_phase(static_cast<v1::EventPhase>(e.phase));
  p->set_at_ms(e.at_ms);
  p->set_duration_ms(e.duration_ms);
  p->mutable_face_descriptor()->Assign(e.descriptor.begin(), e.descriptor.end());
  p->set_client_distance(e.client_distance);
  p->set_face_count(e.face_count);
  p->set_evidence_jpeg(std::string(e.evidence_jpeg.begin(), e.evidence_jpeg.end()));
  p->set_detail(e.detail);
  p->set_prev_hash(std::string(e.prev_hash.begin(), e.prev_hash.end()));
}

v1::Verdict VerdictToProto(Verdict verdict) { return static_cast<v1::Verdict>(verdict); }
v1::ResultStatus ResultStatusToProto(ResultStatus status) {
  return static_cast<v1::ResultStatus>(status);
}
v1::AssessmentKind AssessmentKindToProto(AssessmentKind kind) {
  return static_cast<v1::AssessmentKind>(kind);
}
v1::SessionState SessionStateToProto(SessionState state) {
  return static_cast<v1::SessionState>(state);
}

}  // namespace proctor::server

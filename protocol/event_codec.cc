#include "protocol/event_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace proctor::protocol {

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

absl::StatusOr<std::vector<Template>> TemplatesFromProto(const v1::OpenSessionResponse& r) {
  std::vector<Template> out;
  for (const v1::FaceTemplate& t : r.enrolled_templates()) {
    out.emplace_back(t.values().begin(), t.values().end());
  }
  if (out.empty() && !r.reference_descriptor().empty()) {
    out.emplace_back(r.reference_descriptor().begin(), r.reference_descriptor().end());
  }
  if (auto s = ValidateTemplates(out, "the server's enrolled templates"); !s.ok()) return s;
  return out;
}

void TemplatesToProto(const std::vector<Template>& templates, v1::OpenSessionResponse* r) {
  r->clear_enrolled_templates();
  for (const Template& t : templates) {
    r->add_enrolled_templates()->mutable_values()->Assign(t.begin(), t.end());
  }
  if (templates.empty()) {
    r->clear_reference_descriptor();
  } else {
    r->mutable_reference_descriptor()->Assign(templates.front().begin(), templates.front().end());
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

grpc::StatusCode ToGrpcCode(absl::StatusCode code) { return static_cast<grpc::StatusCode>(code); }

bool IsRetryable(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace proctor::protocol

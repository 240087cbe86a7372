#include "server/service/review_service.h"

#include "server/service/call_principal.h"
#include "server/service/proto_convert.h"

namespace proctor::server {
namespace {

void SummaryToProto(const SessionRecord& s, int64_t events, v1::SessionSummary* p) {
  p->set_session_id(s.id);
  p->set_learner_id(s.learner_id);
  p->set_assessment_id(s.assessment_id);
  p->set_state(SessionStateToProto(s.state));
  p->set_risk_score(s.risk_score);
  p->set_verdict(VerdictToProto(s.verdict));
  p->set_opened_at_unix_ms(s.opened_at_unix_ms);
  p->set_event_count(events);
}

void EventToRecorded(const StoredEvent& s, v1::RecordedEvent* p) {
  p->set_seq(s.event.seq);
  p->set_kind(static_cast<v1::EventKind>(s.event.kind));
  p->set_phase(static_cast<v1::EventPhase>(s.event.phase));
  p->set_at_ms(s.event.at_ms);
  p->set_duration_ms(s.event.duration_ms);
  p->set_distance(s.server_distance);
  p->set_face_count(s.event.face_count);
  p->set_has_evidence(s.has_evidence);
  p->set_detail(s.event.detail);
}

void FindingToRecorded(const Finding& f, v1::RecordedEvent* p) {
  p->set_seq(0);
  p->set_kind(static_cast<v1::EventKind>(f.kind));
  p->set_at_ms(f.at_ms);
  p->set_distance(f.distance);
  p->set_face_count(-1);
  p->set_detail(f.detail);
  p->set_from_server(true);
}

void ViewToProto(const SessionView& view, v1::SessionDetail* p) {
  SummaryToProto(view.session, static_cast<int64_t>(view.session.last_seq), p->mutable_summary());
  p->mutable_summary()->set_risk_score(view.scorecard.risk_score);
  p->mutable_summary()->set_verdict(VerdictToProto(view.scorecard.verdict));
  for (const StoredEvent& e : view.events) EventToRecorded(e, p->add_events());
  for (const Finding& f : view.findings) FindingToRecorded(f, p->add_events());
  for (const FlagSpan& f : view.scorecard.flags) {
    v1::Flag* flag = p->add_flags();
    flag->set_kind(static_cast<v1::EventKind>(f.kind));
    flag->set_from_ms(f.from_ms);
    flag->set_to_ms(f.to_ms);
    flag->set_detail(f.detail);
  }
  for (const std::string& r : view.scorecard.reasons) p->add_risk_reasons(r);
  p->set_match_threshold(static_cast<float>(view.policy.match_threshold));
  p->set_decision_note(view.session.decision_note);
  p->set_decided_by(view.session.decided_by);
}

}  // namespace

grpc::Status ReviewServiceImpl::ListSessions(grpc::ServerContext* context,
                                             const v1::ListSessionsRequest* request,
                                             v1::ListSessionsResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto sessions = core_->ListSessions(who, request->flagged_only());
    if (!sessions.ok()) return sessions.status();
    for (const SessionRecord& s : *sessions) {
      SummaryToProto(s, static_cast<int64_t>(s.last_seq), response->add_sessions());
    }
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::GetSession(grpc::ServerContext* context,
                                           const v1::GetSessionRequest* request,
                                           v1::SessionDetail* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto view = core_->GetSession(who, request->session_id());
    if (!view.ok()) return view.status();
    ViewToProto(*view, response);
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::Decide(grpc::ServerContext* context,
                                       const v1::DecideRequest* request,
                                       v1::DecideResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto verdict = core_->Decide(who, request->session_id(),
                                 static_cast<Verdict>(request->verdict()), request->note());
    if (!verdict.ok()) return verdict.status();
    response->set_verdict(VerdictToProto(*verdict));
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::FileAppeal(grpc::ServerContext* context,
                                           const v1::FileAppealRequest* request,
                                           v1::FileAppealResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto verdict = core_->FileAppeal(who, request->session_id(), request->reason());
    if (!verdict.ok()) return verdict.status();
    response->set_verdict(VerdictToProto(*verdict));
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::ListSelfEnrollments(grpc::ServerContext* context,
                                                    const v1::ListSelfEnrollmentsRequest* request,
                                                    v1::ListSelfEnrollmentsResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto list = core_->ListSelfEnrollments(who, request->pending_only());
    if (!list.ok()) return list.status();
    for (const auto& view : *list) {
      const SelfEnrollment& e = view.enrollment;
      v1::SelfEnrollmentSummary* out = response->add_enrollments();
      out->set_learner_id(e.learner_id);
      out->set_learner_name(view.learner_name);
      out->set_assessment_id(e.assessment_id);
      out->set_state(SelfEnrollmentStateName(e.state));
      out->set_photos(e.photos);
      out->set_created_at_unix_ms(e.created_at_unix_ms);
      out->set_decided_by(e.decided_by);
      out->set_decided_at_unix_ms(e.decided_at_unix_ms);
      out->set_note(e.note);
    }
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::GetSelfEnrollmentPhoto(
    grpc::ServerContext* context, const v1::GetSelfEnrollmentPhotoRequest* request,
    v1::SelfEnrollmentPhoto* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto photo = core_->SelfEnrollmentPhoto(who, request->learner_id());
    if (!photo.ok()) return photo.status();
    response->set_jpeg(photo->data(), photo->size());
    return absl::OkStatus();
  });
}

grpc::Status ReviewServiceImpl::DecideSelfEnrollment(grpc::ServerContext* context,
                                                     const v1::DecideSelfEnrollmentRequest* request,
                                                     v1::DecideSelfEnrollmentResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto state = core_->DecideSelfEnrollment(who, request->learner_id(), request->confirmed(),
                                             request->note());
    if (!state.ok()) return state.status();
    response->set_state(SelfEnrollmentStateName(*state));
    return absl::OkStatus();
  });
}

}  // namespace proctor::server

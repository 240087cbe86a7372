#include "server/service/admin_service.h"

#include "server/service/grpc_status.h"
#include "server/service/proto_convert.h"

namespace proctor::server {
namespace {

// Authenticates the call, then runs `body(principal)`.
template <typename Body>
grpc::Status WithPrincipal(ProctorCore* core, grpc::ServerContext* context, Body body) {
  auto who = core->Authenticate(BearerToken(*context));
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(body(*who));
}

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

grpc::Status AdminServiceImpl::CreateAssessment(grpc::ServerContext* context,
                                                const v1::CreateAssessmentRequest* request,
                                                v1::CreateAssessmentResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    if (request->kind() != v1::INTERMEDIATE && request->kind() != v1::FINAL) {
      return absl::InvalidArgumentError("kind must be INTERMEDIATE or FINAL");
    }
    Assessment a{request->assessment_id(), request->course(), request->title(),
                 static_cast<AssessmentKind>(request->kind()), 0};
    auto policy = core_->CreateAssessment(who, a);
    if (!policy.ok()) return policy.status();
    response->set_policy_summary(DescribePolicy(a.kind, *policy));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::EnrollLearner(grpc::ServerContext* context,
                                             const v1::EnrollLearnerRequest* request,
                                             v1::EnrollLearnerResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    std::vector<std::vector<uint8_t>> photos;
    for (const std::string& p : request->photos()) photos.emplace_back(p.begin(), p.end());
    auto templates = core_->EnrollLearner(who, request->learner_id(), request->name(), photos);
    if (!templates.ok()) return templates.status();
    response->set_templates(*templates);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::IssuePass(grpc::ServerContext* context,
                                         const v1::IssuePassRequest* request,
                                         v1::IssuePassResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto pass = core_->IssuePass(who, request->learner_id(), request->assessment_id(),
                                 request->valid_seconds());
    if (!pass.ok()) return pass.status();
    response->set_pass(pass->pass);
    response->set_expires_at_unix_ms(pass->expires_at_unix_ms);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::IssueToken(grpc::ServerContext* context,
                                          const v1::IssueTokenRequest* request,
                                          v1::IssueTokenResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    if (request->role() < v1::ADMINISTRATOR || request->role() > v1::LMS_CONNECTOR) {
      return absl::InvalidArgumentError("role must be ADMINISTRATOR, EXAMINER or LMS_CONNECTOR");
    }
    auto token = core_->IssueToken(who, static_cast<Role>(request->role()), request->label());
    if (!token.ok()) return token.status();
    response->set_token(*token);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::PurgeLearner(grpc::ServerContext* context,
                                            const v1::PurgeLearnerRequest* request,
                                            v1::PurgeLearnerResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto counts = core_->PurgeLearner(who, request->learner_id());
    if (!counts.ok()) return counts.status();
    response->set_templates_removed(counts->templates_removed);
    response->set_evidence_removed(counts->evidence_removed);
    return absl::OkStatus();
  });
}

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

grpc::Status ResultServiceImpl::SubmitResult(grpc::ServerContext* context,
                                             const v1::SubmitResultRequest* request,
                                             v1::SubmitResultResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto status =
        core_->SubmitResult(who, request->session_id(), request->score(), request->max_score());
    if (!status.ok()) return status.status();
    response->set_status(ResultStatusToProto(*status));
    return absl::OkStatus();
  });
}

grpc::Status ResultServiceImpl::ListResults(grpc::ServerContext* context,
                                            const v1::ListResultsRequest* request,
                                            v1::ListResultsResponse* response) {
  return WithPrincipal(core_, context, [&](const Principal& who) -> absl::Status {
    auto results = core_->ListResults(who, request->assessment_id());
    if (!results.ok()) return results.status();
    for (const ResultView& r : *results) {
      v1::ResultRecord* p = response->add_results();
      p->set_session_id(r.result.session_id);
      p->set_learner_id(r.result.learner_id);
      p->set_assessment_id(r.result.assessment_id);
      p->set_kind(AssessmentKindToProto(r.kind));
      p->set_score(r.result.score);
      p->set_max_score(r.result.max_score);
      p->set_submitted_at_unix_ms(r.result.submitted_at_unix_ms);
      p->set_verdict(VerdictToProto(r.verdict));
      p->set_status(ResultStatusToProto(r.status));
    }
    return absl::OkStatus();
  });
}

}  // namespace proctor::server

#include "server/service/session_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "protocol/event_codec.h"
#include "server/service/grpc_status.h"
#include "server/service/proto_convert.h"

namespace proctor::server {
namespace {

using Stream = grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>;

// Ends a stream at once with `status` (authentication failures).
class RejectedStream final : public Stream {
 public:
  explicit RejectedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

class EventStream final : public Stream {
 public:
  EventStream(SessionLedger* ledger, std::string session_id)
      : ledger_(ledger), session_id_(std::move(session_id)) {
    StartRead(&batch_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);  // the client finished sending
    std::vector<Event> events;
    events.reserve(batch_.events_size());
    for (const v1::Event& p : batch_.events()) {
      auto e = protocol::EventFromProto(p);
      if (!e.ok()) return Finish(ToGrpcStatus(e.status()));
      events.push_back(std::move(*e));
    }
    if (batch_.head_signature().size() != 64) {
      return Finish(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("head_signature must be 64 bytes, got ", batch_.head_signature().size())));
    }
    Signature signature;
    std::copy(batch_.head_signature().begin(), batch_.head_signature().end(), signature.begin());
    ledger_->Ingest(session_id_, std::move(events), signature,
                    [this](absl::StatusOr<IngestAck> ack) { OnIngested(std::move(ack)); });
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed"));
    StartRead(&batch_);
  }
  void OnDone() override { delete this; }

 private:
  void OnIngested(absl::StatusOr<IngestAck> ack) {
    if (!ack.ok()) return Finish(ToGrpcStatus(ack.status()));
    ack_.set_acked_seq(ack->acked_seq);
    ack_.set_duplicates(ack->duplicates);
    StartWrite(&ack_);
  }

  SessionLedger* const ledger_;
  const std::string session_id_;
  v1::EventBatch batch_;
  v1::BatchAck ack_;
};

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* SessionServiceImpl::OpenSession(grpc::CallbackServerContext* context,
                                                          const v1::OpenSessionRequest* request,
                                                          v1::OpenSessionResponse* response) {
  const std::vector<uint8_t> key(request->client_public_key().begin(),
                                 request->client_public_key().end());
  auto opened = core_->OpenSession(request->pass(), key, request->consented_notice_sha256());
  if (!opened.ok()) return FinishUnary(context, opened.status());
  ConsentNoticeToProto(opened->notice, response->mutable_consent_notice());
  v1::LivenessChallenge* challenge = response->mutable_liveness_challenge();
  challenge->set_nonce(opened->liveness.nonce_hex);
  for (protocol::LivenessAction a : opened->liveness.actions) {
    challenge->add_actions(static_cast<v1::LivenessAction>(a));
  }
  challenge->set_step_window_ms(opened->liveness.step_window_ms);
  response->set_session_id(opened->session.id);
  response->set_session_token(opened->session_token);
  protocol::TemplatesToProto(opened->templates, response);
  response->set_match_threshold(opened->policy.match_threshold);
  response->set_identity_interval_ms(opened->policy.identity_interval_ms);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetConsentNotice(
    grpc::CallbackServerContext* context, const v1::GetConsentNoticeRequest* request,
    v1::ConsentNotice* response) {
  auto notice = core_->NoticeForPass(request->pass());
  if (!notice.ok()) return FinishUnary(context, notice.status());
  ConsentNoticeToProto(*notice, response);
  auto needed = core_->SelfEnrollmentNeeded(request->pass());
  if (!needed.ok()) return FinishUnary(context, needed.status());
  response->set_self_enrollment_needed(*needed);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* SessionServiceImpl::SelfEnroll(grpc::CallbackServerContext* context,
                                                         const v1::SelfEnrollRequest* request,
                                                         v1::SelfEnrollResponse* response) {
  std::vector<std::vector<uint8_t>> photos;
  for (const std::string& p : request->photos()) photos.emplace_back(p.begin(), p.end());
  auto templates = core_->SelfEnroll(request->pass(), photos, request->consented_notice_sha256());
  if (templates.ok()) response->set_templates(*templates);
  return FinishUnary(context, templates.status());
}

grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>* SessionServiceImpl::StreamEvents(
    grpc::CallbackServerContext* context) {
  auto who = core_->Authenticate(BearerToken(*context));
  if (!who.ok()) return new RejectedStream(ToGrpcStatus(who.status()));
  if (auto s = ProctorCore::Require(*who, {Role::kLearner}); !s.ok()) {
    return new RejectedStream(ToGrpcStatus(s));
  }
  return new EventStream(ledger_, who->session_id);
}

grpc::ServerUnaryReactor* SessionServiceImpl::CloseSession(grpc::CallbackServerContext* context,
                                                           const v1::CloseSessionRequest* request,
                                                           v1::CloseSessionResponse* response) {
  auto who = core_->Authenticate(BearerToken(*context));
  if (!who.ok()) return FinishUnary(context, who.status());
  auto card = core_->CloseSession(*who, request->ended_at_ms());
  if (!card.ok()) return FinishUnary(context, card.status());
  response->set_verdict(VerdictToProto(card->verdict));
  response->set_risk_score(card->risk_score);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetSessionHead(
    grpc::CallbackServerContext* context, const v1::GetSessionHeadRequest* /*request*/,
    v1::GetSessionHeadResponse* response) {
  auto who = core_->Authenticate(BearerToken(*context));
  if (!who.ok()) return FinishUnary(context, who.status());
  auto head = core_->SessionHead(*who);
  if (!head.ok()) return FinishUnary(context, head.status());
  response->set_last_seq(head->last_seq);
  response->set_head_hash(head->head_hash.data(), head->head_hash.size());
  response->set_state(SessionStateToProto(head->state));
  response->set_verdict(VerdictToProto(head->verdict));
  response->set_risk_score(head->risk_score);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* SessionServiceImpl::Ping(grpc::CallbackServerContext* context,
                                                   const v1::PingRequest* /*request*/,
                                                   v1::PingResponse* response) {
  response->set_server_time_unix_ms(core_->NowUnixMs());
  response->set_server_version(PROCTOR_VERSION);
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace proctor::server

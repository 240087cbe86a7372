// proctor.v1.SessionService on gRPC's callback API: an event stream costs no thread while it
// waits, so one server holds thousands of concurrent sessions. Each stream keeps one batch in
// flight: read, ingest, acknowledge after the group commit, read the next.
#ifndef PROCTOR_SERVER_SERVICE_SESSION_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_SESSION_SERVICE_H_

#include "proctor/v1/session.grpc.pb.h"
#include "server/core/proctor_core.h"
#include "server/core/session_ledger.h"

namespace proctor::server {

class SessionServiceImpl final : public v1::SessionService::CallbackService {
 public:
  SessionServiceImpl(ProctorCore* core, SessionLedger* ledger) : core_(core), ledger_(ledger) {}

  grpc::ServerUnaryReactor* OpenSession(grpc::CallbackServerContext* context,
                                        const v1::OpenSessionRequest* request,
                                        v1::OpenSessionResponse* response) override;
  grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>* StreamEvents(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* CloseSession(grpc::CallbackServerContext* context,
                                         const v1::CloseSessionRequest* request,
                                         v1::CloseSessionResponse* response) override;
  grpc::ServerUnaryReactor* GetSessionHead(grpc::CallbackServerContext* context,
                                           const v1::GetSessionHeadRequest* request,
                                           v1::GetSessionHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetConsentNotice(grpc::CallbackServerContext* context,
                                             const v1::GetConsentNoticeRequest* request,
                                             v1::ConsentNotice* response) override;
  // Embeds the photos on the calling thread (once per learner, ~0.3 s a photo).
  grpc::ServerUnaryReactor* SelfEnroll(grpc::CallbackServerContext* context,
                                       const v1::SelfEnrollRequest* request,
                                       v1::SelfEnrollResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const v1::PingRequest* request,
                                 v1::PingResponse* response) override;

 private:
  ProctorCore* const core_;
  SessionLedger* const ledger_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_SESSION_SERVICE_H_

// proctor.v1.AdminService: assessments, enrollment, passes, tokens, purge — a thin adapter from
// proto to ProctorCore. Thread-safe (ProctorCore is).
#ifndef PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "proctor/v1/admin.grpc.pb.h"
#include "server/core/proctor_core.h"

namespace proctor::server {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(ProctorCore* core) : core_(core) {}
  grpc::Status CreateAssessment(grpc::ServerContext* context,
                                const v1::CreateAssessmentRequest* request,
                                v1::CreateAssessmentResponse* response) override;
  grpc::Status EnrollLearner(grpc::ServerContext* context, const v1::EnrollLearnerRequest* request,
                             v1::EnrollLearnerResponse* response) override;
  grpc::Status IssuePass(grpc::ServerContext* context, const v1::IssuePassRequest* request,
                         v1::IssuePassResponse* response) override;
  grpc::Status IssueToken(grpc::ServerContext* context, const v1::IssueTokenRequest* request,
                          v1::IssueTokenResponse* response) override;
  grpc::Status PurgeLearner(grpc::ServerContext* context, const v1::PurgeLearnerRequest* request,
                            v1::PurgeLearnerResponse* response) override;

 private:
  ProctorCore* const core_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

// proctor.v1.AdminService, ReviewService and ResultService: thin adapters from proto to
// ProctorCore. Thread-safe (ProctorCore is).
#ifndef PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

#include "proctor/v1/admin.grpc.pb.h"
#include "proctor/v1/results.grpc.pb.h"
#include "proctor/v1/review.grpc.pb.h"
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

class ReviewServiceImpl final : public v1::ReviewService::Service {
 public:
  explicit ReviewServiceImpl(ProctorCore* core) : core_(core) {}
  grpc::Status ListSessions(grpc::ServerContext* context, const v1::ListSessionsRequest* request,
                            v1::ListSessionsResponse* response) override;
  grpc::Status GetSession(grpc::ServerContext* context, const v1::GetSessionRequest* request,
                          v1::SessionDetail* response) override;
  grpc::Status Decide(grpc::ServerContext* context, const v1::DecideRequest* request,
                      v1::DecideResponse* response) override;

 private:
  ProctorCore* const core_;
};

class ResultServiceImpl final : public v1::ResultService::Service {
 public:
  explicit ResultServiceImpl(ProctorCore* core) : core_(core) {}
  grpc::Status SubmitResult(grpc::ServerContext* context, const v1::SubmitResultRequest* request,
                            v1::SubmitResultResponse* response) override;
  grpc::Status ListResults(grpc::ServerContext* context, const v1::ListResultsRequest* request,
                           v1::ListResultsResponse* response) override;

 private:
  ProctorCore* const core_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

// proctor.v1.AdminService: assessments, enrollment, passes, tokens, purge, backup and integrity
// — a thin adapter from proto to ProctorCore and the ReviewDesk. Thread-safe (they are).
#ifndef PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

#include <string>

#include "proctor/v1/admin.grpc.pb.h"
#include "server/core/proctor_core.h"
#include "server/http/review_desk.h"

namespace proctor::server {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // `core` and `desk` must outlive the service; backups are staged in `data_dir` (as large as
  // the database, removed once streamed).
  AdminServiceImpl(ProctorCore* core, http::ReviewDesk* desk, std::string data_dir)
      : core_(core), desk_(desk), data_dir_(std::move(data_dir)) {}
  // Where LMSs reach the LTI tool (the server's --public-url); "" when the console is off.
  void set_lti_public_url(std::string url) { lti_public_url_ = std::move(url); }
  grpc::Status AddLtiPlatform(grpc::ServerContext* context, const v1::LtiPlatform* request,
                              v1::LtiToolUrls* response) override;
  grpc::Status ListLtiPlatforms(grpc::ServerContext* context,
                                const v1::ListLtiPlatformsRequest* request,
                                v1::ListLtiPlatformsResponse* response) override;
  grpc::Status RemoveLtiPlatform(grpc::ServerContext* context,
                                 const v1::RemoveLtiPlatformRequest* request,
                                 v1::RemoveLtiPlatformResponse* response) override;
  grpc::Status SetConsentNotice(grpc::ServerContext* context,
                                const v1::SetConsentNoticeRequest* request,
                                v1::ConsentNotice* response) override;
  grpc::Status GetAssessmentNotice(grpc::ServerContext* context,
                                   const v1::GetAssessmentNoticeRequest* request,
                                   v1::ConsentNotice* response) override;
  grpc::Status RevokeTokens(grpc::ServerContext* context, const v1::RevokeTokensRequest* request,
                            v1::RevokeTokensResponse* response) override;
  grpc::Status RunRetention(grpc::ServerContext* context, const v1::RunRetentionRequest* request,
                            v1::RunRetentionResponse* response) override;
  grpc::Status SetAccommodation(grpc::ServerContext* context,
                                const v1::SetAccommodationRequest* request,
                                v1::SetAccommodationResponse* response) override;
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
  grpc::Status BackupDatabase(grpc::ServerContext* context,
                              const v1::BackupDatabaseRequest* request,
                              grpc::ServerWriter<v1::BackupChunk>* writer) override;
  grpc::Status VerifyIntegrity(grpc::ServerContext* context,
                               const v1::VerifyIntegrityRequest* request,
                               v1::VerifyIntegrityResponse* response) override;

 private:
  ProctorCore* const core_;
  http::ReviewDesk* const desk_;
  const std::string data_dir_;
  std::string lti_public_url_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_ADMIN_SERVICE_H_

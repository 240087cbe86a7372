#include "server/service/admin_service.h"

#include "server/service/call_principal.h"
#include "server/service/proto_convert.h"

namespace proctor::server {

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

}  // namespace proctor::server

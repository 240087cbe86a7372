#include "server/loadgen/session_lifecycle.h"

#include <chrono>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "proctor/v1/session.grpc.pb.h"
#include "protocol/consent.h"
#include "server/ctl/client_connection.h"
#include "server/loadgen/parallel_for.h"

namespace proctor::loadgen {
namespace {

// Calls in flight at once during setup and close: enough to hide round trips, few enough not
// to swamp the server before the timed phase.
constexpr size_t kSetupParallelism = 8;

std::optional<RpcFailure> CreateAssessment(const LoadgenOptions& options,
                                           const std::string& admin_token,
                                           v1::AdminService::Stub& admin) {
  v1::CreateAssessmentRequest request;
  request.set_assessment_id(options.assessment);
  request.set_course("proctor-loadgen");
  request.set_title("Load test");
  request.set_kind(v1::INTERMEDIATE);
  grpc::ClientContext context;
  ctl::PrepareCall(&context, admin_token, options.timeout_s);
  v1::CreateAssessmentResponse response;
  const grpc::Status status = admin.CreateAssessment(&context, request, &response);
  if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) return std::nullopt;
  return RpcFailure{"creating assessment " + options.assessment, status};
}

// Enrolls learner `learner_id` without photos and issues their pass; returns the pass.
std::optional<RpcFailure> EnrollAndIssuePass(const LoadgenOptions& options,
                                             const std::string& admin_token,
                                             const std::string& learner_id,
                                             v1::AdminService::Stub& admin, std::string* pass) {
  v1::EnrollLearnerRequest enroll;
  enroll.set_learner_id(learner_id);
  enroll.set_name("Load test learner " + learner_id);
  grpc::ClientContext enroll_context;
  ctl::PrepareCall(&enroll_context, admin_token, options.timeout_s);
  v1::EnrollLearnerResponse enrolled;
  grpc::Status status = admin.EnrollLearner(&enroll_context, enroll, &enrolled);
  if (!status.ok()) return RpcFailure{"enrolling learner " + learner_id, status};

  v1::IssuePassRequest issue;
  issue.set_learner_id(learner_id);
  issue.set_assessment_id(options.assessment);
  grpc::ClientContext issue_context;
  ctl::PrepareCall(&issue_context, admin_token, options.timeout_s);
  v1::IssuePassResponse issued;
  status = admin.IssuePass(&issue_context, issue, &issued);
  if (!status.ok()) return RpcFailure{"issuing a pass for " + learner_id, status};
  *pass = issued.pass();
  return std::nullopt;
}

std::optional<RpcFailure> OpenSession(const LoadgenOptions& options, const std::string& pass,
                                      const std::string& learner_id,
                                      v1::SessionService::Stub& sessions,
                                      SyntheticSession* session) {
  const auto deadline = [&] {
    return std::chrono::system_clock::now() +
           std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1e3));
  };
  // As the client: the consent notice first (the pass is not spent), then the session.
  v1::ConsentNotice notice;
  {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::GetConsentNoticeRequest request;
    request.set_pass(pass);
    const grpc::Status read = sessions.GetConsentNotice(&context, request, &notice);
    if (!read.ok()) return RpcFailure{"reading the consent notice of " + learner_id, read};
  }
  v1::OpenSessionRequest request;
  request.set_pass(pass);
  request.set_client_public_key(session->public_key().data(), session->public_key().size());
  request.set_consented_notice_sha256(notice.sha256());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1e3)));
  v1::OpenSessionResponse response;
  const grpc::Status status = sessions.OpenSession(&context, request, &response);
  if (!status.ok()) return RpcFailure{"opening the session of " + learner_id, status};
  session->Bind(response.session_id(), response.session_token(),
                protocol::ConsentDetail({response.consent_notice().version(),
                                         response.consent_notice().sha256(),
                                         std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count()}));
  return std::nullopt;
}

}  // namespace

std::optional<RpcFailure> PrepareSessions(
    const LoadgenOptions& options, const std::string& admin_token,
    const std::shared_ptr<grpc::Channel>& channel,
    const std::vector<std::unique_ptr<SyntheticSession>>& sessions) {
  auto admin = v1::AdminService::NewStub(channel);
  auto session_service = v1::SessionService::NewStub(channel);
  if (auto failure = CreateAssessment(options, admin_token, *admin)) return failure;
  std::mutex mu;
  std::optional<RpcFailure> first_failure;  // guarded by mu
  ParallelFor(sessions.size(), kSetupParallelism, [&](size_t i) {
    const std::string learner_id = absl::StrCat("loadgen-", i);
    std::string pass;
    auto failure = EnrollAndIssuePass(options, admin_token, learner_id, *admin, &pass);
    if (!failure)
      failure = OpenSession(options, pass, learner_id, *session_service, sessions[i].get());
    if (!failure) return true;
    std::lock_guard<std::mutex> lock(mu);
    if (!first_failure) first_failure = std::move(failure);
    return false;
  });
  return first_failure;
}

std::vector<RpcFailure> CloseSessions(
    const LoadgenOptions& options, const std::shared_ptr<grpc::Channel>& channel,
    const std::vector<std::unique_ptr<SyntheticSession>>& sessions) {
  auto stub = v1::SessionService::NewStub(channel);
  std::mutex mu;
  std::vector<RpcFailure> failures;  // guarded by mu
  ParallelFor(sessions.size(), kSetupParallelism, [&](size_t i) {
    const SyntheticSession& session = *sessions[i];
    v1::CloseSessionRequest request;
    request.set_ended_at_ms(session.last_at_ms());
    grpc::ClientContext context;
    ctl::PrepareCall(&context, session.session_token(), options.timeout_s);
    v1::CloseSessionResponse response;
    const grpc::Status status = stub->CloseSession(&context, request, &response);
    if (!status.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      failures.push_back({"closing session " + session.session_id(), status});
    }
    return true;
  });
  return failures;
}

}  // namespace proctor::loadgen

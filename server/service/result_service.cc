#include "server/service/result_service.h"

#include "server/service/call_principal.h"
#include "server/service/proto_convert.h"

namespace proctor::server {

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

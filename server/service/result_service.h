// proctor.v1.ResultService: assessment results with their proctoring verdict (the LMS
// connector) — a thin adapter from proto to ProctorCore. Thread-safe (ProctorCore is).
#ifndef PROCTOR_SERVER_SERVICE_RESULT_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_RESULT_SERVICE_H_

#include "proctor/v1/results.grpc.pb.h"
#include "server/core/proctor_core.h"

namespace proctor::server {

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

#endif  // PROCTOR_SERVER_SERVICE_RESULT_SERVICE_H_

// proctor.v1.ReviewService: sessions, their timeline and flags, examiners' decisions — a thin
// adapter from proto to ProctorCore. Thread-safe (ProctorCore is).
#ifndef PROCTOR_SERVER_SERVICE_REVIEW_SERVICE_H_
#define PROCTOR_SERVER_SERVICE_REVIEW_SERVICE_H_

#include "proctor/v1/review.grpc.pb.h"
#include "server/core/proctor_core.h"

namespace proctor::server {

class ReviewServiceImpl final : public v1::ReviewService::Service {
 public:
  explicit ReviewServiceImpl(ProctorCore* core) : core_(core) {}
  grpc::Status ListSessions(grpc::ServerContext* context, const v1::ListSessionsRequest* request,
                            v1::ListSessionsResponse* response) override;
  grpc::Status GetSession(grpc::ServerContext* context, const v1::GetSessionRequest* request,
                          v1::SessionDetail* response) override;
  grpc::Status Decide(grpc::ServerContext* context, const v1::DecideRequest* request,
                      v1::DecideResponse* response) override;
  grpc::Status FileAppeal(grpc::ServerContext* context, const v1::FileAppealRequest* request,
                          v1::FileAppealResponse* response) override;
  grpc::Status ListSelfEnrollments(grpc::ServerContext* context,
                                   const v1::ListSelfEnrollmentsRequest* request,
                                   v1::ListSelfEnrollmentsResponse* response) override;
  grpc::Status GetSelfEnrollmentPhoto(grpc::ServerContext* context,
                                      const v1::GetSelfEnrollmentPhotoRequest* request,
                                      v1::SelfEnrollmentPhoto* response) override;
  grpc::Status DecideSelfEnrollment(grpc::ServerContext* context,
                                    const v1::DecideSelfEnrollmentRequest* request,
                                    v1::DecideSelfEnrollmentResponse* response) override;

 private:
  ProctorCore* const core_;
};

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_REVIEW_SERVICE_H_

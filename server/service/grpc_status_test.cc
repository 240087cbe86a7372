#include "server/service/grpc_status.h"

#include <string>

#include "absl/strings/match.h"
#include "common/internal_status.h"
#include "gtest/gtest.h"

namespace proctor::server {
namespace {

TEST(ToGrpcStatusTest, MarkedUnavailableGetsTheGenericMessageWithAnIncidentId) {
  const grpc::Status status = ToGrpcStatus(MarkInternal(absl::UnavailableError(
      "postgresql: appending events on postgresql://proctor@db.example:5432/proctor: "
      "cannot reach the database")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StartsWith(status.error_message(),
                               "the server's storage is unavailable; retry later (incident "))
      << status.error_message();
  EXPECT_TRUE(absl::EndsWith(status.error_message(), " in the server log)"))
      << status.error_message();
  EXPECT_FALSE(absl::StrContains(status.error_message(), "db.example")) << status.error_message();
}

TEST(ToGrpcStatusTest, UnmarkedUnavailableKeepsItsMessageEvenWhenItSaysDatabase) {
  const std::string message =
      "another batch of this session is being stored in the database; resend after its "
      "acknowledgement";
  const grpc::Status status = ToGrpcStatus(absl::UnavailableError(message));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), message);
}

TEST(ToGrpcStatusTest, InternalDataLossAndUnknownAreAlwaysHidden) {
  for (const absl::Status& internal :
       {absl::InternalError("sqlite: /var/lib/proctor/proctor.db: no error code"),
        absl::DataLossError("/var/lib/proctor/proctor.db is damaged"),
        absl::UnknownError("/var/lib/proctor/x")}) {
    const grpc::Status status = ToGrpcStatus(internal);
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(internal.code()));
    EXPECT_TRUE(absl::StartsWith(status.error_message(),
                                 "the server failed to complete the request (incident "))
        << status.error_message();
    EXPECT_FALSE(absl::StrContains(status.error_message(), "/var/lib")) << status.error_message();
  }
}

TEST(ToGrpcStatusTest, AMarkedStatusOfAnyCodeIsHidden) {
  const grpc::Status status = ToGrpcStatus(
      MarkInternal(absl::ResourceExhaustedError("sqlite: reading x.db: out of memory")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(absl::StrContains(status.error_message(), "x.db")) << status.error_message();
}

TEST(ToGrpcStatusTest, CallersErrorsKeepTheirMessages) {
  const grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError("seq 0: seqs start at 1"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "seq 0: seqs start at 1");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace proctor::server

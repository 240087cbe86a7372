#include "server/service/grpc_status.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/internal_status.h"

namespace proctor::server {
namespace {

// Failures inside the server (its database, its files) are the operator's business: their
// messages name database addresses and paths, which callers — learners included — must not see.
// The storage adapters mark such failures where they arise (common/internal_status.h); INTERNAL,
// DATA_LOSS and UNKNOWN are internal whoever made them. An UNAVAILABLE the server says on purpose
// ("another batch of this session is being stored; resend ...") is unmarked and reaches the caller.
bool IsInternalDetail(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return IsMarkedInternal(status);
  }
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (!IsInternalDetail(status)) return grpc::Status(code, std::string(status.message()));
  const std::string incident = RandomToken(5);
  spdlog::warn("incident {}: {}", incident, status.ToString());
  return grpc::Status(code, absl::StrCat(status.code() == absl::StatusCode::kUnavailable
                                             ? "the server's storage is unavailable; retry later"
                                             : "the server failed to complete the request",
                                         " (incident ", incident, " in the server log)"));
}

std::string BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  const std::string value(it->second.data(), it->second.size());
  const std::string prefix = "Bearer ";
  if (value.compare(0, prefix.size(), prefix) != 0) return "";
  return value.substr(prefix.size());
}

}  // namespace proctor::server

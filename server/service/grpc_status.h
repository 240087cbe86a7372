// The one place where proctor's status codes become gRPC status codes, and bearer tokens are
// read from call metadata.
#ifndef PROCTOR_SERVER_SERVICE_GRPC_STATUS_H_
#define PROCTOR_SERVER_SERVICE_GRPC_STATUS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace proctor::server {

// absl and gRPC share the canonical code numbers. The message is kept as is, except for failures
// inside the server (INTERNAL, DATA_LOSS, UNKNOWN, and any status marked by
// proctor::MarkInternal, as the storage engines mark their database failures): those are logged
// with an incident id and the caller gets the same code with a generic message naming that id,
// never a database address or a path.
grpc::Status ToGrpcStatus(const absl::Status& status);
// The token of an "authorization: Bearer <token>" metadata entry, or "" when absent.
std::string BearerToken(const grpc::ServerContextBase& context);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_GRPC_STATUS_H_

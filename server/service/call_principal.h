// The one way a service method starts: authenticate the caller's bearer token, then run the body
// with the principal; every error leaves through ToGrpcStatus.
#ifndef PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_
#define PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_

#include <grpcpp/grpcpp.h>

#include "server/core/proctor_core.h"
#include "server/service/grpc_status.h"

namespace proctor::server {

// Authenticates the call, then runs `body(principal)`.
template <typename Body>
grpc::Status WithPrincipal(ProctorCore* core, grpc::ServerContext* context, Body body) {
  auto who = core->Authenticate(BearerToken(*context));
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(body(*who));
}

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_

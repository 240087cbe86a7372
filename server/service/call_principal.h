// The one way a service method starts: authenticate the caller's bearer token, then run the body
// with the principal; every error leaves through ToGrpcStatus.
#ifndef PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_
#define PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_

#include <grpcpp/grpcpp.h>

#include "common/i18n.h"
#include "server/core/proctor_core.h"
#include "server/service/grpc_status.h"

namespace proctor::server {

// The language the caller reads: its "accept-language" metadata (proctorctl sends its own),
// English when absent.
inline i18n::Language CallerLanguage(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("accept-language");
  if (it == metadata.end()) return i18n::Language::kEnglish;
  return i18n::LanguageFromAcceptLanguage(absl::string_view(it->second.data(), it->second.size()));
}

// Authenticates the call, then runs `body(principal)`; the principal carries the caller's
// language for what the server writes for people (risk reasons, flag details, the policy).
template <typename Body>
grpc::Status WithPrincipal(ProctorCore* core, grpc::ServerContext* context, Body body) {
  auto who = core->Authenticate(BearerToken(*context));
  if (!who.ok()) return ToGrpcStatus(who.status());
  who->language = CallerLanguage(*context);
  return ToGrpcStatus(body(*who));
}

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_SERVICE_CALL_PRINCIPAL_H_

#include "server/ctl/ctl_context.h"

#include <cstdio>
#include <iostream>

namespace proctor::ctl {

absl::StatusOr<std::unique_ptr<CtlContext>> CtlContext::Create(const CtlOptions& options) {
  auto token = ResolveToken(options.token);
  if (!token.ok()) return token.status();
  auto channel = MakeChannel(options.server, options.tls_ca);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<CtlContext>(
      new CtlContext(options, std::move(*token), std::move(*channel)));
}

void CtlContext::PrepareCall(grpc::ClientContext* context) const {
  ctl::PrepareCall(context, token_, options_.timeout_s);
}

int CtlContext::ReportRpcError(const std::string& what, const grpc::Status& status) const {
  const bool unreachable = IsUnreachable(status, channel_.get());
  const std::string text = DescribeRpcError(what, status, options_.server, unreachable);
  std::fprintf(stderr, "proctorctl: %s\n", text.c_str());
  return unreachable ? kExitUnreachable : kExitServerError;
}

void CtlContext::PrintJson(const nlohmann::json& document) const {
  // Replace rather than throw on invalid UTF-8: the output must stay one JSON document.
  std::cout << document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int ReportLocalError(const std::string& message) {
  std::fprintf(stderr, "proctorctl: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace proctor::ctl

// proctorctl token issue --role examiner|lms|administrator --label LABEL
// proctorctl token revoke --role examiner|lms --label LABEL
#include <cstdio>

#include "common/i18n.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"

namespace proctor::ctl {
namespace {

struct IssueTokenOptions {
  std::string role;  // --role: "examiner", "lms" or "administrator", checked by the parser
  std::string label;
};

v1::Role RoleFromFlag(const std::string& role) {
  if (role == "administrator") return v1::ADMINISTRATOR;
  return role == "lms" ? v1::LMS_CONNECTOR : v1::EXAMINER;
}

int RunIssueToken(const CtlContext& context, const IssueTokenOptions& options) {
  v1::IssueTokenRequest request;
  request.set_role(RoleFromFlag(options.role));
  request.set_label(options.label);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::IssueTokenResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::IssueToken, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("issuing a token for $0", options.label), status);
  }
  if (context.json()) {
    context.PrintJson({{"token", response.token()},
                       {"role", v1::Role_Name(request.role())},
                       {"label", options.label}});
  } else {
    std::printf("%s\n", response.token().c_str());
  }
  return kExitOk;
}

int RunRevokeTokens(const CtlContext& context, const IssueTokenOptions& options) {
  v1::RevokeTokensRequest request;
  request.set_role(RoleFromFlag(options.role));
  request.set_label(options.label);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::RevokeTokensResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::RevokeTokens, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("revoking the tokens of $0", options.label), status);
  }
  if (context.json()) {
    context.PrintJson({{"label", options.label},
                       {"role", v1::Role_Name(request.role())},
                       {"revoked", response.revoked()}});
  } else {
    std::printf("%s\n", i18n::TrNf("revoked $0 token of $1; their sign-ins end within a minute",
                                   "revoked $0 tokens of $1; their sign-ins end within a minute",
                                   response.revoked(), response.revoked(), options.label)
                            .c_str());
  }
  return kExitOk;
}

}  // namespace

void AddTokenCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("token", "Issue and revoke API tokens (administrator)");
  group->require_subcommand(1);

  auto options = std::make_shared<IssueTokenOptions>();
  CLI::App* issue = group->add_subcommand(
      "issue",
      "Issue a token for an examiner, an LMS connector or another administrator; "
      "prints the token (shown once)");
  issue->add_option("--role", options->role, "examiner, lms or administrator")
      ->required()
      ->transform(CLI::IsMember({"examiner", "lms", "administrator"}, CLI::ignore_case));
  issue->add_option("--label", options->label, "Who holds the token, for the audit log")
      ->required();
  SetActionOnParse(issue, action, options, &RunIssueToken);

  auto revoke_options = std::make_shared<IssueTokenOptions>();
  CLI::App* revoke = group->add_subcommand(
      "revoke", "Revoke the tokens of an examiner or LMS connector who left (audited)");
  revoke->add_option("--role", revoke_options->role, "examiner or lms")
      ->required()
      ->transform(CLI::IsMember({"examiner", "lms"}, CLI::ignore_case));
  revoke->add_option("--label", revoke_options->label, "The label the tokens were issued with")
      ->required();
  SetActionOnParse(revoke, action, revoke_options, &RunRevokeTokens);
}

}  // namespace proctor::ctl

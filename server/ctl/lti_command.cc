// proctorctl lti platform add --issuer URL --client-id ID --deployment-id ID [...] --auth-url URL
//                             --token-url URL --jwks-url URL
// proctorctl lti platform list
// proctorctl lti platform remove --issuer URL --client-id ID
#include <cstdio>

#include "absl/strings/str_join.h"
#include "common/i18n.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"

namespace proctor::ctl {
namespace {

struct PlatformOptions {
  std::string issuer, client_id, auth_url, token_url, jwks_url;
  std::vector<std::string> deployment_ids;
};

nlohmann::json ToolJson(const v1::LtiToolUrls& tool) {
  return {{"public_url", tool.public_url()},
          {"login_url", tool.login_url()},
          {"launch_url", tool.launch_url()},
          {"jwks_url", tool.jwks_url()}};
}

// What the LMS administrator enters on the LMS's side.
void PrintToolUrls(const v1::LtiToolUrls& tool) {
  if (tool.public_url().empty()) {
    std::printf("%s\n", i18n::Tr("the server's review console is off (--http ''): LMSs cannot "
                                 "reach the tool until it runs")
                            .c_str());
    return;
  }
  std::printf("%s\n", i18n::Tr("enter these in the LMS's tool registration:").c_str());
  std::printf("  %-32s %s\n", i18n::Tr("login initiation URL").c_str(), tool.login_url().c_str());
  std::printf("  %-32s %s\n", i18n::Tr("redirect URI / target link URI").c_str(),
              tool.launch_url().c_str());
  std::printf("  %-32s %s\n", i18n::Tr("public keyset (JWKS) URL").c_str(),
              tool.jwks_url().c_str());
}

int RunAdd(const CtlContext& context, const PlatformOptions& o) {
  v1::LtiPlatform request;
  request.set_issuer(o.issuer);
  request.set_client_id(o.client_id);
  for (const std::string& d : o.deployment_ids) request.add_deployment_ids(d);
  request.set_auth_url(o.auth_url);
  request.set_token_url(o.token_url);
  request.set_jwks_url(o.jwks_url);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::LtiToolUrls response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::AddLtiPlatform, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("registering LTI platform $0", o.issuer), status);
  }
  if (context.json()) {
    context.PrintJson({{"issuer", o.issuer},
                       {"client_id", o.client_id},
                       {"deployment_ids", o.deployment_ids},
                       {"tool", ToolJson(response)}});
    return kExitOk;
  }
  std::printf("%s\n", i18n::Trf("registered LTI platform $0 (client id $1, deployments: $2)",
                                o.issuer, o.client_id, absl::StrJoin(o.deployment_ids, ", "))
                          .c_str());
  PrintToolUrls(response);
  return kExitOk;
}

int RunList(const CtlContext& context, const PlatformOptions&) {
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::ListLtiPlatformsResponse response;
  const grpc::Status status = context.Invoke(*stub, &v1::AdminService::Stub::ListLtiPlatforms,
                                             v1::ListLtiPlatformsRequest(), &response);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("listing LTI platforms"), status);
  if (context.json()) {
    nlohmann::json platforms = nlohmann::json::array();
    for (const auto& p : response.platforms()) {
      platforms.push_back({{"issuer", p.issuer()},
                           {"client_id", p.client_id()},
                           {"deployment_ids", std::vector<std::string>(p.deployment_ids().begin(),
                                                                       p.deployment_ids().end())},
                           {"auth_url", p.auth_url()},
                           {"token_url", p.token_url()},
                           {"jwks_url", p.jwks_url()},
                           {"created_by", p.created_by()},
                           {"created_at_unix_ms", p.created_at_unix_ms()}});
    }
    context.PrintJson({{"platforms", platforms}, {"tool", ToolJson(response.tool())}});
    return kExitOk;
  }
  if (response.platforms().empty()) {
    std::printf("%s\n", i18n::Tr("no LTI platform is registered").c_str());
  }
  for (const auto& p : response.platforms()) {
    std::printf("%s\n", i18n::Trf("$0  client id $1  deployments: $2", p.issuer(), p.client_id(),
                                  absl::StrJoin(p.deployment_ids(), ", "))
                            .c_str());
    std::printf("  auth %s\n  token %s\n  jwks %s\n", p.auth_url().c_str(), p.token_url().c_str(),
                p.jwks_url().c_str());
  }
  PrintToolUrls(response.tool());
  return kExitOk;
}

int RunRemove(const CtlContext& context, const PlatformOptions& o) {
  v1::RemoveLtiPlatformRequest request;
  request.set_issuer(o.issuer);
  request.set_client_id(o.client_id);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::RemoveLtiPlatformResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::RemoveLtiPlatform, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("removing LTI platform $0", o.issuer), status);
  }
  if (context.json()) {
    context.PrintJson({{"issuer", o.issuer}, {"client_id", o.client_id}, {"removed", true}});
  } else {
    std::printf("%s\n",
                i18n::Trf("removed LTI platform $0 (client id $1)", o.issuer, o.client_id).c_str());
  }
  return kExitOk;
}

}  // namespace

void AddLtiCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("lti", "LTI 1.3: connect LMSs (administrator)");
  group->require_subcommand(1);
  CLI::App* platform = group->add_subcommand("platform", "The LMSs this server serves as a tool");
  platform->require_subcommand(1);

  auto add_options = std::make_shared<PlatformOptions>();
  CLI::App* add = platform->add_subcommand(
      "add", "Register an LMS (the values come from the LMS's tool registration page)");
  add->add_option("--issuer", add_options->issuer, "The platform's issuer (iss), an https URL")
      ->required();
  add->add_option("--client-id", add_options->client_id, "The client id the LMS gave this tool")
      ->required();
  add->add_option("--deployment-id", add_options->deployment_ids,
                  "A deployment id of this tool on the LMS (repeat for several)")
      ->required();
  add->add_option("--auth-url", add_options->auth_url,
                  "The LMS's authentication request URL (OIDC auth)")
      ->required();
  add->add_option("--token-url", add_options->token_url, "The LMS's access token URL")->required();
  add->add_option("--jwks-url", add_options->jwks_url, "The LMS's public keyset URL")->required();
  SetActionOnParse(add, action, add_options, &RunAdd);

  auto list_options = std::make_shared<PlatformOptions>();
  CLI::App* list = platform->add_subcommand("list", "The registered LMSs and the tool's URLs");
  SetActionOnParse(list, action, list_options, &RunList);

  auto remove_options = std::make_shared<PlatformOptions>();
  CLI::App* remove = platform->add_subcommand("remove", "Unregister an LMS");
  remove->add_option("--issuer", remove_options->issuer, "The platform's issuer")->required();
  remove->add_option("--client-id", remove_options->client_id, "Its client id")->required();
  SetActionOnParse(remove, action, remove_options, &RunRemove);
}

}  // namespace proctor::ctl

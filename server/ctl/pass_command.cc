// proctorctl pass issue --learner ID --assessment ID [--valid-hours H]
#include <cmath>
#include <cstdio>

#include "common/i18n.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct IssuePassOptions {
  std::string learner;
  std::string assessment;
  double valid_hours = 0;  // --valid-hours, 1/60 to 168; 0: the server's default (24 h)
};

int RunIssuePass(const CtlContext& context, const IssuePassOptions& options) {
  v1::IssuePassRequest request;
  request.set_learner_id(options.learner);
  request.set_assessment_id(options.assessment);
  request.set_valid_seconds(std::llround(options.valid_hours * 3600));
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::IssuePassResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::IssuePass, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("issuing a pass for learner $0 and assessment $1",
                                            options.learner, options.assessment),
                                  status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"pass", response.pass()}, {"expires_at_unix_ms", response.expires_at_unix_ms()}});
  } else {
    // Only the pass on stdout, so that scripts can capture it; the expiry goes to stderr.
    std::printf("%s\n", response.pass().c_str());
    std::fprintf(stderr, "%s\n",
                 i18n::Trf("pass for $0 / $1, valid until $2", options.learner, options.assessment,
                           i18n::Process().DateTime(response.expires_at_unix_ms()))
                     .c_str());
  }
  return kExitOk;
}

}  // namespace

void AddPassCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("pass", "Issue one-time exam passes (administrator)");
  group->require_subcommand(1);

  auto options = std::make_shared<IssuePassOptions>();
  CLI::App* issue = group->add_subcommand(
      "issue", "Issue a one-time exam pass for a learner and an assessment; prints the pass");
  issue->add_option("--learner", options->learner, "Learner id")->required();
  issue->add_option("--assessment", options->assessment, "Assessment id")->required();
  issue
      ->add_option("--valid-hours", options->valid_hours,
                   "How long the pass stays valid, in hours, 1/60 to 168 (default: the "
                   "server's, 24)")
      ->check(CLI::Range(1.0 / 60, 168.0));
  SetActionOnParse(issue, action, options, &RunIssuePass);
}

}  // namespace proctor::ctl

// proctorctl review decide SESSION --verdict accept|reject --note TEXT
// proctorctl appeal file --session ID --reason TEXT
#include <cstdio>

#include "common/i18n.h"
#include "proctor/v1/review.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct DecideOptions {
  std::string session_id;
  std::string verdict;  // --verdict: "accept" or "reject", checked by the parser
  std::string note;
};

int RunDecide(const CtlContext& context, const DecideOptions& options) {
  v1::DecideRequest request;
  request.set_session_id(options.session_id);
  request.set_verdict(options.verdict == "accept" ? v1::ACCEPTED : v1::REJECTED);
  request.set_note(options.note);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::DecideResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::Decide, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("deciding session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"session_id", options.session_id}, {"verdict", VerdictName(response.verdict())}});
  } else {
    std::printf("%s\n", i18n::Trf("session $0: $1", options.session_id,
                                  VerdictName(response.verdict()))
                            .c_str());
    if (options.verdict == "reject" && response.verdict() == v1::PENDING_REVIEW) {
      std::printf("%s\n", i18n::Tr("rejection proposed: a FINAL session is rejected only when a "
                                   "second examiner agrees")
                              .c_str());
    }
  }
  return kExitOk;
}

struct AppealOptions {
  std::string session_id;
  std::string reason;
};

int RunAppeal(const CtlContext& context, const AppealOptions& options) {
  v1::FileAppealRequest request;
  request.set_session_id(options.session_id);
  request.set_reason(options.reason);
  auto stub = v1::ReviewService::NewStub(context.channel());
  v1::FileAppealResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ReviewService::Stub::FileAppeal, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(
        i18n::Trf("filing an appeal against session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"session_id", options.session_id}, {"verdict", VerdictName(response.verdict())}});
  } else {
    std::printf("%s\n", i18n::Trf("appeal filed: session $0 is back in review ($1) for an "
                                  "examiner who did not decide it before",
                                  options.session_id, VerdictName(response.verdict()))
                            .c_str());
  }
  return kExitOk;
}

}  // namespace

void AddAppealCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("appeal", "A learner's appeal against a verdict (LMS or administrator)");
  group->require_subcommand(1);
  auto options = std::make_shared<AppealOptions>();
  CLI::App* file = group->add_subcommand(
      "file", "Reopen review of a decided session for an examiner who did not decide it first");
  file->add_option("--session", options->session_id, "Session id")->required();
  file->add_option("--reason", options->reason, "The learner's reason, 1-4000 bytes")->required();
  SetActionOnParse(file, action, options, &RunAppeal);
}

void AddReviewCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("review", "Decide flagged sessions (examiner)");
  group->require_subcommand(1);

  auto options = std::make_shared<DecideOptions>();
  CLI::App* decide = group->add_subcommand(
      "decide", "Accept or reject a closed session; the decision goes to the audit log");
  decide->add_option("session", options->session_id, "Session id")->required();
  decide->add_option("--verdict", options->verdict, "accept or reject")
      ->required()
      ->transform(CLI::IsMember({"accept", "reject"}, CLI::ignore_case));
  decide->add_option("--note", options->note, "Why, 1-2000 bytes; kept in the audit log")
      ->required();
  SetActionOnParse(decide, action, options, &RunDecide);
}

}  // namespace proctor::ctl

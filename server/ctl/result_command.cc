// proctorctl result submit --session ID --score S --max M
// proctorctl result list [--assessment ID] [--json]
#include <cstdio>

#include "absl/strings/str_format.h"
#include "common/i18n.h"
#include "proctor/v1/results.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct SubmitResultOptions {
  std::string session_id;
  double score = 0;      // --score, 0 to --max
  double max_score = 0;  // --max, > 0, at most 1e6
};

struct ListResultsOptions {
  std::string assessment;  // --assessment; empty: every assessment
};

int RunSubmitResult(const CtlContext& context, const SubmitResultOptions& options) {
  if (options.score > options.max_score) {
    return ReportLocalError(i18n::Tr("--score must not exceed --max"));
  }
  v1::SubmitResultRequest request;
  request.set_session_id(options.session_id);
  request.set_score(options.score);
  request.set_max_score(options.max_score);
  auto stub = v1::ResultService::NewStub(context.channel());
  v1::SubmitResultResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ResultService::Stub::SubmitResult, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(
        i18n::Trf("submitting the result of session $0", options.session_id), status);
  }
  if (context.json()) {
    context.PrintJson(
        {{"session_id", options.session_id}, {"status", ResultStatusName(response.status())}});
  } else {
    std::printf("%s\n", i18n::Trf("result of session $0 recorded: $1", options.session_id,
                                  ResultStatusName(response.status()))
                            .c_str());
  }
  return kExitOk;
}

nlohmann::json ResultToJson(const v1::ResultRecord& r) {
  return {{"session_id", r.session_id()},
          {"learner_id", r.learner_id()},
          {"assessment_id", r.assessment_id()},
          {"kind", AssessmentKindName(r.kind())},
          {"score", r.score()},
          {"max_score", r.max_score()},
          {"submitted_at_unix_ms", r.submitted_at_unix_ms()},
          {"verdict", VerdictName(r.verdict())},
          {"status", ResultStatusName(r.status())}};
}

void PrintResultTable(const v1::ListResultsResponse& response) {
  using i18n::PadRight;
  using i18n::Tr;
  // TRANSLATORS: column headings of `proctorctl result list`, in capitals.
  std::printf("%s %s %s %s %s %s %s %s\n", PadRight(Tr("SESSION"), 28).c_str(),
              PadRight(Tr("LEARNER"), 20).c_str(), PadRight(Tr("ASSESSMENT"), 20).c_str(),
              PadRight(Tr("KIND"), 12).c_str(), PadRight(Tr("SCORE"), 15).c_str(),
              PadRight(Tr("VERDICT"), 15).c_str(), PadRight(Tr("STATUS"), 14).c_str(),
              Tr("SUBMITTED").c_str());
  for (const v1::ResultRecord& r : response.results()) {
    const std::string score = absl::StrFormat("%g/%g", r.score(), r.max_score());
    std::printf("%s %s %s %-12s %-15s %-15s %-14s %s\n", PadRight(r.session_id(), 28).c_str(),
                PadRight(r.learner_id(), 20).c_str(), PadRight(r.assessment_id(), 20).c_str(),
                AssessmentKindName(r.kind()).c_str(), score.c_str(),
                VerdictName(r.verdict()).c_str(), ResultStatusName(r.status()).c_str(),
                UtcTime(r.submitted_at_unix_ms()).c_str());
  }
  if (response.results().empty()) std::printf("%s\n", Tr("(no results)").c_str());
}

int RunListResults(const CtlContext& context, const ListResultsOptions& options) {
  v1::ListResultsRequest request;
  request.set_assessment_id(options.assessment);
  auto stub = v1::ResultService::NewStub(context.channel());
  v1::ListResultsResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::ResultService::Stub::ListResults, request, &response);
  if (!status.ok()) return context.ReportRpcError(i18n::Tr("listing results"), status);
  if (context.json()) {
    nlohmann::json results = nlohmann::json::array();
    for (const v1::ResultRecord& r : response.results()) results.push_back(ResultToJson(r));
    context.PrintJson({{"results", std::move(results)}});
  } else {
    PrintResultTable(response);
  }
  return kExitOk;
}

}  // namespace

void AddResultCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("result", "Record and list assessment results (LMS connector)");
  group->require_subcommand(1);

  auto submit_options = std::make_shared<SubmitResultOptions>();
  CLI::App* submit = group->add_subcommand(
      "submit", "Record (or replace) a session's result; prints whether it is official");
  submit->add_option("--session", submit_options->session_id, "Session id")->required();
  submit->add_option("--score", submit_options->score, "Score, 0 to --max")
      ->required()
      ->check(CLI::NonNegativeNumber);
  submit->add_option("--max", submit_options->max_score, "Maximum score, above 0, at most 1e6")
      ->required()
      ->check(CLI::Range(1e-9, 1e6));
  SetActionOnParse(submit, action, submit_options, &RunSubmitResult);

  auto list_options = std::make_shared<ListResultsOptions>();
  CLI::App* list =
      group->add_subcommand("list", "Results with their proctoring verdict and status");
  list->add_option("--assessment", list_options->assessment,
                   "Only results of this assessment (default: all)");
  SetActionOnParse(list, action, list_options, &RunListResults);
}

}  // namespace proctor::ctl

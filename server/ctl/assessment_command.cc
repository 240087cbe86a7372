// proctorctl assessment create --id ID --course C --title T --kind intermediate|final
#include <cstdio>

#include "common/i18n.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"
#include "server/ctl/wire_names.h"

namespace proctor::ctl {
namespace {

struct CreateAssessmentOptions {
  std::string id;
  std::string course;
  std::string title;
  std::string kind;  // "intermediate" or "final", checked by the parser
};

int RunCreateAssessment(const CtlContext& context, const CreateAssessmentOptions& options) {
  v1::CreateAssessmentRequest request;
  request.set_assessment_id(options.id);
  request.set_course(options.course);
  request.set_title(options.title);
  request.set_kind(options.kind == "final" ? v1::FINAL : v1::INTERMEDIATE);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::CreateAssessmentResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::CreateAssessment, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("creating assessment $0", options.id), status);
  }
  if (context.json()) {
    context.PrintJson({{"assessment_id", options.id},
                       {"kind", AssessmentKindName(request.kind())},
                       {"policy_summary", response.policy_summary()}});
  } else {
    std::printf("%s\n", i18n::Trf("created assessment $0 ($1)\npolicy: $2", options.id,
                                  AssessmentKindName(request.kind()), response.policy_summary())
                            .c_str());
  }
  return kExitOk;
}

}  // namespace

void AddAssessmentCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group = app->add_subcommand("assessment", "Manage assessments (administrator)");
  group->require_subcommand(1);

  auto options = std::make_shared<CreateAssessmentOptions>();
  CLI::App* create = group->add_subcommand("create", "Create an assessment");
  create->add_option("--id", options->id, "Assessment id, 1-64 characters of [A-Za-z0-9._-]")
      ->required();
  create->add_option("--course", options->course, "Course it belongs to")->required();
  create->add_option("--title", options->title, "Title shown to examiners")->required();
  create
      ->add_option("--kind", options->kind,
                   "intermediate or final (final gets the stricter proctoring policy)")
      ->required()
      ->transform(CLI::IsMember({"intermediate", "final"}, CLI::ignore_case));
  SetActionOnParse(create, action, options, &RunCreateAssessment);
}

}  // namespace proctor::ctl

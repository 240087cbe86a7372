// proctorctl assessment create --id ID --course C --title T --kind intermediate|final
// proctorctl assessment notice set --id ID --file NOTICE.txt
// proctorctl assessment notice show --id ID [--version N]
#include <cstdio>

#include "common/file_io.h"
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

struct NoticeOptions {
  std::string id;
  std::string file;  // set: the notice's text, UTF-8
  int version = 0;   // show: 0 is the notice in force
};

// The notice as JSON, or its version line then its text.
int PrintNotice(const CtlContext& context, const v1::ConsentNotice& notice) {
  if (context.json()) {
    context.PrintJson({{"assessment_id", notice.assessment_id()},
                       {"version", notice.version()},
                       {"sha256", notice.sha256()},
                       {"text", notice.text()}});
    return kExitOk;
  }
  const std::string head =
      notice.version() == 0
          ? i18n::Trf("consent notice of $0: the server's built-in notice, sha256 $1",
                      notice.assessment_id(), notice.sha256())
          : i18n::Trf("consent notice of $0: version $1, sha256 $2", notice.assessment_id(),
                      notice.version(), notice.sha256());
  std::printf("%s\n\n%s\n", head.c_str(), notice.text().c_str());
  return kExitOk;
}

int RunSetNotice(const CtlContext& context, const NoticeOptions& options) {
  auto text = ReadFileBytes(options.file, 20000);
  if (!text.ok()) return ReportLocalError(i18n::Trf("--file: $0", text.status().message()));
  v1::SetConsentNoticeRequest request;
  request.set_assessment_id(options.id);
  request.set_text(std::string(text->begin(), text->end()));
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::ConsentNotice response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::SetConsentNotice, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("storing the consent notice of $0", options.id),
                                  status);
  }
  return PrintNotice(context, response);
}

int RunShowNotice(const CtlContext& context, const NoticeOptions& options) {
  v1::GetAssessmentNoticeRequest request;
  request.set_assessment_id(options.id);
  request.set_version(options.version);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::ConsentNotice response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::GetAssessmentNotice, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("reading the consent notice of $0", options.id),
                                  status);
  }
  return PrintNotice(context, response);
}

void AddNoticeCommands(CLI::App* group, CommandAction* action) {
  CLI::App* notice = group->add_subcommand(
      "notice", "The consent notice learners agree to before the camera opens (versioned)");
  notice->require_subcommand(1);
  auto set_options = std::make_shared<NoticeOptions>();
  CLI::App* set = notice->add_subcommand(
      "set", "Store a new version of the assessment's notice; sessions opened afterwards use it");
  set->add_option("--id", set_options->id, "Assessment id")->required();
  set->add_option("--file", set_options->file,
                  "The notice, UTF-8 text, at most 20000 bytes: what is captured, what leaves "
                  "the machine, who sees it, how long it is kept, how to withdraw")
      ->required();
  SetActionOnParse(set, action, set_options, &RunSetNotice);
  auto show_options = std::make_shared<NoticeOptions>();
  CLI::App* show = notice->add_subcommand("show", "Print the notice in force, or one version");
  show->add_option("--id", show_options->id, "Assessment id")->required();
  show->add_option("--version", show_options->version, "Version, 0 for the one in force")
      ->check(CLI::Range(0, 1'000'000));
  SetActionOnParse(show, action, show_options, &RunShowNotice);
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
  AddNoticeCommands(group, action);
}

}  // namespace proctor::ctl

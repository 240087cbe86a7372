// proctorctl learner enroll --learner ID --name NAME --photo FILE [--photo FILE ...]
// proctorctl learner purge --learner ID
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/file_io.h"
#include "proctor/v1/admin.grpc.pb.h"
#include "server/ctl/commands.h"

namespace proctor::ctl {
namespace {

// The server's limit per enrollment photo (admin.proto).
constexpr size_t kMaxPhotoBytes = 8 << 20;

struct EnrollOptions {
  std::string learner;
  std::string name;
  std::vector<std::string> photos;  // paths, read before any call
};

struct PurgeOptions {
  std::string learner;
};

int RunEnroll(const CtlContext& context, const EnrollOptions& options) {
  v1::EnrollLearnerRequest request;
  request.set_learner_id(options.learner);
  request.set_name(options.name);
  for (const std::string& path : options.photos) {
    auto bytes = ReadFileBytes(path, kMaxPhotoBytes);
    if (!bytes.ok()) return ReportLocalError(i18n::Trf("--photo: $0", bytes.status().message()));
    request.add_photos(bytes->data(), bytes->size());
  }
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::EnrollLearnerResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::EnrollLearner, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("enrolling learner $0", options.learner), status);
  }
  if (context.json()) {
    context.PrintJson({{"learner_id", options.learner}, {"templates", response.templates()}});
  } else {
    std::printf("%s\n", i18n::TrNf("enrolled learner $0: $1 template stored",
                                   "enrolled learner $0: $1 templates stored",
                                   response.templates(), options.learner, response.templates())
                            .c_str());
  }
  return kExitOk;
}

int RunPurge(const CtlContext& context, const PurgeOptions& options) {
  v1::PurgeLearnerRequest request;
  request.set_learner_id(options.learner);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::PurgeLearnerResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::PurgeLearner, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(i18n::Trf("purging learner $0", options.learner), status);
  }
  if (context.json()) {
    context.PrintJson({{"learner_id", options.learner},
                       {"templates_removed", response.templates_removed()},
                       {"evidence_removed", response.evidence_removed()}});
  } else {
    std::printf("%s\n", i18n::Trf("purged learner $0: templates removed: $1, evidence images "
                                  "removed: $2",
                                  options.learner, response.templates_removed(),
                                  response.evidence_removed())
                            .c_str());
  }
  return kExitOk;
}

void AddEnroll(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<EnrollOptions>();
  CLI::App* enroll = group->add_subcommand(
      "enroll", "Create or rename a learner and compute their face template from photos");
  enroll->add_option("--learner", options->learner, "Learner id, 1-64 characters of [A-Za-z0-9._-]")
      ->required();
  enroll->add_option("--name", options->name, "Display name")->required();
  enroll
      ->add_option("--photo", options->photos,
                   "photo (JPEG, PNG, WebP, TIFF or BMP) holding exactly one face, at most 8 MiB; repeat for up to 10")
      ->required()
      ->take_all();
  SetActionOnParse(enroll, action, options, &RunEnroll);
}

void AddPurge(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<PurgeOptions>();
  CLI::App* purge = group->add_subcommand(
      "purge", "Remove a learner's biometric data: face templates and session evidence images");
  purge->add_option("--learner", options->learner, "Learner id")->required();
  SetActionOnParse(purge, action, options, &RunPurge);
}

}  // namespace

void AddLearnerCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("learner", "Enroll learners and purge their data (administrator)");
  group->require_subcommand(1);
  AddEnroll(group, action);
  AddPurge(group, action);
}

}  // namespace proctor::ctl

// proctorctl learner enroll --learner ID --name NAME --photo FILE [--photo FILE ...]
//                           [--consent-ref REF [--guardian]]
// proctorctl learner purge --learner ID [--consent-withdrawn]
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
  std::string consent_ref;          // the signed consent's reference, 0-200 bytes
  bool guardian = false;            // consent given by a parent or guardian
};

struct PurgeOptions {
  std::string learner;
  bool consent_withdrawn = false;
};

int RunEnroll(const CtlContext& context, const EnrollOptions& options) {
  v1::EnrollLearnerRequest request;
  request.set_learner_id(options.learner);
  request.set_name(options.name);
  request.set_consent_ref(options.consent_ref);
  request.set_consent_by_guardian(options.guardian);
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
  request.set_consent_withdrawn(options.consent_withdrawn);
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
  enroll->add_option("--consent-ref", options->consent_ref,
                     "The signed consent to processing the learner's face (document number, LMS "
                     "record), kept in the audit log");
  enroll->add_flag("--guardian", options->guardian,
                   "The consent was given by a parent or guardian (the learner is a minor)")
      ->needs(enroll->get_option("--consent-ref"));
  SetActionOnParse(enroll, action, options, &RunEnroll);
}

struct AccommodateOptions {
  std::string learner;
  std::string assessment;
  int64_t extra_absence_s = 0;  // --extra-absence, seconds
  bool ignore_looking_away = false;
  bool identity_ends_only = false;
  int64_t extra_time_min = 0;  // --extra-time, minutes
  std::string reason;
};

int RunAccommodate(const CtlContext& context, const AccommodateOptions& o) {
  v1::SetAccommodationRequest request;
  request.set_learner_id(o.learner);
  request.set_assessment_id(o.assessment);
  request.set_extra_absence_seconds(o.extra_absence_s);
  request.set_looking_away_ignored(o.ignore_looking_away);
  request.set_identity_ends_only(o.identity_ends_only);
  request.set_extra_time_minutes(o.extra_time_min);
  request.set_reason(o.reason);
  auto stub = v1::AdminService::NewStub(context.channel());
  v1::SetAccommodationResponse response;
  const grpc::Status status =
      context.Invoke(*stub, &v1::AdminService::Stub::SetAccommodation, request, &response);
  if (!status.ok()) {
    return context.ReportRpcError(
        i18n::Trf("recording the accommodation of learner $0", o.learner), status);
  }
  if (context.json()) {
    context.PrintJson({{"learner_id", o.learner},
                       {"assessment_id", o.assessment},
                       {"policy_summary", response.policy_summary()}});
  } else {
    std::printf("%s\n", i18n::Trf("accommodation recorded for $0 in $1\npolicy: $2", o.learner,
                                  o.assessment, response.policy_summary())
                            .c_str());
  }
  return kExitOk;
}

void AddAccommodate(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<AccommodateOptions>();
  CLI::App* cmd = group->add_subcommand(
      "accommodate",
      "Record an adjustment for one learner in one assessment (administrator), with a reason");
  cmd->add_option("--learner", options->learner, "Learner id")->required();
  cmd->add_option("--assessment", options->assessment, "Assessment id")->required();
  cmd->add_option("--extra-absence", options->extra_absence_s,
                  "Seconds added to the absence tolerance, 0-3600")
      ->check(CLI::Range(int64_t{0}, int64_t{3600}));
  cmd->add_flag("--ignore-looking-away", options->ignore_looking_away,
                "Looking away is reported, not scored");
  cmd->add_flag("--identity-ends-only", options->identity_ends_only,
                "Identity is required at the start and the end only");
  cmd->add_option("--extra-time", options->extra_time_min, "Extra exam time, minutes, 0-600")
      ->check(CLI::Range(int64_t{0}, int64_t{600}));
  cmd->add_option("--reason", options->reason, "Why, 1-1000 bytes (shown to examiners)")
      ->required();
  SetActionOnParse(cmd, action, options, &RunAccommodate);
}

void AddPurge(CLI::App* group, CommandAction* action) {
  auto options = std::make_shared<PurgeOptions>();
  CLI::App* purge = group->add_subcommand(
      "purge", "Remove a learner's biometric data: face templates and session evidence images");
  purge->add_option("--learner", options->learner, "Learner id")->required();
  purge->add_flag("--consent-withdrawn", options->consent_withdrawn,
                  "The learner (or guardian) withdrew consent: audited as such");
  SetActionOnParse(purge, action, options, &RunPurge);
}

}  // namespace

void AddLearnerCommands(CLI::App* app, CommandAction* action) {
  CLI::App* group =
      app->add_subcommand("learner", "Enroll learners and purge their data (administrator)");
  group->require_subcommand(1);
  AddEnroll(group, action);
  AddPurge(group, action);
  AddAccommodate(group, action);
}

}  // namespace proctor::ctl

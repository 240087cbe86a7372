#include "server/lti/lti_provisioning.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace proctor::server::lti {
namespace {

// "lti-" + 20 hex digits of SHA-256 of the parts joined by NUL (80 bits: no collision among
// any realistic number of users or links).
std::string StableId(std::initializer_list<std::string> parts) {
  std::string joined;
  for (const std::string& p : parts) {
    joined += p;
    joined.push_back('\0');
  }
  return "lti-" + SecretHash(joined).substr(0, 20);
}

// Truncated to what the core accepts as a name or title, on a UTF-8 boundary.
std::string Fit(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace

std::string LtiLearnerId(const LtiLaunch& l) { return StableId({l.platform.issuer, l.sub}); }

std::string LtiAssessmentId(const LtiLaunch& l) {
  return StableId({l.platform.issuer, l.deployment_id, l.context_id, l.resource_link_id});
}

AssessmentKind LtiAssessmentKind(const LtiLaunch& l) {
  auto custom = l.custom.find("proctor_kind");
  if (custom != l.custom.end() && absl::EqualsIgnoreCase(custom->second, "final")) {
    return AssessmentKind::kFinal;
  }
  const std::string settings = std::string(kProctoringPrefix) + "proctoring_settings";
  if (l.claims.contains(settings) && l.claims[settings].is_object() &&
      l.claims[settings].contains("data") && l.claims[settings]["data"].is_string()) {
    const std::string data = absl::AsciiStrToLower(l.claims[settings]["data"].get<std::string>());
    if (absl::StrContains(data, "kind=final")) return AssessmentKind::kFinal;
  }
  return AssessmentKind::kIntermediate;
}

absl::StatusOr<ProvisionedLaunch> Provision(ProctorCore* core, Storage* storage,
                                            const LtiLaunch& launch, int64_t pass_seconds) {
  const Principal platform{Role::kAdministrator, Fit("lti " + launch.platform.issuer, 200), ""};
  ProvisionedLaunch out;
  const std::string learner_id = LtiLearnerId(launch);
  const std::string name = Fit(launch.name.empty() ? launch.sub : launch.name, 200);
  RETURN_IF_ERROR(storage->UpsertLearner(learner_id, name));
  ASSIGN_OR_RETURN(out.learner, storage->GetLearner(learner_id));

  Assessment wanted;
  wanted.id = LtiAssessmentId(launch);
  wanted.course = Fit(launch.context_title.empty() ? launch.context_id : launch.context_title, 200);
  if (wanted.course.empty()) wanted.course = "LTI";
  wanted.title = Fit(launch.resource_link_title.empty() ? launch.resource_link_id
                                                        : launch.resource_link_title,
                     200);
  wanted.kind = LtiAssessmentKind(launch);
  absl::StatusOr<Assessment> existing = storage->GetAssessment(wanted.id);
  if (absl::IsNotFound(existing.status())) {
    absl::Status created = core->CreateAssessment(platform, wanted).status();
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;  // a concurrent launch
    out.assessment_created = created.ok();
    ASSIGN_OR_RETURN(out.assessment, storage->GetAssessment(wanted.id));
  } else {
    RETURN_IF_ERROR(existing.status());
    out.assessment = *existing;
  }
  ASSIGN_OR_RETURN(out.pass,
                   core->IssuePass(platform, learner_id, out.assessment.id, pass_seconds));
  return out;
}

}  // namespace proctor::server::lti

// What an accepted LTI launch creates: the learner (by the platform and its user id), the
// assessment (by the platform, deployment, course and resource link; INTERMEDIATE unless the
// course says FINAL), and a one-time exam pass for this attempt — with no proctorctl step per
// learner. Through ProctorCore, as an administrator named after the platform, so that every
// creation is audited like an administrator's.
#ifndef PROCTOR_SERVER_LTI_LTI_PROVISIONING_H_
#define PROCTOR_SERVER_LTI_LTI_PROVISIONING_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/core/proctor_core.h"
#include "server/core/storage.h"
#include "server/lti/lti_tool.h"

namespace proctor::server::lti {

struct ProvisionedLaunch {
  Learner learner;  // name and template_count (0: the learner must enroll first)
  Assessment assessment;
  bool assessment_created = false;
  IssuedPass pass;
};

// The stable ids: "lti-" and 20 hex digits of SHA-256 over the platform's names for them.
std::string LtiLearnerId(const LtiLaunch& launch);
std::string LtiAssessmentId(const LtiLaunch& launch);
// FINAL when the custom parameter proctor_kind, or Proctoring Services' proctoring_settings data
// "kind=…", says final (any case); INTERMEDIATE otherwise.
AssessmentKind LtiAssessmentKind(const LtiLaunch& launch);

// For LtiResourceLinkRequest and LtiStartProctoring. The pass is valid for `pass_seconds`.
absl::StatusOr<ProvisionedLaunch> Provision(ProctorCore* core, Storage* storage,
                                            const LtiLaunch& launch, int64_t pass_seconds);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_LTI_PROVISIONING_H_

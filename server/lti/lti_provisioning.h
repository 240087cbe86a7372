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
  LtiAttempt attempt;  // stored: the learner's page is /lti/attempts/<attempt.id>
};

// What the server has seen of an attempt's session, by its own checks (never the client's word).
struct AttemptStatus {
  std::string session_id;  // "" until the learner's client opened a session for the attempt
  bool session_closed = false;
  // An IDENTITY_VERIFIED event whose descriptor the server measured within the policy's
  // threshold of the enrolled templates, with its evidence frame, and no EVIDENCE_MISMATCH.
  bool identity_verified = false;
  float distance = -1.0f;  // of the closest such event
  double threshold = 0;
  bool evidence_mismatch = false;
  bool liveness_required = false;  // the assessment's policy asks for it
  bool liveness_passed = false;    // the server's own LIVENESS_PASSED finding
  // May the learner continue to the assessment? Only while the session runs.
  bool ready() const {
    return !session_closed && identity_verified && !evidence_mismatch &&
           (!liveness_required || liveness_passed);
  }
};

absl::StatusOr<AttemptStatus> StatusOf(Storage* storage, const LtiAttempt& attempt);

// The LtiStartAssessment message's claims (LTI Proctoring Services 1.0 §4.3), to be signed by
// the tool: issuer the tool's client id, audience the platform, the launch's session_data,
// attempt number and resource link, and as verified_user what the server verified.
nlohmann::json StartAssessmentClaims(const LtiAttempt& attempt, const Learner& learner,
                                     const AttemptStatus& status, int64_t now_unix_ms);

// What a launch said of the LMS's services, kept in the attempt (LtiAttempt::services) for the
// messages that go back: only URLs IsAllowedLtiUrl accepts are kept.
struct AttemptServices {
  std::string sub;                  // the user at the platform (AGS userId, ACS user.sub)
  std::string lineitems_url;        // AGS: the context's line items
  std::string lineitem_url;         // AGS: the LMS's own line item of the launch, if it named one
  std::vector<std::string> scopes;  // AGS scopes the platform grants the tool
  std::string acs_url;              // Proctoring Services: the Assessment Control Service
  std::vector<std::string> acs_actions;  // what it supports: flag, terminate, ...
  std::string return_url;           // launch_presentation.return_url
  bool HasScope(const std::string& scope) const;
  bool AcsSupports(const std::string& action) const;
};
AttemptServices ServicesOf(const LtiLaunch& launch);
std::string ServicesJson(const AttemptServices& services);
// "{}" or unreadable JSON gives no services.
AttemptServices ParseServices(const std::string& json);

// The stable ids: "lti-" and 20 hex digits of SHA-256 over the platform's names for them.
std::string LtiLearnerId(const LtiLaunch& launch);
std::string LtiAssessmentId(const LtiLaunch& launch);
// FINAL when the custom parameter proctor_kind, or Proctoring Services' proctoring_settings data
// "kind=…", says final (any case); INTERMEDIATE otherwise.
AssessmentKind LtiAssessmentKind(const LtiLaunch& launch);

// Whether the launch is a learner's: a Learner membership or Student institution role, or no
// role at all. Instructors, teaching assistants, content developers and administrators who open
// the link get no pass (nothing is created for them).
bool IsLearnerLaunch(const LtiLaunch& launch);

// For LtiResourceLinkRequest and LtiStartProctoring. The pass is valid for `pass_seconds` and
// kept sealed in the attempt, for the learner's page.
absl::StatusOr<ProvisionedLaunch> Provision(ProctorCore* core, Storage* storage,
                                            const SealedBox* box, const LtiLaunch& launch,
                                            int64_t pass_seconds, int64_t now_unix_ms);
// LtiEndAssessment: the learner's attempt with the launch's attempt number on that resource link
// (the latest when the platform sends none), and its session closed and scored. NOT_FOUND when
// the tool began no such attempt.
struct EndedAttempt {
  LtiAttempt attempt;
  std::string session_id;  // "" when the learner never opened the session
  bool closed_now = false;  // false: it was closed already
};
absl::StatusOr<EndedAttempt> EndAttempt(ProctorCore* core, Storage* storage,
                                        const LtiLaunch& launch);

// The pass an attempt keeps.
absl::StatusOr<std::string> AttemptPass(const SealedBox* box, const LtiAttempt& attempt);

}  // namespace proctor::server::lti

#endif  // PROCTOR_SERVER_LTI_LTI_PROVISIONING_H_

#include "server/core/domain.h"

namespace proctor::server {

std::string AssessmentKindName(AssessmentKind kind) {
  return kind == AssessmentKind::kFinal ? "FINAL" : "INTERMEDIATE";
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kAdministrator:
      return "ADMINISTRATOR";
    case Role::kExaminer:
      return "EXAMINER";
    case Role::kLmsConnector:
      return "LMS_CONNECTOR";
    case Role::kLearner:
      return "LEARNER";
  }
  return "UNKNOWN";
}

std::string SessionStateName(SessionState state) {
  return state == SessionState::kClosed ? "CLOSED" : "OPEN";
}

std::string VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kNone:
      return "NONE";
    case Verdict::kAutoAccepted:
      return "AUTO_ACCEPTED";
    case Verdict::kPendingReview:
      return "PENDING_REVIEW";
    case Verdict::kAccepted:
      return "ACCEPTED";
    case Verdict::kRejected:
      return "REJECTED";
  }
  return "NONE";
}

std::string ResultStatusName(ResultStatus status) {
  switch (status) {
    case ResultStatus::kOfficial:
      return "OFFICIAL";
    case ResultStatus::kPendingReview:
      return "PENDING_REVIEW";
    case ResultStatus::kRejected:
      return "REJECTED";
  }
  return "PENDING_REVIEW";
}

ResultStatus ResultStatusFor(SessionState state, Verdict verdict) {
  if (state != SessionState::kClosed) return ResultStatus::kPendingReview;
  if (verdict == Verdict::kAutoAccepted || verdict == Verdict::kAccepted) {
    return ResultStatus::kOfficial;
  }
  if (verdict == Verdict::kRejected) return ResultStatus::kRejected;
  return ResultStatus::kPendingReview;
}

}  // namespace proctor::server

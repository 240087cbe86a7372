#include "server/core/domain.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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

bool IsAllowedLtiUrl(std::string_view url) {
  absl::string_view rest(url.data(), url.size());
  if (absl::ConsumePrefix(&rest, "https://")) return !rest.empty() && rest.front() != '/';
  if (!absl::ConsumePrefix(&rest, "http://")) return false;
  const absl::string_view host = rest.substr(0, rest.find_first_of(":/"));
  return host == "127.0.0.1" || host == "localhost" || absl::StartsWith(rest, "[::1]");
}

namespace {

absl::Status CheckLtiUrl(const char* flag, const std::string& url) {
  if (IsAllowedLtiUrl(url)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " must be an https:// URL (http:// only to this computer, for tests): '", url, "'"));
}

absl::Status CheckLtiId(const char* flag, const std::string& id) {
  if (id.empty() || id.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " must be 1 to 255 bytes"));
  }
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " must not contain control characters"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLtiPlatform(const LtiPlatform& p) {
  if (absl::Status s = CheckLtiUrl("--issuer", p.issuer); !s.ok()) return s;
  if (absl::Status s = CheckLtiId("--client-id", p.client_id); !s.ok()) return s;
  if (p.deployment_ids.empty()) {
    return absl::InvalidArgumentError("at least one --deployment-id is needed");
  }
  for (const std::string& d : p.deployment_ids) {
    if (absl::Status s = CheckLtiId("--deployment-id", d); !s.ok()) return s;
  }
  if (absl::Status s = CheckLtiUrl("--auth-url", p.auth_url); !s.ok()) return s;
  if (absl::Status s = CheckLtiUrl("--token-url", p.token_url); !s.ok()) return s;
  return CheckLtiUrl("--jwks-url", p.jwks_url);
}

}  // namespace proctor::server

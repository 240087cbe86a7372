#include "server/core/domain.h"

#include <optional>

#include "absl/strings/ascii.h"
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

std::string SelfEnrollmentStateName(SelfEnrollmentState state) {
  switch (state) {
    case SelfEnrollmentState::kPending:
      return "pending";
    case SelfEnrollmentState::kConfirmed:
      return "confirmed";
    case SelfEnrollmentState::kRejected:
      return "rejected";
  }
  return "unknown";
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

namespace {

// An absolute http(s) URL without userinfo or fragment, split into its origin's parts; nullopt
// for anything else (characters that could end a header or a CSP source, whitespace, ...).
struct LtiUrlParts {
  std::string scheme;  // "https" or "http"
  std::string host;    // a DNS name, an IPv4 address or "[IPv6]"
  std::string port;    // "" or 1-65535
};

std::optional<LtiUrlParts> ParseLtiUrl(std::string_view url) {
  LtiUrlParts out;
  absl::string_view rest(url.data(), url.size());
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.scheme = "https";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.scheme = "http";
  } else {
    return std::nullopt;
  }
  for (unsigned char c : rest) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == ';' || c == ',' || c == '<' ||
        c == '>' || c == '\\' || c == '`' || c == '{' || c == '}' || c == '|' || c == '^' ||
        c == '#') {
      return std::nullopt;
    }
  }
  const size_t end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, end);
  if (authority.empty() || absl::StrContains(authority, '@')) return std::nullopt;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos || close < 3) return std::nullopt;
    for (char c : authority.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return std::nullopt;
    }
    out.host = std::string(authority.substr(0, close + 1));
    authority.remove_prefix(close + 1);
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == absl::string_view::npos ? authority.size() : colon);
    if (out.host.empty()) return std::nullopt;
    for (char c : out.host) {
      if (!absl::ascii_isalnum(c) && c != '.' && c != '-') return std::nullopt;
    }
  }
  if (!authority.empty()) {
    if (!absl::ConsumePrefix(&authority, ":") || authority.empty() || authority.size() > 5) {
      return std::nullopt;
    }
    int port = 0;
    for (char c : authority) {
      if (!absl::ascii_isdigit(c)) return std::nullopt;
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return std::nullopt;
    out.port = std::string(authority);
  }
  return out;
}

}  // namespace

bool IsAllowedLtiUrl(std::string_view url) {
  const std::optional<LtiUrlParts> parts = ParseLtiUrl(url);
  if (!parts) return false;
  if (parts->scheme == "https") return true;
  return parts->host == "127.0.0.1" || parts->host == "localhost" || parts->host == "[::1]";
}

std::string LtiUrlOrigin(std::string_view url) {
  const std::optional<LtiUrlParts> parts = ParseLtiUrl(url);
  if (!parts || !IsAllowedLtiUrl(url)) return "";
  return parts->scheme + "://" + parts->host + (parts->port.empty() ? "" : ":" + parts->port);
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

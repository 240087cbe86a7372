#include "server/ctl/wire_names.h"

#include "protocol/identity_rule.h"

#include <charconv>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace proctor::ctl {
namespace {

std::string OrNumber(const std::string& name, int value) {
  return name.empty() ? std::to_string(value) : name;
}

std::string WithoutPrefix(std::string name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) == 0) name.erase(0, prefix.size());
  return name;
}

}  // namespace

std::string EventKindName(v1::EventKind kind) { return OrNumber(v1::EventKind_Name(kind), kind); }

std::string EventPhaseName(v1::EventPhase phase) {
  return OrNumber(v1::EventPhase_Name(phase), phase);
}

std::string SessionStateName(v1::SessionState state) {
  return OrNumber(v1::SessionState_Name(state), state);
}

std::string AssessmentKindName(v1::AssessmentKind kind) {
  return OrNumber(v1::AssessmentKind_Name(kind), kind);
}

std::string VerdictName(v1::Verdict verdict) {
  return OrNumber(WithoutPrefix(v1::Verdict_Name(verdict), "VERDICT_"), verdict);
}

std::string ResultStatusName(v1::ResultStatus status) {
  if (status == v1::RESULT_STATUS_UNSPECIFIED) return "UNSPECIFIED";
  return OrNumber(WithoutPrefix(v1::ResultStatus_Name(status), "RESULT_"), status);
}

std::string MediaTime(int64_t ms) {
  const char* sign = ms < 0 ? "-" : "";
  const uint64_t abs_ms = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  return absl::StrFormat("%s%02d:%02d.%03d", sign, abs_ms / 60000, abs_ms / 1000 % 60,
                         abs_ms % 1000);
}

std::string UtcTime(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

double ShortDouble(float value) { return protocol::ShortDouble(value); }

}  // namespace proctor::ctl

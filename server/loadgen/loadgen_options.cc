#include "server/loadgen/loadgen_options.h"

#include "absl/strings/str_cat.h"

namespace proctor::loadgen {
namespace {

absl::Status OutOfRange(const char* flag, int64_t value, int64_t low, int64_t high) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " must be within ", low, "-", high, ", got ", value));
}

}  // namespace

absl::Status ValidateLoadgenOptions(const LoadgenOptions& o) {
  if (o.sessions < 1 || o.sessions > 100000) return OutOfRange("--sessions", o.sessions, 1, 100000);
  if (o.events < 1 || o.events > 1000000000) {
    return OutOfRange("--events", o.events, 1, 1000000000);
  }
  if (o.batch < 1 || o.batch > 500) return OutOfRange("--batch", o.batch, 1, 500);
  if (o.rate < 0 || o.rate > 1e6) {
    return absl::InvalidArgumentError("--rate must be within 0 (unpaced) and 1e6 events/s");
  }
  if (o.duration_s < 0 || o.duration_s > 7 * 24 * 3600.0) {
    return absl::InvalidArgumentError("--duration must be within 0 (use --events) and a week");
  }
  if (o.ramp_s < 0 || (o.duration_s > 0 && o.ramp_s >= o.duration_s)) {
    return absl::InvalidArgumentError(
        "--ramp must be 0 or positive, and shorter than --duration when that is set");
  }
  if (o.evidence_every < 0) {
    return absl::InvalidArgumentError("--evidence-every must be 0 (never) or positive");
  }
  if (o.channels < 1 || o.channels > 100000) {
    return OutOfRange("--channels", o.channels, 1, 100000);
  }
  if (!(o.timeout_s > 0)) return absl::InvalidArgumentError("--timeout must be positive");
  if (o.assessment.empty()) return absl::InvalidArgumentError("--assessment must not be empty");
  return absl::OkStatus();
}

}  // namespace proctor::loadgen

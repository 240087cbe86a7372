#include "protocol/identity_rule.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/event.h"

namespace proctor::protocol {

double DescriptorDistance(absl::Span<const float> a, absl::Span<const float> b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += d * d;
  }
  return std::sqrt(sum);
}

std::optional<double> IdentityDistance(absl::Span<const float> probe,
                                       absl::Span<const Template> templates) {
  std::optional<double> best;
  for (const Template& t : templates) {
    const double d = DescriptorDistance(probe, t);
    if (!best || d < *best) best = d;
  }
  return best;
}

bool SamePerson(double distance, MatchThreshold threshold) {
  return distance <= static_cast<double>(threshold);
}

bool DistancesAgree(double client_distance, double server_distance, double tolerance) {
  return std::fabs(client_distance - server_distance) <= tolerance;
}

absl::Status ValidateMatchThreshold(double threshold, const char* what) {
  if (!(threshold > 0.0 && threshold <= 2.0)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be in (0, 2], got ", threshold));
  }
  return absl::OkStatus();
}

absl::Status ValidateTemplates(absl::Span<const Template> templates, const char* what) {
  for (size_t t = 0; t < templates.size(); ++t) {
    if (templates[t].size() != kDescriptorSize) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": template ", t + 1, " has ",
                                                     templates[t].size(), " values, not ",
                                                     kDescriptorSize));
    }
    for (float v : templates[t]) {
      // The network's outputs have a norm near 1; any component beyond 10 is not from it.
      if (!std::isfinite(v) || std::fabs(v) > 10.0f) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": template ", t + 1, " holds a value that is not a finite number in [-10, 10]"));
      }
    }
  }
  return absl::OkStatus();
}

double ShortDouble(float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer) - 1, value);
  *result.ptr = '\0';
  return std::strtod(buffer, nullptr);
}

}  // namespace proctor::protocol

#include "biometrics/face_matcher.h"

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace proctor::biometrics {

double DescriptorDistance(const Descriptor& a, const Descriptor& b) {
  return protocol::DescriptorDistance(a, b);
}

absl::StatusOr<Descriptor> DescriptorFromValues(const std::vector<double>& values) {
  if (values.size() != static_cast<size_t>(kDescriptorSize)) {
    return absl::InvalidArgumentError(absl::StrCat("face descriptor must have ", kDescriptorSize,
                                                   " values, got ", values.size()));
  }
  Descriptor d;
  for (int i = 0; i < kDescriptorSize; ++i) {
    // The network's outputs have a norm near 1; any component beyond 10 is not from it.
    if (!std::isfinite(values[i]) || std::abs(values[i]) > 10.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("face descriptor value ", i, " is not a finite number in [-10, 10]"));
    }
    d[i] = static_cast<float>(values[i]);
  }
  return d;
}

absl::StatusOr<FaceMatcher> FaceMatcher::Create(double threshold) {
  if (auto s = protocol::ValidateMatchThreshold(threshold); !s.ok()) return s;
  return FaceMatcher(static_cast<protocol::MatchThreshold>(threshold));
}

MatchDecision FaceMatcher::Compare(const Descriptor& reference, const Descriptor& probe) const {
  MatchDecision decision;
  decision.threshold = threshold_;
  decision.distance = DescriptorDistance(reference, probe);
  decision.match = protocol::SamePerson(decision.distance, threshold_);
  return decision;
}

MatchDecision FaceMatcher::BestOf(const Descriptor& reference,
                                  const std::vector<Descriptor>& probes) const {
  MatchDecision best;
  best.threshold = threshold_;
  best.distance = std::numeric_limits<double>::infinity();
  for (const Descriptor& probe : probes) {
    const MatchDecision d = Compare(reference, probe);
    if (d.distance < best.distance) best = d;
  }
  return best;
}

}  // namespace proctor::biometrics

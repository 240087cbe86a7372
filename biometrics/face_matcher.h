// Comparing identity descriptors with the identity rule both ends share
// (protocol/identity_rule.h): Euclidean distance, same person at or below the threshold.
#ifndef PROCTOR_BIOMETRICS_FACE_MATCHER_H_
#define PROCTOR_BIOMETRICS_FACE_MATCHER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "biometrics/face_types.h"
#include "protocol/identity_rule.h"

namespace proctor::biometrics {

// dlib's threshold for its ResNet: 99.38% on LFW.
inline constexpr protocol::MatchThreshold kDefaultMatchThreshold = protocol::kDefaultMatchThreshold;

// Euclidean distance between two descriptors. Thread-safe.
double DescriptorDistance(const Descriptor& a, const Descriptor& b);

// Checks a descriptor that arrived from outside (a client, a file): exactly kDescriptorSize
// finite values of plausible magnitude. INVALID_ARGUMENT saying what is wrong.
absl::StatusOr<Descriptor> DescriptorFromValues(const std::vector<double>& values);

struct MatchDecision {
  double distance = 0;
  protocol::MatchThreshold threshold = kDefaultMatchThreshold;
  bool match = false;  // protocol::SamePerson: distance <= threshold
};

// Decides "same person" by distance <= threshold. Immutable; thread-safe.
class FaceMatcher {
 public:
  // INVALID_ARGUMENT unless 0 < threshold <= 2 (descriptors have unit-ish norm, so 2 is the
  // largest meaningful distance).
  static absl::StatusOr<FaceMatcher> Create(double threshold = kDefaultMatchThreshold);

  MatchDecision Compare(const Descriptor& reference, const Descriptor& probe) const;
  // The probe face closest to `reference`; `probes` must not be empty.
  MatchDecision BestOf(const Descriptor& reference, const std::vector<Descriptor>& probes) const;
  protocol::MatchThreshold threshold() const { return threshold_; }

 private:
  explicit FaceMatcher(protocol::MatchThreshold threshold) : threshold_(threshold) {}
  protocol::MatchThreshold threshold_;
};

}  // namespace proctor::biometrics

#endif  // PROCTOR_BIOMETRICS_FACE_MATCHER_H_

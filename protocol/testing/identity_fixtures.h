// Identity fixtures the rule, the server's policy and its ledger are tested against (the client's
// monitor and the e2e test check the same rule on real faces): one learner enrolled with three templates, the FIRST of them a
// weaker photo, and probes whose distances are exact by construction (each offset lies along
// its own axis, so distances are Pythagorean sums).
//
//   template   offset from the learner's base      probe distances (nearest in [])
//   weak       0.50 along axis 1                    honest: 0.510, borderline: 0.673
//   good       0.20 along axis 2                    honest: [0.224], borderline: [0.492]
//   fair       0.25 along axis 3                    honest: 0.269, borderline: 0.515
//   impostor   0.70 along axis 5 (not enrolled)     nearest 0.728 (good)
//
// The borderline probe is the case an identity rule that looks only at the first template gets
// wrong: 0.673 from it (a mismatch at 0.6) but 0.492 from the nearest (the learner).
#ifndef PROCTOR_PROTOCOL_TESTING_IDENTITY_FIXTURES_H_
#define PROCTOR_PROTOCOL_TESTING_IDENTITY_FIXTURES_H_

#include <cmath>
#include <vector>

#include "common/event.h"

namespace proctor::protocol::testing {

// The learner's base descriptor: a fixed pattern of norm ~1 spread over every component.
inline std::vector<float> LearnerBase() {
  std::vector<float> v(kDescriptorSize);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>(0.088 * std::cos(0.37 * static_cast<double>(i) + 0.5));
  }
  return v;
}

// The base moved by `amount` along axis `axis` (the offsets of the table above).
inline std::vector<float> Offset(size_t axis, float amount) {
  std::vector<float> v = LearnerBase();
  v[axis] += amount;
  return v;
}

// The three enrolled templates in enrollment order: weak, good, fair.
inline std::vector<std::vector<float>> ThreeTemplatesWeakFirst() {
  return {Offset(1, 0.50f), Offset(2, 0.20f), Offset(3, 0.25f)};
}
inline std::vector<float> HonestProbe() { return Offset(4, 0.10f); }
inline std::vector<float> BorderlineProbe() { return Offset(4, 0.45f); }
inline std::vector<float> ImpostorProbe() { return Offset(5, 0.70f); }

// sqrt(a^2 + b^2): the exact distance between two offsets along different axes.
inline double Hypot(double a, double b) { return std::sqrt(a * a + b * b); }

}  // namespace proctor::protocol::testing

#endif  // PROCTOR_PROTOCOL_TESTING_IDENTITY_FIXTURES_H_

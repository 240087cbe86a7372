// The identity rule: the one definition, on the client and on the server, of how far a face is
// from the enrolled learner and when that counts as the same person.
//
//   identity distance = the Euclidean distance from the face's descriptor to the NEAREST of the
//                       learner's enrolled templates (every template counts, in any order);
//   same person       = identity distance <= match threshold (a MatchThreshold, float as on the
//                       wire: proctor.v1.OpenSessionResponse.match_threshold).
//
// The server sends the client every enrolled template (OpenSessionResponse.enrolled_templates),
// so the distance the client reports (Event.client_distance) is the one the server recomputes
// from the descriptor the client sent; the two agree to float rounding, and a larger
// disagreement (DistancesAgree false) is evidence of a client that does not tell the truth.
// Pure functions; thread-safe.
#ifndef PROCTOR_PROTOCOL_IDENTITY_RULE_H_
#define PROCTOR_PROTOCOL_IDENTITY_RULE_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace proctor::protocol {

// The type of a match threshold everywhere: policy, wire, client options. Distance units, (0, 2].
using MatchThreshold = float;

// dlib's threshold for its ResNet (99.38% on LFW): the INTERMEDIATE policy and the CLI default.
inline constexpr MatchThreshold kDefaultMatchThreshold = 0.6f;
// The FINAL policy's stricter threshold: fewer false matches for more false non-matches (the
// operating points behind both are measured by `proctor-face eval`, docs/ACCURACY.md).
inline constexpr MatchThreshold kFinalMatchThreshold = 0.55f;

// Largest accepted gap between the distance a client reports and the one the server computes
// from the same descriptor. Both apply IdentityDistance to the same floats, so an honest client
// differs by float rounding (~1e-7); 0.02 leaves room for a client built with other SIMD.
inline constexpr double kDefaultDistanceTolerance = 0.02;

// An enrolled template or a probe descriptor: kDescriptorSize (128) floats.
using Template = std::vector<float>;

// Euclidean distance, accumulated in double. Descriptors of different lengths are not
// comparable: +infinity.
double DescriptorDistance(absl::Span<const float> a, absl::Span<const float> b);

// The identity distance: the smallest DescriptorDistance from `probe` to any template; nullopt
// when there is no template (identity cannot be checked).
std::optional<double> IdentityDistance(absl::Span<const float> probe,
                                       absl::Span<const Template> templates);

// Same person iff distance <= threshold (at the threshold counts as a match, as the proto says).
bool SamePerson(double distance, MatchThreshold threshold);

// The client's reported distance agrees with the server's own within `tolerance`.
bool DistancesAgree(double client_distance, double server_distance,
                    double tolerance = kDefaultDistanceTolerance);

// INVALID_ARGUMENT unless 0 < threshold <= 2 (descriptors have unit-ish norm, so 2 is the
// largest meaningful distance). `what` names the value in the message ("--threshold").
absl::Status ValidateMatchThreshold(double threshold, const char* what = "match threshold");

// INVALID_ARGUMENT unless every template holds kDescriptorSize finite values in [-10, 10]
// (what a server or a file sent; `what` names the source in the message).
absl::Status ValidateTemplates(absl::Span<const Template> templates, const char* what);

// The double whose shortest decimal form is the float's (0.55f -> 0.55, not 0.550000011920929):
// how a threshold or a distance that travelled as a float is shown to people and in JSON.
double ShortDouble(float value);

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_IDENTITY_RULE_H_

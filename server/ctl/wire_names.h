// How proctorctl shows wire values: enum values by their stable proto names (the names every
// JSON output uses), media times, and floats without binary noise.
#ifndef PROCTOR_SERVER_CTL_WIRE_NAMES_H_
#define PROCTOR_SERVER_CTL_WIRE_NAMES_H_

#include <cstdint>
#include <string>

#include "proctor/v1/types.pb.h"

namespace proctor::ctl {

// The proto names ("IDENTITY_VERIFIED", "BEGIN", "CLOSED", "FINAL"); a value this build does
// not know (a newer server) shows as its number.
std::string EventKindName(v1::EventKind kind);
std::string EventPhaseName(v1::EventPhase phase);
std::string SessionStateName(v1::SessionState state);
std::string AssessmentKindName(v1::AssessmentKind kind);
// The proto name, except VERDICT_NONE → "NONE" and VERDICT_UNSPECIFIED → "UNSPECIFIED".
std::string VerdictName(v1::Verdict verdict);
// "OFFICIAL", "PENDING_REVIEW", "REJECTED" (the proto names without RESULT_), "UNSPECIFIED".
std::string ResultStatusName(v1::ResultStatus status);

// Milliseconds of media time as "mm:ss.mmm" (minutes grow past 59: "75:02.250").
std::string MediaTime(int64_t ms);
// Unix milliseconds as "2024-05-01 14:03:22 UTC"; "-" for 0.
std::string UtcTime(int64_t unix_ms);
// The double whose shortest decimal form is the float's: 0.412f → 0.412, not 0.41200000047.
double ShortDouble(float value);

}  // namespace proctor::ctl

#endif  // PROCTOR_SERVER_CTL_WIRE_NAMES_H_

// Shape checks on events arriving from the wire, before anything else looks at them. Pure
// functions of their input (no storage, no crypto), so a fuzzer can drive them directly.
#ifndef PROCTOR_SERVER_CORE_EVENT_VALIDATION_H_
#define PROCTOR_SERVER_CORE_EVENT_VALIDATION_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/event.h"

namespace proctor::server {

inline constexpr size_t kMaxBatchEvents = 500;

// True for kinds that carry a 128-d descriptor (IDENTITY_VERIFIED, IDENTITY_MISMATCH).
bool IsIdentityKind(EventKind kind);

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsUtf8(std::string_view s);
// True for kinds reported as BEGIN/END pairs (FACE_ABSENT, MULTIPLE_FACES, LOOKING_AWAY,
// CAMERA_UNAVAILABLE).
bool IsStateKind(EventKind kind);

// INVALID_ARGUMENT, naming the seq and the field, when the event breaks a range in
// proto/proctor/v1/types.proto: seq 0, an unknown or server-only kind, a phase the kind cannot
// have, at_ms/duration_ms out of range, a descriptor of the wrong length or with a non-finite
// or huge value, a bad client distance or face count, oversized evidence or detail, detail that
// is not UTF-8, or a session id of the wrong size.
absl::Status ValidateEvent(const Event& event);

// Checks every event and that the batch holds 1..kMaxBatchEvents events of one session with
// consecutive seqs and non-decreasing at_ms.
absl::Status ValidateBatch(const std::vector<Event>& events);

}  // namespace proctor::server

#endif  // PROCTOR_SERVER_CORE_EVENT_VALIDATION_H_

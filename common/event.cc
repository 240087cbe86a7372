#include "common/event.h"

#include <array>

namespace proctor {
namespace {

constexpr std::array<std::string_view, kMaxEventKind + 1> kKindNames = {
    "EVENT_KIND_UNSPECIFIED", "SESSION_STARTED",   "IDENTITY_VERIFIED",
    "IDENTITY_MISMATCH",      "FACE_ABSENT",       "MULTIPLE_FACES",
    "LOOKING_AWAY",           "LIVENESS_PASSED",   "LIVENESS_FAILED",
    "CAMERA_UNAVAILABLE",     "EVIDENCE_MISMATCH", "HEARTBEAT",
    "SESSION_ENDED",          "CONSENT_GIVEN",     "LIVENESS_STEP",
};

}  // namespace

std::string EventKindName(EventKind kind) {
  const int index = static_cast<int>(kind);
  if (index < 0 || index > kMaxEventKind) return std::string(kKindNames[0]);
  return std::string(kKindNames[index]);
}

std::optional<EventKind> EventKindFromName(std::string_view name) {
  for (int i = 1; i <= kMaxEventKind; ++i) {
    if (kKindNames[i] == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

std::string EventPhaseName(EventPhase phase) {
  switch (phase) {
    case EventPhase::kBegin:
      return "BEGIN";
    case EventPhase::kEnd:
      return "END";
    case EventPhase::kInstant:
      break;
  }
  return "INSTANT";
}

}  // namespace proctor

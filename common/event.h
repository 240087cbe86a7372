// The attestation event as both client and server see it, independent of the wire format.
// service/ and uplink/ code convert to and from proctor.v1.Event; nothing else sees the proto.
#ifndef PROCTOR_COMMON_EVENT_H_
#define PROCTOR_COMMON_EVENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctor {

// Values equal the proto enum numbers; names are the stable contract names.
enum class EventKind : int {
  kUnspecified = 0,
  kSessionStarted = 1,
  kIdentityVerified = 2,
  kIdentityMismatch = 3,
  kFaceAbsent = 4,
  kMultipleFaces = 5,
  kLookingAway = 6,
  kLivenessPassed = 7,
  kLivenessFailed = 8,
  kCameraUnavailable = 9,
  kEvidenceMismatch = 10,
  kHeartbeat = 11,
  kSessionEnded = 12,
  kConsentGiven = 13,
  kLivenessStep = 14,
};
inline constexpr int kMaxEventKind = 14;

enum class EventPhase : int { kInstant = 0, kBegin = 1, kEnd = 2 };

// "IDENTITY_VERIFIED" etc.; "EVENT_KIND_UNSPECIFIED" for anything unknown.
std::string EventKindName(EventKind kind);
std::optional<EventKind> EventKindFromName(std::string_view name);
std::string EventPhaseName(EventPhase phase);

using Hash32 = std::array<uint8_t, 32>;

// Limits every producer respects and the server enforces (see proto/proctor/v1/types.proto).
inline constexpr size_t kDescriptorSize = 128;
inline constexpr size_t kMaxEvidenceBytes = 256 * 1024;
inline constexpr size_t kMaxDetailBytes = 256;
inline constexpr size_t kMaxSessionIdBytes = 64;
inline constexpr int64_t kMaxAtMs = int64_t{1} << 53;

struct Event {
  std::string session_id;
  uint64_t seq = 0;  // 1-based, contiguous within a session
  EventKind kind = EventKind::kUnspecified;
  EventPhase phase = EventPhase::kInstant;
  int64_t at_ms = 0;                   // media ms since session start
  int64_t duration_ms = 0;             // phase kEnd only: how long the state lasted
  std::vector<float> descriptor;       // identity events: 128 values; empty otherwise
  float client_distance = -1.0f;       // identity events: the client's distance; -1 if absent
  int32_t face_count = -1;             // faces in the frame; -1 when not applicable
  std::vector<uint8_t> evidence_jpeg;  // optional JPEG chip or frame, <= kMaxEvidenceBytes
  std::string detail;                  // <= kMaxDetailBytes, UTF-8
  Hash32 prev_hash{};                  // hash of event seq-1; zeros for seq 1
};

}  // namespace proctor

#endif  // PROCTOR_COMMON_EVENT_H_

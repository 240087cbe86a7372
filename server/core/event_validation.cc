#include "server/core/event_validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "protocol/consent.h"
#include "protocol/liveness.h"

namespace proctor::server {
namespace {

absl::Status Bad(const Event& e, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("event seq ", e.seq, ": ", what));
}


absl::Status ValidateDescriptor(const Event& e) {
  if (!IsIdentityKind(e.kind)) {
    if (!e.descriptor.empty()) return Bad(e, "only identity events carry a descriptor");
    if (e.client_distance != -1.0f) return Bad(e, "only identity events carry a distance");
    return absl::OkStatus();
  }
  if (e.descriptor.size() != kDescriptorSize) {
    return Bad(e, absl::StrCat("descriptor must have ", kDescriptorSize, " values, got ",
                               e.descriptor.size()));
  }
  for (size_t i = 0; i < e.descriptor.size(); ++i) {
    if (!std::isfinite(e.descriptor[i]) || std::fabs(e.descriptor[i]) >= 10.0f) {
      return Bad(e, absl::StrCat("descriptor value ", i, " is not a finite number below 10"));
    }
  }
  const bool distance_ok =
      e.client_distance == -1.0f ||
      (std::isfinite(e.client_distance) && e.client_distance >= 0.0f && e.client_distance <= 4.0f);
  if (!distance_ok) return Bad(e, "client_distance must be -1 or within 0-4");
  return absl::OkStatus();
}

absl::Status ValidateTiming(const Event& e) {
  if (e.at_ms < 0 || e.at_ms > kMaxAtMs) return Bad(e, "at_ms must be within 0 to 2^53");
  if (e.phase == EventPhase::kEnd) {
    if (e.duration_ms < 0 || e.duration_ms > e.at_ms) {
      return Bad(e, "duration_ms of an END must be within 0 and at_ms");
    }
  } else if (e.duration_ms != 0) {
    return Bad(e, "duration_ms is only set on END events");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool IsIdentityKind(EventKind kind) {
  return kind == EventKind::kIdentityVerified || kind == EventKind::kIdentityMismatch;
}

bool IsStateKind(EventKind kind) {
  return kind == EventKind::kFaceAbsent || kind == EventKind::kMultipleFaces ||
         kind == EventKind::kLookingAway || kind == EventKind::kCameraUnavailable;
}

absl::Status ValidateEvent(const Event& e) {
  if (e.session_id.empty() || e.session_id.size() > kMaxSessionIdBytes) {
    return Bad(e, "session_id must be 1-64 bytes");
  }
  if (e.seq == 0) return Bad(e, "seq starts at 1");
  const int kind = static_cast<int>(e.kind);
  if (kind <= 0 || kind > kMaxEventKind) return Bad(e, "unknown event kind");
  if (e.kind == EventKind::kEvidenceMismatch) {
    return Bad(e, "EVIDENCE_MISMATCH is raised by the server only");
  }
  const int phase = static_cast<int>(e.phase);
  if (phase < 0 || phase > 2) return Bad(e, "unknown phase");
  if (e.phase != EventPhase::kInstant && !IsStateKind(e.kind)) {
    return Bad(e, absl::StrCat(EventKindName(e.kind), " is an instant, not a BEGIN/END state"));
  }
  if (auto s = ValidateTiming(e); !s.ok()) return s;
  if (auto s = ValidateDescriptor(e); !s.ok()) return s;
  if (e.face_count < -1 || e.face_count > 64) return Bad(e, "face_count must be within -1..64");
  if (e.evidence_jpeg.size() > kMaxEvidenceBytes) {
    return Bad(e, absl::StrCat("evidence is ", e.evidence_jpeg.size(), " bytes, the limit is ",
                               kMaxEvidenceBytes));
  }
  if (e.detail.size() > kMaxDetailBytes) return Bad(e, "detail is longer than 256 bytes");
  if (!IsUtf8(e.detail)) return Bad(e, "detail is not valid UTF-8");
  if (e.kind == EventKind::kConsentGiven) {
    if (e.seq != 1) return Bad(e, "CONSENT_GIVEN is the session's first event (seq 1)");
    if (!e.evidence_jpeg.empty()) return Bad(e, "CONSENT_GIVEN carries no evidence");
    if (auto c = protocol::ParseConsentDetail(e.detail); !c.ok()) {
      return Bad(e, std::string(c.status().message()));
    }
  }
  if (e.kind == EventKind::kLivenessStep) {
    if (e.evidence_jpeg.empty()) return Bad(e, "LIVENESS_STEP carries the frame it was seen on");
    if (auto s = protocol::ParseLivenessStepDetail(e.detail); !s.ok()) {
      return Bad(e, std::string(s.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const std::vector<Event>& events) {
  if (events.empty() || events.size() > kMaxBatchEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat("a batch holds 1-", kMaxBatchEvents, " events, got ", events.size()));
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (auto s = ValidateEvent(events[i]); !s.ok()) return s;
    if (i == 0) continue;
    const Event& prev = events[i - 1];
    if (events[i].session_id != prev.session_id) return Bad(events[i], "batch mixes sessions");
    if (events[i].seq != prev.seq + 1) return Bad(events[i], "seqs in a batch must be consecutive");
    if (events[i].at_ms < prev.at_ms) return Bad(events[i], "at_ms went backwards");
  }
  return absl::OkStatus();
}

}  // namespace proctor::server

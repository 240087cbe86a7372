// Consent as both ends record it: the learner's CONSENT_GIVEN event names the notice it agreed
// to (its version and SHA-256) and when; the server refuses biometric events from a session that
// does not begin with one.
#ifndef PROCTOR_PROTOCOL_CONSENT_H_
#define PROCTOR_PROTOCOL_CONSENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/event.h"

namespace proctor::protocol {

// The longest notice text either end accepts, bytes.
inline constexpr size_t kMaxNoticeBytes = 20000;

struct ConsentRecord {
  int32_t notice_version = 0;     // 0: the server's built-in notice
  std::string notice_sha256_hex;  // 64 lowercase hex digits
  int64_t given_at_unix_ms = 0;   // the learner's clock when they said yes
};

// SHA-256 of a notice's text as 64 lowercase hex digits.
std::string NoticeSha256Hex(absl::string_view text);

// CONSENT_GIVEN's detail: "notice v3 sha256 <64 hex> given 1765000000000".
std::string ConsentDetail(const ConsentRecord& consent);
// INVALID_ARGUMENT naming what is wrong when `detail` is not ConsentDetail's form.
absl::StatusOr<ConsentRecord> ParseConsentDetail(absl::string_view detail);

// Whether an event carries biometric data or a face check (identity, liveness, a descriptor, an
// evidence image) and so needs the learner's consent at the head of the session.
bool NeedsConsent(const Event& event);

}  // namespace proctor::protocol

#endif  // PROCTOR_PROTOCOL_CONSENT_H_

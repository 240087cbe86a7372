#include "protocol/consent.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"

namespace proctor::protocol {

std::string NoticeSha256Hex(absl::string_view text) {
  Sha256Stream sha;
  sha.Update(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  const auto digest = sha.Finish();
  return ToHex(digest.data(), digest.size());
}

std::string ConsentDetail(const ConsentRecord& c) {
  return absl::StrCat("notice v", c.notice_version, " sha256 ", c.notice_sha256_hex, " given ",
                      c.given_at_unix_ms);
}

absl::StatusOr<ConsentRecord> ParseConsentDetail(absl::string_view detail) {
  const std::vector<absl::string_view> parts = absl::StrSplit(detail, ' ');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CONSENT_GIVEN detail must read \"notice v<N> sha256 <64 hex> given <unix ms>\": ", why));
  };
  if (parts.size() != 6 || parts[0] != "notice" || parts[2] != "sha256" || parts[4] != "given") {
    return bad("wrong words");
  }
  ConsentRecord c;
  if (parts[1].size() < 2 || parts[1][0] != 'v' ||
      !absl::SimpleAtoi(parts[1].substr(1), &c.notice_version) || c.notice_version < 0) {
    return bad("bad version");
  }
  c.notice_sha256_hex = std::string(parts[3]);
  if (c.notice_sha256_hex.size() != 64 ||
      c.notice_sha256_hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return bad("the digest is not 64 lowercase hex digits");
  }
  if (!absl::SimpleAtoi(parts[5], &c.given_at_unix_ms) || c.given_at_unix_ms <= 0) {
    return bad("bad time");
  }
  return c;
}

bool NeedsConsent(const Event& e) {
  return e.kind == EventKind::kIdentityVerified || e.kind == EventKind::kIdentityMismatch ||
         e.kind == EventKind::kLivenessPassed || e.kind == EventKind::kLivenessFailed ||
         e.kind == EventKind::kLivenessStep ||
         !e.descriptor.empty() || !e.evidence_jpeg.empty();
}

}  // namespace proctor::protocol
